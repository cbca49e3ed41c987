"""The array engine against a plain reference written straight from standards.md, on random counties.

The reference below is deliberately naive: one loop per school and per unit, `math.fsum`, no
arrays, no shared state with indicators.formulas beyond the rule profile it reads. Hypothesis
generates counties of every school type with missing figures, private and non-county schools,
teaching points (separate, excluded and merged into their parent) and the indoor-sports switch;
the engine must agree on every unit's inclusion, values and compliance, and on every CV and
verdict.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.defaults import BASIC_2012, QUALITY_2017
from indicators.formulas import LEVELS, Profile, SchoolRecord, evaluate_county

TYPES = [
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_middle",
    "teaching_point",
    "special",
    "vocational_junior",
]
FACILITIES = [
    "teaching_area",
    "indoor_sports_area",
    "sports_area",
    "equipment_value",
    "books",
    "computers",
    "multimedia_rooms",
]
TEACHERS = ["teachers", "qualified_teachers", "mid_title_teachers", "backbone_teachers", "pe_art_teachers"]


def _n(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def reference(records: list[SchoolRecord], profile: Profile) -> dict[str, Any]:
    """Units, CVs and verdicts per standards.md §2-§6 and data-dictionary "Default rule profiles"."""
    scope, weights = profile.scope, profile.section_weights
    units: list[dict[str, Any]] = []
    for r in records:
        s = r.stats
        count = {
            x: (None if _n(s.get(f"students_{x}")) is None else round(_n(s.get(f"students_{x}")) or 0))
            for x in ("primary", "junior", "senior")
        }
        sections = {
            "primary": ["primary"],
            "teaching_point": ["primary"],
            "junior": ["junior"],
            "complete_middle": ["junior"],
            "vocational_junior": ["junior"],
            "nine_year": ["primary", "junior"],
            "twelve_year": ["primary", "junior"],
        }.get(r.school_type)
        if r.school_type == "special":
            sections = [x for x in LEVELS if count[x]] or ["primary"]
        known = sections is not None
        sections = sections or ["primary"]
        single = r.school_type in ("primary", "junior", "teaching_point", "vocational_junior") or not known
        weighted = {x: weights[x] * (count[x] or 0) for x in ("primary", "junior", "senior")}
        total = math.fsum(weighted.values())
        reason = None
        if not known:
            reason = "unknown_type"
        elif scope.exclude_private and r.ownership in ("private", "民办"):
            reason = "private"
        elif scope.exclude_non_county and not r.county_run:
            reason = "not_county_run"
        elif r.school_type == "special" and scope.exclude_special:
            reason = "special"
        elif r.school_type == "vocational_junior" and scope.exclude_vocational:
            reason = "vocational"
        elif r.school_type == "teaching_point" and scope.teaching_point_mode == "exclude":
            reason = "teaching_point_excluded"
        for level in sections:
            share = 1.0 if single else (weighted[level] / total if total > 0 else 0.0)
            totals: dict[str, float | None] = {}
            for f in FACILITIES:
                v = _n(s.get(f))
                totals[f] = None if v is None else v * share
            for t in TEACHERS:
                totals[t] = _n(s.get(f"{t}_{level}"))
            units.append(
                {
                    "record": r,
                    "level": level,
                    "count": count[level],
                    "students": count[level] if count[level] and count[level] > 0 else 0,
                    "totals": totals,
                    "reason": reason,
                }
            )
    # Teaching points: separate (small ones out) or merged into the parent's primary unit.
    primary_of: dict[str, dict[str, Any]] = {}
    for u in units:
        if u["level"] == "primary" and u["record"].school_type != "teaching_point":
            primary_of.setdefault(u["record"].school_code, u)
    for u in units:
        if u["record"].school_type != "teaching_point" or u["reason"]:
            continue
        if scope.teaching_point_mode == "separate":
            minimum = scope.teaching_point_min_students
            if minimum is not None and u["count"] is not None and u["count"] < minimum:
                u["reason"] = "teaching_point_small"
        else:
            parent = primary_of.get(u["record"].parent_school_code or "")
            if parent is None:
                u["reason"] = "parent_missing"
                continue
            parent["students"] += u["students"]
            for f, v in u["totals"].items():
                p = parent["totals"][f]
                parent["totals"][f] = None if p is None or v is None else p + v
            u["reason"] = "merged_into_parent"
    for u in units:
        if u["reason"] is None and u["students"] <= 0:
            u["reason"] = "no_students"

    # Values, compliance and CVs.
    rule = profile.school_rule
    for u in units:
        u["values"] = {}
        for ind in profile.indicators:
            total = u["totals"][ind.numerator]
            if total is not None and profile.subtract_indoor_sports and ind.numerator == "teaching_area":
                total -= u["totals"]["indoor_sports_area"] or 0.0
            u.setdefault("nums", {})[ind.key] = total
            u["values"][ind.key] = None if total is None or u["students"] <= 0 else ind.factor * total / u["students"]
        if u["reason"] is not None:
            u["passes"] = None
            continue
        assessed = [ind for ind in profile.indicators if ind.standards.get(u["level"]) is not None]
        met = [
            ind
            for ind in assessed
            if u["values"][ind.key] is not None and u["values"][ind.key] >= ind.standards[u["level"]]
        ]
        unmet = [ind for ind in assessed if ind not in met]
        below = []
        for ind in unmet:
            standard = ind.standards[u["level"]]
            value = u["values"][ind.key]
            if rule.floor_ratio is not None:
                floor = rule.floor_ratio * standard
                if value is None or value < floor - 1e-9 * floor:
                    below.append(ind.key)
        u["met"], u["assessed"], u["failing"], u["below"] = len(met), len(assessed), [i.key for i in unmet], below
        if not assessed:
            u["passes"] = None
        else:
            ok = not below
            if rule.min_met is not None and len(met) < rule.min_met:
                ok = False
            if rule.max_failing is not None and len(unmet) > rule.max_failing:
                ok = False
            u["passes"] = ok
    levels = {}
    for level in LEVELS:
        rows = [u for u in units if u["reason"] is None and u["level"] == level]
        cvs: dict[str, float | None] = {}
        for ind in profile.indicators:
            points = [(u["students"], u["nums"][ind.key]) for u in rows if u["nums"][ind.key] is not None]
            if not points:
                cvs[ind.key] = None
                continue
            big_p = sum(p for p, _t in points)
            mean = ind.factor * math.fsum(t for _p, t in points) / big_p
            var = math.fsum(p / big_p * (ind.factor * t / p - mean) ** 2 for p, t in points)
            cvs[ind.key] = None if mean == 0 else (0.0 if len(points) == 1 else math.sqrt(var) / mean)
        levels[level] = {"units": len(rows), "cvs": cvs}
    return {"units": units, "levels": levels}


school_type = st.sampled_from(TYPES)
figure = st.one_of(st.none(), st.floats(min_value=0, max_value=50_000, allow_nan=False))
count = st.one_of(st.none(), st.integers(min_value=0, max_value=1500))


@st.composite
def county(draw: Any) -> list[SchoolRecord]:
    n = draw(st.integers(min_value=0, max_value=14))
    records = []
    for i in range(n):
        kind = draw(school_type)
        stats: dict[str, float | None] = {
            "students_primary": draw(count),
            "students_junior": draw(count),
            "students_senior": draw(count),
        }
        for f in FACILITIES:
            stats[f] = draw(figure)
        for level in LEVELS:
            for t in TEACHERS:
                stats[f"{t}_{level}"] = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=90)))
        parent = f"S{draw(st.integers(min_value=0, max_value=max(n - 1, 0))):02d}" if kind == "teaching_point" else None
        records.append(
            SchoolRecord(
                f"S{i:02d}",
                f"学校{i}",
                kind,
                draw(st.sampled_from(["public", "public", "private"])),
                draw(st.booleans()),
                parent,
                stats,
            )
        )
    return records


def _profiles() -> list[Profile]:
    merge = {**QUALITY_2017, "scope": {**QUALITY_2017["scope"], "teaching_point_mode": "merge_into_parent"}}
    indoor = {**BASIC_2012, "subtract_indoor_sports": True}
    return [Profile.from_dict(d) for d in (QUALITY_2017, BASIC_2012, merge, indoor)]


PROFILES = _profiles()


@settings(max_examples=150, deadline=None)
@given(county(), st.sampled_from(range(len(PROFILES))))
def test_the_engine_agrees_with_the_reference(records: list[SchoolRecord], which: int) -> None:
    profile = PROFILES[which]
    expected = reference(records, profile)
    result = evaluate_county(records, profile)
    assert [(u.unit.school_code, u.unit.level) for u in result.units] == [
        (u["record"].school_code, u["level"]) for u in expected["units"]
    ]
    for mine, ref in zip(result.units, expected["units"], strict=True):
        assert mine.unit.excluded_code == ref["reason"]
        assert mine.unit.students == ref["students"]
        for key, value in ref["values"].items():
            assert mine.values[key] == (None if value is None else pytest.approx(value, rel=1e-12))
        if ref["reason"] is None:
            assert mine.compliance is not None
            assert (mine.compliance.met, mine.compliance.assessed, mine.compliance.passes) == (
                ref["met"],
                ref["assessed"],
                ref["passes"],
            )
            assert list(mine.compliance.failing) == ref["failing"]
            assert list(mine.compliance.below_floor) == ref["below"]
        else:
            assert mine.compliance is None
    for level in LEVELS:
        assert result.levels[level].units == expected["levels"][level]["units"]
        for key, cv in expected["levels"][level]["cvs"].items():
            got = result.levels[level].indicators[key].cv.cv
            assert got == (None if cv is None else pytest.approx(cv, rel=1e-9, abs=1e-12))
