"""The stored form of a result and the typed contract read from it (indicators/results.py)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators import results, stored
from indicators.defaults import BASIC_2012, QUALITY_2017
from indicators.formulas import Profile, SchoolRecord, evaluate, evaluate_county, school_table
from tests.unit.indicators.test_formulas import ratio_county, school

Q17 = Profile.from_dict(QUALITY_2017)
B12 = Profile.from_dict(BASIC_2012)


def _mixed_county() -> list[SchoolRecord]:
    return [
        *ratio_county(3),
        school("N1", "nine_year", students_primary=166, students_junior=210, books=23226),
        school("T1", "teaching_point", students_primary=37),
        school("P9", students_primary=500, teaching_area=2000, equipment_value=None),
    ]


def outcome(records: list[SchoolRecord], profile: Profile, **kwargs: Any) -> results.BalanceOutcome:
    form = stored.encode(
        evaluate(school_table([records]), profile),
        0,
        district=kwargs.get("district", "110101"),
        year=kwargs.get("year", 2025),
        fingerprint="f" * 64,
        schools=kwargs.get("schools", {r.school_code: (1, "approved") for r in records}),
    )
    return stored.decode(stored.dumps(form))


def _is_subset(small: Any, big: Any) -> bool:
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and _is_subset(v, big[k]) for k, v in small.items())
    if isinstance(small, list):
        return (
            isinstance(big, list)
            and len(small) == len(big)
            and all(_is_subset(a, b) for a, b in zip(small, big, strict=True))
        )
    return bool(small == big)


def test_summary_shape_and_json_round_trip() -> None:
    summary = results.to_json(outcome(_mixed_county(), Q17))
    assert json.loads(json.dumps(summary)) == summary
    assert set(summary) == {"district", "year", "profile", "levels", "units"}
    assert (summary["district"], summary["year"], summary["profile"]) == ("110101", 2025, "quality-2017")
    assert set(summary["levels"]) == {"primary", "junior"}
    for level in summary["levels"].values():
        assert set(level) == {"units", "indicators", "composite", "passes"}
        for indicator in level["indicators"].values():
            assert set(indicator) == {"mean", "sd", "cv", "threshold", "passes"}
    unit_keys = {"school_code", "level", "students", "included", "excluded_reason", "values", "met", "passes", "gaps"}
    assert all(set(u) == unit_keys for u in summary["units"])
    p9 = next(u for u in summary["units"] if u["school_code"] == "P9")
    gap = p9["gaps"]["teaching_area_per_student"]
    assert gap == {"standard": 4.5, "value": 4.0, "shortfall": 250.0, "unit": "m²"}
    assert p9["gaps"]["equipment_value_per_student"]["shortfall"] is None
    t1 = next(u for u in summary["units"] if u["school_code"] == "T1")
    assert t1["included"] is False and t1["met"] is None and t1["gaps"] == {}
    assert t1["excluded_reason"] == "教学点在校生 37 人,不足 50 人"
    # Full precision, not rounded: the same figure as the engine's.
    engine = evaluate_county(_mixed_county(), Q17)
    assert summary["levels"]["primary"]["indicators"]["sports_area_per_student"]["mean"] == (
        engine.levels["primary"].indicators["sports_area_per_student"].cv.mean
    )


def test_full_json_is_summary_plus_calculation_detail() -> None:
    read = outcome(_mixed_county(), Q17)
    summary, document = results.to_json(read), results.to_json(read, full=True)
    assert json.loads(json.dumps(document)) == document
    assert _is_subset(summary, document)
    indicator = document["levels"]["primary"]["indicators"]["teaching_area_per_student"]
    for key in ("total_resource", "total_students", "units", "note", "near_threshold", "terms"):
        assert key in indicator
    assert math.fsum(t["share"] for t in indicator["terms"]) == pytest.approx(1.0)
    assert set(indicator["terms"][0]) == {"school_code", "level", "students", "value", "weight", "term", "share"}
    unit = next(u for u in document["units"] if u["school_code"] == "P9")
    for key in ("school_name", "school_type", "excluded_code", "facility_share", "merged_from", "numerators"):
        assert key in unit
    assert unit["gaps"]["teaching_area_per_student"]["text"] == "需增加教学及辅助用房 250 m²"
    assert document["rules"] == QUALITY_2017
    assert document["inputs"]["schools_approved"] == len(_mixed_county())


def test_round_trip_for_2012_and_empty_county() -> None:
    for records in (_mixed_county(), []):
        read = outcome(records, B12)
        for export in (results.to_json(read), results.to_json(read, full=True)):
            assert json.loads(json.dumps(export)) == export


def test_the_contract_reads_what_the_engine_computed() -> None:
    """Every figure of the stored outcome equals the engine's own objects."""
    for profile in (Q17, B12):
        engine = evaluate_county(_mixed_county(), profile)
        read = outcome(_mixed_county(), profile)
        for name, level in engine.levels.items():
            mine = read.levels[name]
            assert (mine.units, mine.composite, mine.passes) == (level.units, level.composite, level.passes)
            assert mine.notes == level.notes
            for key, ind in level.indicators.items():
                cv = mine.indicators[key]
                assert (cv.mean, cv.sd, cv.cv, cv.passes, cv.threshold) == (
                    ind.cv.mean,
                    ind.cv.sd,
                    ind.cv.cv,
                    ind.passes,
                    ind.threshold,
                )
                assert [(t.school_code, t.value, t.weight, t.term, t.share) for t in cv.terms] == [
                    (t.school_code, t.value, t.weight, t.term, t.share) for t in ind.cv.terms
                ]
        assert len(read.units) == len(engine.units)
        for unit, theirs in zip(read.units, engine.units, strict=True):
            assert (unit.school_code, unit.level, unit.students, unit.included) == (
                theirs.unit.school_code,
                theirs.unit.level,
                theirs.unit.students,
                theirs.unit.included,
            )
            assert unit.exclusion == theirs.unit.exclusion
            assert dict(unit.values) == theirs.values
            compliance = theirs.compliance
            if compliance is None:
                assert unit.passes is None and not unit.gaps
                continue
            assert (unit.met, unit.assessed, unit.passes) == (compliance.met, compliance.assessed, compliance.passes)
            assert unit.failing == compliance.failing and unit.below_floor == compliance.below_floor
            assert {k: (g.shortfall, g.text) for k, g in unit.gaps.items()} == {
                k: (g.shortfall, g.text) for k, g in compliance.gaps.items()
            }


def test_findings_are_derived_once_in_a_fixed_order() -> None:
    records = [
        *ratio_county(1),
        school("P2", students_primary=300, sports_area=100, teaching_area=200),
    ]
    read = outcome(records, Q17)
    kinds = [f.kind for f in read.findings]
    assert kinds == sorted(kinds, key=["cv_above", "composite_above", "unit_short", "unit_fails", "cv_near"].index)
    shorts = [f for f in read.findings if isinstance(f, results.UnitShort)]
    assert {(f.unit.school_code, f.gap.key) for f in shorts} >= {("P2", "sports_area_per_student")}
    above = [f for f in read.findings if isinstance(f, results.CvAbove)]
    assert above and all(f.indicator.passes is False for f in above)
    for finding in above:
        assert all(t.value < (finding.indicator.mean or 0) for t in finding.below_mean)
    assert read.findings is read.findings  # computed once


def test_an_unknown_stored_format_is_refused() -> None:
    form = stored.encode(evaluate(school_table([[]]), Q17), 0, district="1", year=1, fingerprint="", schools={})
    form["format"] = 99
    with pytest.raises(ValueError, match="format"):
        stored.decode(form)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["primary", "junior", "nine_year", "teaching_point", "special", "complete_middle"]),
            st.integers(min_value=0, max_value=900),
            st.integers(min_value=0, max_value=900),
            st.one_of(st.none(), st.floats(min_value=0, max_value=20000)),
            st.integers(min_value=0, max_value=80),
        ),
        max_size=12,
    )
)
def test_stored_form_round_trips_for_any_county(rows: list[tuple[str, int, int, float | None, int]]) -> None:
    records = [
        SchoolRecord(
            f"S{i:02d}",
            f"学校{i}",
            kind,
            "public",
            True,
            None,
            {
                "students_primary": primary,
                "students_junior": junior,
                "teaching_area": area,
                "sports_area": area,
                "qualified_teachers_primary": teachers,
                "qualified_teachers_junior": teachers,
            },
        )
        for i, (kind, primary, junior, area, teachers) in enumerate(rows)
    ]
    for profile in (Q17, B12):
        form = stored.encode(
            evaluate(school_table([records]), profile), 0, district="1", year=2025, fingerprint="", schools={}
        )
        assert stored.decode(stored.dumps(form)) == stored.decode(form)
