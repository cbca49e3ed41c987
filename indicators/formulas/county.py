"""County evaluation: every level's CVs and verdict, every unit's compliance (§2.3, §3.2)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from indicators.formulas.catalogue import LEVELS, NEAR_THRESHOLD
from indicators.formulas.compliance import Gap, UnitCompliance, _compliance
from indicators.formulas.cv import CVResult, _cv
from indicators.formulas.profile import Profile, SchoolRecord
from indicators.formulas.units import Unit, _numerators, _values, evaluation_units


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator's CV at one level and its verdict against the threshold (if tested)."""

    key: str
    cv: CVResult
    threshold: float | None
    passes: bool | None
    near_threshold: bool


@dataclass(frozen=True, slots=True)
class LevelResult:
    """County verdict for one level (primary or junior)."""

    level: str
    units: int
    indicators: dict[str, IndicatorResult]
    composite: float | None
    composite_threshold: float | None
    passes: bool | None
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnitResult:
    """A unit, its indicator values and (for included units) its compliance."""

    unit: Unit
    values: dict[str, float | None]
    compliance: UnitCompliance | None


def _verdict(value: float | None, threshold: float | None) -> tuple[bool | None, bool]:
    if value is None or threshold is None:
        return None, False
    return value <= threshold, abs(value - threshold) <= NEAR_THRESHOLD


def _gap_dict(gap: Gap, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "standard": gap.standard,
        "value": gap.value,
        "shortfall": gap.shortfall,
        "unit": gap.unit,
    }
    if full:
        out["text"] = gap.text
    return out


@dataclass(frozen=True, slots=True)
class CountyResult:
    """Everything computed for one county and one profile."""

    profile: Profile
    levels: dict[str, LevelResult]
    units: list[UnitResult]

    def summary(self, district: str, year: int) -> dict[str, Any]:
        """Compact JSON-safe result; floats at full precision (rounding is for display, §4.2).

        Shape: ``{"district", "year", "profile", "levels": {level: {"units", "indicators":
        {key: {"mean", "sd", "cv", "threshold", "passes"}}, "composite", "passes"}}, "units":
        [{"school_code", "level", "students", "included", "excluded_reason", "values", "met",
        "passes", "gaps": {key: {"standard", "value", "shortfall", "unit"}}}]}``. Means are in
        the indicator's unit, gaps in real units (m², 元, 人, 间, 台, 册).
        """
        return self._export(district, year, full=False)

    def document(self, district: str, year: int) -> dict[str, Any]:
        """The summary plus everything needed to "show the calculation" (§7.2 table 3, §10.2).

        Adds ``profile_version``, ``profile_label`` and ``rules`` (``Profile.to_dict()``); per
        level ``composite_threshold`` and ``notes``; per indicator ``label``, ``unit``,
        ``total_resource`` (numerator unit), ``total_students``, ``units``, ``note``,
        ``near_threshold`` and ``terms`` (each unit's students, value, weight, term, share); per
        unit ``school_name``, ``school_type``, ``excluded_code``, ``facility_share``,
        ``merged_from``, ``totals``, ``assessed``, ``failing``, ``below_floor``, ``notes`` and
        each gap's ``text``. JSON-safe: ``json.loads(json.dumps(d)) == d``.
        """
        return self._export(district, year, full=True)

    def _export(self, district: str, year: int, *, full: bool) -> dict[str, Any]:
        profile = self.profile
        out: dict[str, Any] = {
            "district": district,
            "year": year,
            "profile": profile.name,
        }
        if full:
            out["profile_version"] = profile.version
            out["profile_label"] = profile.label
            out["rules"] = profile.to_dict()
        labels = {rule.key: rule for rule in profile.indicators}
        levels: dict[str, Any] = {}
        for level, result in self.levels.items():
            indicators: dict[str, Any] = {}
            for key, ind in result.indicators.items():
                cv = ind.cv
                entry: dict[str, Any] = {
                    "mean": cv.mean,
                    "sd": cv.sd,
                    "cv": cv.cv,
                    "threshold": ind.threshold,
                    "passes": ind.passes,
                }
                if full:
                    entry.update(
                        label=labels[key].label,
                        unit=labels[key].unit,
                        total_resource=cv.total_resource,
                        total_students=cv.total_students,
                        units=cv.units,
                        note=cv.note,
                        near_threshold=ind.near_threshold,
                        terms=[
                            {
                                "school_code": t.school_code,
                                "level": t.level,
                                "students": t.students,
                                "value": t.value,
                                "weight": t.weight,
                                "term": t.term,
                                "share": t.share,
                            }
                            for t in cv.terms
                        ],
                    )
                indicators[key] = entry
            level_entry: dict[str, Any] = {
                "units": result.units,
                "indicators": indicators,
                "composite": result.composite,
                "passes": result.passes,
            }
            if full:
                level_entry["composite_threshold"] = result.composite_threshold
                level_entry["notes"] = list(result.notes)
            levels[level] = level_entry
        out["levels"] = levels
        rows: list[dict[str, Any]] = []
        for unit_result in self.units:
            unit = unit_result.unit
            compliance = unit_result.compliance
            row: dict[str, Any] = {
                "school_code": unit.school_code,
                "level": unit.level,
                "students": unit.students,
                "included": unit.included,
                "excluded_reason": unit.excluded_reason,
                "values": dict(unit_result.values),
                "met": None if compliance is None else compliance.met,
                "passes": None if compliance is None else compliance.passes,
                "gaps": ({} if compliance is None else {k: _gap_dict(g, full) for k, g in compliance.gaps.items()}),
            }
            if full:
                row.update(
                    school_name=unit.school_name,
                    school_type=unit.school_type,
                    excluded_code=unit.excluded_code,
                    facility_share=unit.facility_share,
                    merged_from=list(unit.merged_from),
                    totals=dict(unit.totals),
                    assessed=None if compliance is None else compliance.assessed,
                    failing=[] if compliance is None else list(compliance.failing),
                    below_floor=[] if compliance is None else list(compliance.below_floor),
                    notes=([] if compliance is None or compliance.note is None else [compliance.note]),
                )
            rows.append(row)
        out["units"] = rows
        return out


def _level_result(
    level: str,
    profile: Profile,
    rows: list[tuple[str, int, list[float | None]]],
) -> LevelResult:
    notes: list[str] = []
    composite_rule = profile.county_rule == "composite"
    indicators: dict[str, IndicatorResult] = {}
    cvs: list[float | None] = []
    for i, rule in enumerate(profile.indicators):
        points = [(code, p, totals[i]) for code, p, totals in rows if totals[i] is not None]
        cv = _cv(cast(list[tuple[str, int, float]], points), rule.factor, level)
        threshold = rule.cv_thresholds.get(level)
        passes, near = _verdict(cv.cv, threshold)
        indicators[rule.key] = IndicatorResult(rule.key, cv, threshold, passes, near)
        cvs.append(cv.cv)
        missing = len(rows) - len(points)
        if missing:
            notes.append(f"{rule.label}: {missing} 所学校未填报,未计入差异系数")
        if near:
            notes.append(f"{rule.label}差异系数接近标准 {threshold},建议人工复核")

    # Composite = plain mean of the indicator CVs (§2.3, §9.3). Only a profile that has
    # composite thresholds has a composite: the 2017 rule has none (§3.2), so it is null there.
    # A province that publishes an informational composite sets thresholds of null per level.
    defined = [c for c in cvs if c is not None]
    composite = (
        math.fsum(defined) / len(cvs)
        if profile.composite_thresholds is not None and cvs and len(defined) == len(cvs)
        else None
    )
    composite_threshold = profile.composite_thresholds.get(level) if profile.composite_thresholds else None
    verdict: bool | None
    if not rows:
        verdict = None
        notes.append("该学段没有参与计算的学校")
    elif composite_rule:
        if composite_threshold is None:
            verdict = None
            notes.append("本学段未设综合差异系数标准")
        elif composite is None:
            verdict = None
            notes.append("有指标差异系数无定义,无法计算综合差异系数")
        else:
            verdict = composite <= composite_threshold
            if abs(composite - composite_threshold) <= NEAR_THRESHOLD:
                notes.append(f"综合差异系数接近标准 {composite_threshold},建议人工复核")
    else:
        tested = [r for r in indicators.values() if r.threshold is not None]
        undefined = [r.key for r in tested if r.passes is None]
        if not tested:
            verdict = None
            notes.append("本学段未设差异系数标准")
        elif any(r.passes is False for r in tested):
            # A definite failure decides the level even if another CV is undefined.
            verdict = False
        elif undefined:
            verdict = None
            notes.append(f"差异系数无定义,无法判定: {', '.join(undefined)}")
        else:
            verdict = True
    return LevelResult(
        level,
        len(rows),
        indicators,
        composite,
        composite_threshold if composite_rule else None,
        verdict,
        tuple(notes),
    )


def evaluate_county(schools: Sequence[SchoolRecord], profile: Profile) -> CountyResult:
    """Evaluate one county under one profile (§3.2 for 2017, §2.3 for 2012).

    Per level and indicator the CV runs over the included units of that level that have
    students and a reported value. ``each_indicator``: the level passes when every tested CV
    <= its threshold (a definite failure -> False; otherwise an undefined CV -> None).
    ``composite``: composite = mean of the indicator CVs (None if any is None) and the level
    passes when composite <= the composite threshold; single-indicator verdicts are then
    informational. A level with no units -> None with a note. ``near_threshold`` flags
    |cv - threshold| <= 0.0005 for human review (§4.3).
    """
    plan = profile._plan
    keys = plan.keys
    school_rule = profile.school_rule
    checks = plan.checks
    # Per level: (school_code, students, numerator totals) of every included unit.
    rows: dict[str, list[tuple[str, int, list[float | None]]]] = {level: [] for level in LEVELS}
    results: list[UnitResult] = []

    for unit in evaluation_units(schools, profile):
        students = unit.students
        numerators = _numerators(unit.totals, plan)
        ordered = _values(numerators, students, plan)
        values = dict(zip(keys, ordered, strict=True))
        if not unit.included:
            results.append(UnitResult(unit, values, None))
            continue
        level = unit.level
        rows[level].append((unit.school_code, students, numerators))
        compliance = _compliance(checks[level], school_rule, students, ordered, numerators)
        results.append(UnitResult(unit, values, compliance))

    levels = {level: _level_result(level, profile, rows[level]) for level in LEVELS}
    return CountyResult(profile, levels, results)
