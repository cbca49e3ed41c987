"""Per-school compliance and gaps in real units (standards.md §3.2, §2.4)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from indicators.formulas.catalogue import _REL_EPS
from indicators.formulas.profile import Profile, SchoolRule, _Check
from indicators.formulas.units import Unit, _numerators


@dataclass(frozen=True, slots=True)
class Gap:
    """What an unmet indicator lacks, in real units (m², 元, 人, 间, 台, 册).

    ``shortfall`` is rounded up to a whole unit; it is None when the value was not reported.
    """

    standard: float
    value: float | None
    shortfall: float | None
    unit: str
    text: str


@dataclass(frozen=True, slots=True)
class UnitCompliance:
    """Per-school result: ``passes`` is None when the rule assesses nothing."""

    met: int
    assessed: int
    passes: bool | None
    failing: tuple[str, ...]
    below_floor: tuple[str, ...]
    gaps: dict[str, Gap]
    note: str | None


def _gap(check: _Check, value: float | None, total: float | None, students: int) -> Gap:
    if value is None or total is None:
        return Gap(check.standard, None, None, check.gap_unit, f"{check.gap_label}未填报")
    required = check.standard * students / check.factor
    # The epsilon keeps an exact hit such as 12.000000000000002 from rounding up to 13.
    shortfall = math.ceil(required - total - _REL_EPS * max(1.0, abs(required)))
    shortfall = max(shortfall, 0)
    if check.gap_unit == "元":
        text = f"需增加{check.gap_label} ¥{shortfall:,}"
    else:
        text = f"需增加{check.gap_label} {shortfall:,} {check.gap_unit}"
    return Gap(check.standard, value, float(shortfall), check.gap_unit, text)


def _compliance(
    checks: tuple[_Check, ...],
    rule: SchoolRule,
    students: int,
    values: Sequence[float | None],
    numerators: Sequence[float | None],
) -> UnitCompliance:
    assessed = len(checks)
    if assessed == 0:
        return UnitCompliance(0, 0, None, (), (), {}, "本规则未设学校达标标准")
    met = 0
    failing: list[str] = []
    below: list[str] = []
    gaps: dict[str, Gap] = {}
    for check in checks:
        value = values[check.position]
        if value is not None and value >= check.standard:  # exact, full precision
            met += 1
            continue
        failing.append(check.key)
        gaps[check.key] = _gap(check, value, numerators[check.position], students)
        floor = check.floor
        # The floor is a product like 0.85 x 7.5; allow for its binary rounding only.
        if floor is not None and (value is None or value < floor - _REL_EPS * floor):
            below.append(check.key)
    passes = True
    note: str | None = None
    if rule.min_met is not None:
        if met < rule.min_met:
            passes = False
        if assessed < rule.min_met:
            note = f"评估指标 {assessed} 项,少于要求达标的 {rule.min_met} 项"
    if rule.max_failing is not None and assessed - met > rule.max_failing:
        passes = False
    if below:
        passes = False
    return UnitCompliance(met, assessed, passes, tuple(failing), tuple(below), gaps, note)


def unit_compliance(unit: Unit, values: Mapping[str, float | None], profile: Profile) -> UnitCompliance:
    """Check one unit against the per-school standards of its level (§3.2, §2.4).

    An indicator is met when value >= standard (exact comparison at full precision); one with
    no standard at the level is not assessed; a None value is not met ("未填报") and is below
    any floor. ``min_met``: passes when met >= min_met and (with ``floor_ratio``) every unmet
    value >= floor_ratio x standard. ``max_failing``: passes when assessed - met <= max_failing
    and the floor holds. Nothing assessed -> passes None ("本规则未设学校达标标准"); a unit
    without students cannot be judged -> passes None ("在校生为 0,无法评估"). Gaps are in real
    units: required total = standard x students / factor, shortfall = required - actual total,
    rounded up to a whole m², 元, 人, 间, 台 or 册.
    """
    plan = profile._plan
    checks = plan.checks.get(unit.level, ())
    if unit.students <= 0 and checks:
        # Every value is None here; reporting them all as "未填报" would blame the wrong thing.
        return UnitCompliance(0, len(checks), None, (), (), {}, "在校生为 0,无法评估")
    return _compliance(
        checks,
        profile.school_rule,
        unit.students,
        [values.get(key) for key in plan.keys],
        _numerators(unit.totals, plan),
    )
