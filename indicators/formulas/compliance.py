"""Per-school compliance and gaps in real units (standards.md §3.2, §2.4).

An indicator is met when value >= standard (exact comparison at full precision); one with no
standard at the unit's level is not assessed; an unreported value is not met ("未填报") and is
below any floor. ``min_met``: passes when met >= min_met and (with ``floor_ratio``) every unmet
value >= floor_ratio x standard. ``max_failing``: passes when assessed - met <= max_failing and
the floor holds. Nothing assessed -> passes None ("本规则未设学校达标标准"). Gaps are in real
units: required total = standard x students / factor, shortfall = required - actual total,
rounded up to a whole m², 元, 人, 间, 台 or 册.

`judge` does this for many units at once; `unit_compliance` for one unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from indicators.formulas.catalogue import _REL_EPS, LEVELS, Note
from indicators.formulas.profile import Profile
from indicators.formulas.table import BoolArray, FloatArray, IntArray, school_table
from indicators.formulas.units import UNIT_FIELDS, Unit, UnitTable, numerators


@dataclass(frozen=True, slots=True)
class Gap:
    """What an unmet indicator lacks, in real units (m², 元, 人, 间, 台, 册).

    ``shortfall`` is rounded up to a whole unit; it is None when the value was not reported.
    """

    standard: float
    value: float | None
    shortfall: float | None
    unit: str
    label: str  # what is lacking, e.g. 体育运动场馆 (the rule's gap_label)

    @property
    def text(self) -> str:
        """The gap in Chinese words: 需增加体育运动场馆 2,730 m², 需增加仪器设备 ¥48,561."""
        if self.shortfall is None:
            return f"{self.label}未填报"
        if self.unit == "元":
            return f"需增加{self.label} ¥{int(self.shortfall):,}"
        return f"需增加{self.label} {int(self.shortfall):,} {self.unit}"


@dataclass(frozen=True, slots=True)
class UnitCompliance:
    """Per-school result: ``passes`` is None when the rule assesses nothing."""

    met: int
    assessed: int
    passes: bool | None
    failing: tuple[str, ...]
    below_floor: tuple[str, ...]
    gaps: dict[str, Gap]
    note: Note | None


#: Notes of a judgement, by code in `Judgement.note` (0: none).
COMPLIANCE_NOTES: Final = ("", "no_school_standards", "fewer_assessed")


@dataclass(frozen=True, slots=True)
class Judgement:
    """Compliance of many units (rows) with each indicator (columns)."""

    standard: FloatArray  # the standard at the unit's level, NaN where not assessed
    assessed: BoolArray
    met: BoolArray
    below_floor: BoolArray
    shortfall: FloatArray  # where assessed and not met; NaN when the value is not reported
    met_count: IntArray
    assessed_count: IntArray
    passes: IntArray  # 1 passes, 0 fails, -1 nothing assessed
    note: IntArray  # index in COMPLIANCE_NOTES


def standards_of(profile: Profile) -> FloatArray:
    """(levels, indicators): each indicator's per-school standard, NaN where not assessed."""
    return np.array(
        [
            [np.nan if (s := rule.standards.get(level)) is None else s for rule in profile.indicators]
            for level in LEVELS
        ],
        dtype=np.float64,
    ).reshape(len(LEVELS), len(profile.indicators))


def judge(
    profile: Profile, level: IntArray, students: FloatArray, numerator_totals: FloatArray, values: FloatArray
) -> Judgement:
    """Judge units (each with students > 0) against the standards of their level."""
    rule = profile.school_rule
    standard = standards_of(profile)[level]
    factors = np.array([r.factor for r in profile.indicators])
    assessed = ~np.isnan(standard)
    with np.errstate(invalid="ignore"):
        met = assessed & (values >= standard)  # exact, full precision; NaN is never met
        unmet = assessed & ~met
        if rule.floor_ratio is not None:
            # The floor is a product like 0.85 x 7.5; allow for its binary rounding only.
            floor = rule.floor_ratio * standard
            below = unmet & (np.isnan(values) | (values < floor - _REL_EPS * floor))
        else:
            below = np.zeros_like(unmet)
        required = standard * students[:, None] / factors
        # The epsilon keeps an exact hit such as 12.000000000000002 from rounding up to 13.
        shortfall = np.ceil(required - numerator_totals - _REL_EPS * np.maximum(1.0, np.abs(required)))
    shortfall = np.where(unmet, np.maximum(shortfall, 0.0), np.nan)
    met_count = met.sum(axis=1)
    assessed_count = assessed.sum(axis=1)
    passes = np.ones(len(level), dtype=np.int64)
    note = np.zeros(len(level), dtype=np.int64)
    if rule.min_met is not None:
        passes[met_count < rule.min_met] = 0
        note[assessed_count < rule.min_met] = 2
    if rule.max_failing is not None:
        passes[assessed_count - met_count > rule.max_failing] = 0
    passes[below.any(axis=1)] = 0
    nothing = assessed_count == 0
    passes[nothing] = -1
    note[nothing] = 1
    return Judgement(standard, assessed, met, below, shortfall, met_count, assessed_count, passes, note)


def compliance_of(judgement: Judgement, row: int, profile: Profile, values: FloatArray) -> UnitCompliance:
    """Row `row` of a judgement as a UnitCompliance."""
    failing: list[str] = []
    below: list[str] = []
    gaps: dict[str, Gap] = {}
    level_standards = judgement.assessed[row]
    for j, indicator in enumerate(profile.indicators):
        if not level_standards[j] or judgement.met[row, j]:
            continue
        failing.append(indicator.key)
        if judgement.below_floor[row, j]:
            below.append(indicator.key)
        value = float(values[row, j])
        shortfall = float(judgement.shortfall[row, j])
        gaps[indicator.key] = Gap(
            standard=float(judgement.standard[row, j]),
            value=None if value != value else value,
            shortfall=None if value != value or shortfall != shortfall else shortfall,
            unit=indicator.gap_unit,
            label=indicator.gap_label,
        )
    passes = int(judgement.passes[row])
    code = COMPLIANCE_NOTES[int(judgement.note[row])]
    note = None
    if code == "fewer_assessed":
        note = Note(code, {"assessed": int(judgement.assessed_count[row]), "min_met": profile.school_rule.min_met or 0})
    elif code:
        note = Note(code)
    return UnitCompliance(
        met=int(judgement.met_count[row]),
        assessed=int(judgement.assessed_count[row]),
        passes=None if passes < 0 else bool(passes),
        failing=tuple(failing),
        below_floor=tuple(below),
        gaps=gaps,
        note=note,
    )


def unit_compliance(unit: Unit, values: Mapping[str, float | None], profile: Profile) -> UnitCompliance:
    """Check one unit against the per-school standards of its level (§3.2, §2.4).

    A unit without students cannot be judged -> passes None ("在校生为 0,无法评估"). `values`
    are the unit's indicator values (``unit_values``); see the module docstring for the rules.
    """
    level = LEVELS.index(unit.level)
    assessed = int((~np.isnan(standards_of(profile)[level])).sum())
    if unit.students <= 0 and assessed:
        # Every value is None here; reporting them all as "未填报" would blame the wrong thing.
        return UnitCompliance(0, assessed, None, (), (), {}, Note("cannot_judge_no_students"))
    one = UnitTable(
        school_table([[]]),
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        np.array([level]),
        np.array([float(unit.students)]),
        np.ones(1),
        np.array([[unit.totals.get(name) for name in UNIT_FIELDS]], dtype=np.float64),
        np.ones(1, np.bool_),
        [None],
        [None],
    )
    totals = numerators(one, profile)
    # The caller's values are judged as given (normally `unit_values(unit, profile)`).
    row_values = np.array([[values.get(r.key) for r in profile.indicators]], dtype=np.float64)
    judgement = judge(profile, one.level, one.students, totals, row_values)
    return compliance_of(judgement, 0, profile, row_values)
