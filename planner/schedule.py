"""Spreading a plan over the county's three-year plan (县域推进计划), within a budget per year.

A plan's actions are grouped into *packages*, one per school: a school passes only when all its
own actions are done, so a package is never split between years; a moved teacher belongs to the
receiving school's package (the donor gives when the receiver needs it). Packages are ordered
most urgent first (a unit below the 85 % floor of some standard before one that only misses a
standard, a failing unit before one that already passes), then cheapest per unit brought to pass.
Each year takes the packages in that order while its budget (plus what earlier years left
unspent) lasts; a package too large for the year waits for the next. What fits in no year stays
unscheduled and is listed.

After each year the county's figures with every package done so far are evaluated by the engine:
the share of schools passing and every CV per level and indicator. Those are the yearly targets
the county plan can take (`planner.services.county_targets_from_schedule`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from indicators.formulas import CountyResult, Profile, SchoolRecord, evaluate_county
from indicators.whatif import Change, apply_changes
from planner.optimise import Action


@dataclass
class Package:
    school_code: str
    school_name: str
    actions: list[Action]
    cost: float
    urgency: int  # 2: below a floor, 1: misses a standard, 0: passes already
    gain: int  # units of the school that fail now

    @property
    def cost_per_gain(self) -> float:
        return self.cost / self.gain if self.gain else math.inf


@dataclass
class YearPlan:
    year: int
    budget: float | None
    packages: list[Package] = field(default_factory=list)
    compliance_share: float | None = None  # % of judged units passing after this year
    cvs: dict[str, dict[str, float | None]] = field(default_factory=dict)  # level -> indicator -> CV
    passes: bool = False
    # unit values after this year: (school_code, level) -> indicator -> value
    values: dict[tuple[str, str], dict[str, float | None]] = field(default_factory=dict)

    @property
    def cost(self) -> float:
        return sum(p.cost for p in self.packages)

    def cost_by_kind(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for p in self.packages:
            for a in p.actions:
                out[a.kind] = out.get(a.kind, 0.0) + a.cost
        return out


@dataclass
class Schedule:
    years: list[YearPlan]
    unscheduled: list[Package]

    def to_json(self) -> dict[str, object]:
        acting = {p.school_code for y in self.years for p in y.packages} | {p.school_code for p in self.unscheduled}
        return {
            "years": [
                {
                    "year": y.year,
                    "budget_yuan": y.budget,
                    "cost_yuan": round(y.cost, 2),
                    "cost_by_kind": {k: round(v, 2) for k, v in sorted(y.cost_by_kind().items())},
                    "schools": [p.school_code for p in y.packages],
                    "compliance_share": y.compliance_share,
                    "cvs": y.cvs,
                    "passes": y.passes,
                    "school_values": {
                        code: {level: values for (school, level), values in sorted(y.values.items()) if school == code}
                        for code in sorted(acting)
                    },
                }
                for y in self.years
            ],
            "unscheduled": [p.school_code for p in self.unscheduled],
        }


def packages_of(actions: Sequence[Action], base: CountyResult) -> list[Package]:
    """One package per school that acts (or receives a moved teacher), with its urgency and gain."""
    by_school: dict[str, list[Action]] = {}
    names: dict[str, str] = {}
    for a in actions:
        code, name = (a.to_school_code, a.to_school_name) if a.to_school_code else (a.school_code, a.school_name)
        by_school.setdefault(code, []).append(a)
        names[code] = name or ""
    urgency: dict[str, int] = {}
    gain: dict[str, int] = {}
    for ur in base.units:
        c = ur.compliance
        if not ur.unit.included or c is None:
            continue
        code = ur.unit.school_code
        level = 2 if c.below_floor else (1 if c.passes is False else 0)
        urgency[code] = max(urgency.get(code, 0), level)
        gain[code] = gain.get(code, 0) + (1 if c.passes is False else 0)
    out = [
        Package(code, names[code], acts, sum(a.cost for a in acts), urgency.get(code, 0), gain.get(code, 0))
        for code, acts in by_school.items()
    ]
    out.sort(key=lambda p: (-p.urgency, p.cost_per_gain, p.cost, p.school_code))
    return out


def changes_of_actions(records: Sequence[SchoolRecord], actions: Sequence[Action]) -> list[Change]:
    """The statistics changes of some of a plan's actions (the same arithmetic as the planner's)."""
    from planner.model import FACILITY_ACTIONS, TEACHER_ACTIONS, TRANSFER_KINDS

    by_code = {r.school_code: r for r in records}
    delta: dict[tuple[str, str], float] = {}

    def add(code: str, fld: str, amount: float) -> None:
        delta[(code, fld)] = delta.get((code, fld), 0.0) + amount

    for a in actions:
        if a.kind in FACILITY_ACTIONS:
            add(a.school_code, FACILITY_ACTIONS[a.kind][0], a.amount)
        elif a.kind in TEACHER_ACTIONS:
            for base in TEACHER_ACTIONS[a.kind]:
                add(a.school_code, f"{base}_{a.level}", a.amount)
        elif a.kind.startswith("transfer_") and a.to_school_code:
            for base in TRANSFER_KINDS[a.kind.removeprefix("transfer_")]:
                add(a.school_code, f"{base}_{a.level}", -a.amount)
                add(a.to_school_code, f"{base}_{a.level}", a.amount)
    out = []
    for (code, fld), d in sorted(delta.items()):
        if d == 0:
            continue
        before = float(by_code[code].stats.get(fld) or 0.0)
        out.append(Change(code, fld, before, round(before + d, 2)))
    return out


def schedule_plan(
    records: Sequence[SchoolRecord],
    profile: Profile,
    actions: Sequence[Action],
    start_year: int,
    budgets: Sequence[float | None],
) -> Schedule:
    """Spread `actions` over the years from `start_year`, one budget per year (None: no limit)."""
    base = evaluate_county(records, profile)
    packages = packages_of(actions, base)
    years = [YearPlan(start_year + i, budget) for i, budget in enumerate(budgets)]
    carry = 0.0
    waiting = list(packages)
    done: list[Action] = []
    for y in years:
        room = math.inf if y.budget is None else y.budget + carry
        left = []
        for p in waiting:
            if p.cost <= room + 1e-6:
                y.packages.append(p)
                room -= p.cost
            else:
                left.append(p)
        waiting = left
        carry = 0.0 if y.budget is None else max(room, 0.0)
        done.extend(a for p in y.packages for a in p.actions)
        result = evaluate_county(apply_changes(records, changes_of_actions(records, done)), profile)
        _figures(y, result)
    return Schedule(years, waiting)


def _figures(y: YearPlan, result: CountyResult) -> None:
    from planner.optimise import county_verdict

    judged = [ur.compliance for ur in result.units if ur.unit.included and ur.compliance is not None]
    counted = [c for c in judged if c.passes is not None]
    y.compliance_share = 100.0 * sum(1 for c in counted if c.passes) / len(counted) if counted else None
    y.cvs = {
        level: {key: ir.cv.cv for key, ir in lr.indicators.items()} for level, lr in result.levels.items() if lr.units
    }
    y.passes = county_verdict(result)[0]
    y.values = {(ur.unit.school_code, ur.unit.level): dict(ur.values) for ur in result.units if ur.unit.included}
