"""One county's evaluation as objects: every level's CVs and verdict, every unit's compliance.

The arithmetic is `formulas.evaluate` (arrays, many counties at once); this presents one county of
it as plain objects for tests, the command line and the planner. How a result is stored and read
is `indicators.results`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indicators.formulas.catalogue import LEVELS, Note
from indicators.formulas.compliance import UnitCompliance, compliance_of
from indicators.formulas.cv import CVResult, cv_result
from indicators.formulas.evaluate import Evaluation, evaluate
from indicators.formulas.profile import Profile, SchoolRecord
from indicators.formulas.table import school_table
from indicators.formulas.units import Unit, units_of


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
    notes: tuple[Note, ...]


@dataclass(frozen=True, slots=True)
class UnitResult:
    """A unit, its indicator values and (for included units) its compliance."""

    unit: Unit
    values: dict[str, float | None]
    compliance: UnitCompliance | None


@dataclass(frozen=True, slots=True)
class CountyResult:
    """Everything computed for one county and one profile."""

    profile: Profile
    levels: dict[str, LevelResult]
    units: list[UnitResult]


def _number(value: float) -> float | None:
    return None if value != value else float(value)


def county_result(evaluation: Evaluation, county: int) -> CountyResult:
    """County `county` of an evaluation as objects."""
    profile = evaluation.profile
    table = evaluation.units
    index = evaluation.index
    span = index.unit_range(county)
    units = units_of(table, span)
    judged = {
        int(u): position
        for position, u in zip(
            index.judged_range(county),
            evaluation.judged[index.judged_range(county).start : index.judged_range(county).stop].tolist(),
            strict=True,
        )
    }
    judged_values = evaluation.values[evaluation.judged]
    keys = [rule.key for rule in profile.indicators]
    unit_results = []
    for offset, i in enumerate(span):
        values = {key: _number(v) for key, v in zip(keys, evaluation.values[i].tolist(), strict=True)}
        position = judged.get(i)
        compliance = None if position is None else compliance_of(evaluation.judgement, position, profile, judged_values)
        unit_results.append(UnitResult(units[offset], values, compliance))

    levels: dict[str, LevelResult] = {}
    for level_index, level in enumerate(LEVELS):
        g = 2 * county + level_index
        verdict = evaluation.levels[g]
        indicators = {}
        for j, rule in enumerate(profile.indicators):
            points_span = index.point_range(j, county)
            members = index.points[j][points_span.start : points_span.stop]
            at_level = table.level[members] == level_index
            cv = cv_result(
                evaluation.cv[j],
                g,
                [
                    (units[u - span.start].school_code, units[u - span.start].students)
                    for u in members[at_level].tolist()
                ],
                level,
                np.arange(points_span.start, points_span.stop)[at_level],
            )
            passes = int(evaluation.passes[g, j])
            indicators[rule.key] = IndicatorResult(
                key=rule.key,
                cv=cv,
                threshold=_number(evaluation.threshold[g, j]),
                passes=None if passes < 0 else bool(passes),
                near_threshold=bool(evaluation.near[g, j]),
            )
        levels[level] = LevelResult(
            level=level,
            units=verdict.units,
            indicators=indicators,
            composite=verdict.composite,
            composite_threshold=verdict.composite_threshold,
            passes=verdict.passes,
            notes=verdict.notes,
        )
    return CountyResult(profile, levels, unit_results)


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
    return county_result(evaluate(school_table([schools]), profile), 0)
