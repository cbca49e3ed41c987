"""The county evaluation as array arithmetic: many counties under one profile at once.

For each county and level (standards.md §2.3, §3.2): every indicator's weighted CV over the
included units of that level that have students and a reported value, its verdict against the
threshold, the level's verdict (``each_indicator``: every tested CV <= its threshold, a definite
failure deciding even if another CV is undefined; ``composite``: the mean of the indicator CVs
<= the composite threshold), and every included unit's compliance (formulas.compliance).

`evaluate` returns an `Evaluation` of arrays; `formulas.county` turns one county of it into
objects, `indicators.results` into the stored form. Numbers are full precision; a CV within
NEAR_THRESHOLD of its threshold is flagged for human review (§4.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indicators.formulas.catalogue import LEVELS, NEAR_THRESHOLD, Note
from indicators.formulas.compliance import Judgement, judge
from indicators.formulas.cv import GroupCV, group_cv
from indicators.formulas.profile import Profile
from indicators.formulas.table import BoolArray, FloatArray, IntArray, SchoolTable
from indicators.formulas.units import Sections, UnitTable, numerators, unit_table, values_of


@dataclass(frozen=True, slots=True)
class LevelVerdict:
    """One county's verdict at one level."""

    units: int
    composite: float | None
    composite_threshold: float | None
    passes: bool | None
    notes: tuple[Note, ...]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A batch of counties evaluated under one profile.

    Units are those of `units` (in county order). Group g = 2 x county + level index. Per
    indicator j: ``cv[j]`` holds the CV of every group and, per point, the part of each unit in
    ``entering[:, j]`` (in unit order); ``threshold``/``passes``/``near`` are (groups, indicators).
    """

    profile: Profile
    units: UnitTable
    numerators: FloatArray  # (units, indicators), NaN = not reported
    values: FloatArray  # (units, indicators), NaN = none
    judgement: Judgement  # of the included units, in order (`judged` are their unit indices)
    judged: IntArray
    entering: BoolArray  # (units, indicators): the unit enters the indicator's CV
    cv: tuple[GroupCV, ...]
    threshold: FloatArray  # (groups, indicators), NaN = not tested
    passes: IntArray  # (groups, indicators): 1, 0, -1 (undefined or not tested)
    near: BoolArray
    levels: tuple[LevelVerdict, ...]  # per group
    index: CountyIndex

    @property
    def counties(self) -> int:
        return self.units.table.counties


@dataclass(frozen=True, slots=True)
class CountyIndex:
    """Where each county's part of an evaluation lies (units are in county order).

    County c has units ``units[c]:units[c + 1]``, judged units ``judged[c]:judged[c + 1]`` of
    `Evaluation.judged`, and in indicator j's CV the points ``points[j][bounds[j][c]:bounds[j][c + 1]]``
    (unit indices; the GroupCV's per-point arrays are in the same order).
    """

    units: IntArray
    judged: IntArray
    points: tuple[IntArray, ...]
    bounds: tuple[IntArray, ...]

    def unit_range(self, county: int) -> range:
        return range(int(self.units[county]), int(self.units[county + 1]))

    def judged_range(self, county: int) -> range:
        return range(int(self.judged[county]), int(self.judged[county + 1]))

    def point_range(self, j: int, county: int) -> range:
        return range(int(self.bounds[j][county]), int(self.bounds[j][county + 1]))


def _index(units: UnitTable, judged: IntArray, entering: BoolArray) -> CountyIndex:
    edges = np.arange(units.table.counties + 1)
    points = tuple(np.flatnonzero(entering[:, j]) for j in range(entering.shape[1]))
    return CountyIndex(
        units=np.searchsorted(units.county, edges),
        judged=np.searchsorted(units.county[judged], edges),
        points=points,
        bounds=tuple(np.searchsorted(units.county[p], edges) for p in points),
    )


def evaluate(table: SchoolTable, profile: Profile, sections: Sections | None = None) -> Evaluation:
    """Evaluate every county of `table` under `profile` (sections shared between profiles with
    the same section weights may be passed in)."""
    units = unit_table(table, profile, sections)
    k = len(profile.indicators)
    groups = 2 * table.counties
    group = 2 * units.county + units.level
    totals = numerators(units, profile)
    values = values_of(totals, units.students, profile)
    included = units.included
    entering = included[:, None] & ~np.isnan(totals)

    results = []
    for j, rule in enumerate(profile.indicators):
        rows = entering[:, j]
        results.append(group_cv(group[rows], groups, units.students[rows], totals[rows, j], rule.factor))
    thresholds = np.array(
        [
            [np.nan if (t := rule.cv_thresholds.get(level)) is None else t for rule in profile.indicators]
            for level in LEVELS
        ]
    ).reshape(len(LEVELS), k)
    threshold = np.tile(thresholds, (table.counties, 1))
    cvs = np.array([r.cv for r in results]).T.reshape(groups, k)
    tested = ~np.isnan(cvs) & ~np.isnan(threshold)
    passes = np.where(tested, (cvs <= threshold).astype(np.int64), -1)
    near = tested & (np.abs(cvs - threshold) <= NEAR_THRESHOLD)

    level_units = np.bincount(group[included], minlength=groups)
    levels = tuple(
        _level_verdict(profile, int(level_units[g]), g % 2, results, g, cvs[g], threshold[g], passes[g], near[g])
        for g in range(groups)
    )
    judged = np.flatnonzero(included)
    judgement = judge(profile, units.level[judged], units.students[judged], totals[judged], values[judged])
    index = _index(units, judged, entering)
    return Evaluation(
        profile,
        units,
        totals,
        values,
        judgement,
        judged,
        entering,
        tuple(results),
        threshold,
        passes,
        near,
        levels,
        index,
    )


def _level_verdict(
    profile: Profile,
    units: int,
    level: int,
    results: Sequence[GroupCV],
    g: int,
    cvs: FloatArray,
    threshold: FloatArray,
    passes: IntArray,
    near: BoolArray,
) -> LevelVerdict:
    notes: list[Note] = []
    for j, rule in enumerate(profile.indicators):
        missing = units - int(results[j].units[g])
        if missing:
            notes.append(Note("values_missing", {"label": rule.label, "missing": missing}))
        if near[j]:
            notes.append(Note("cv_near", {"label": rule.label, "threshold": float(threshold[j])}))

    # Composite = plain mean of the indicator CVs (§2.3, §9.3). Only a profile that has
    # composite thresholds has a composite: the 2017 rule has none (§3.2), so it is null there.
    # A province that publishes an informational composite sets thresholds of null per level.
    defined = [float(c) for c in cvs if c == c]
    composite = (
        math.fsum(defined) / len(cvs)
        if profile.composite_thresholds is not None and len(cvs) and len(defined) == len(cvs)
        else None
    )
    name = LEVELS[level]
    composite_threshold = profile.composite_thresholds.get(name) if profile.composite_thresholds else None
    verdict: bool | None
    if not units:
        verdict = None
        notes.append(Note("level_empty"))
    elif profile.county_rule == "composite":
        if composite_threshold is None:
            verdict = None
            notes.append(Note("no_composite_standard"))
        elif composite is None:
            verdict = None
            notes.append(Note("composite_undefined"))
        else:
            verdict = composite <= composite_threshold
            if abs(composite - composite_threshold) <= NEAR_THRESHOLD:
                notes.append(Note("composite_near", {"threshold": composite_threshold}))
    else:
        tested = [j for j in range(len(cvs)) if threshold[j] == threshold[j]]
        undefined = [profile.indicators[j] for j in tested if passes[j] < 0]
        if not tested:
            verdict = None
            notes.append(Note("no_cv_standard"))
        elif any(passes[j] == 0 for j in tested):
            # A definite failure decides the level even if another CV is undefined.
            verdict = False
        elif undefined:
            verdict = None
            notes.append(Note("cv_undefined", {"labels": tuple(r.label for r in undefined)}))
        else:
            verdict = True
    return LevelVerdict(
        units=units,
        composite=composite,
        composite_threshold=composite_threshold if profile.county_rule == "composite" else None,
        passes=verdict,
        notes=tuple(notes),
    )
