"""The cheapest plan that makes a county pass: build, solve, round, verify with the engine, repair.

`plan_to_pass` is the entry point (the command, the page, the API and the bench call it). Every
plan it returns has been applied to the county's own records (`indicators.whatif.apply_changes`)
and evaluated by the engine (`evaluate_county`): ``passes`` is the engine's verdict, never the
model's. Beside the plan it gives the naive plan's cost (every school raised to 100 % of every
standard it misses) and whether that plan passes the CV lines, and a proven lower bound of the
cheapest plan (see `planner.solve`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from indicators.formulas import LEVELS, CountyResult, Profile, SchoolRecord, evaluate_county
from indicators.whatif import Change, apply_changes
from planner.costs import UnitCosts
from planner.model import FACILITY_ACTIONS, CapError, Caps, FloatArray, Problem, build
from planner.naive import naive_actions
from planner.solve import Solution, solve

#: Unit of each action's amount, for tables.
ACTION_UNITS: dict[str, str] = {
    "teaching_area": "m²",
    "sports_ground": "m²",
    "equipment": "元",
    "multimedia_rooms": "间",
    "computers": "台",
    "books": "册",
    "hire_qualified": "人",
    "hire_pe_art": "人",
    "designate_backbone": "人",
}


@dataclass(frozen=True)
class Action:
    """One line of a plan: what is done at a school (or moved between two), how much, at what cost."""

    kind: str  # a FACILITY_ACTIONS / TEACHER_ACTIONS key or "transfer_<kind>"
    school_code: str
    school_name: str
    level: str | None
    amount: float
    unit: str
    cost: float
    to_school_code: str | None = None  # transfers: the receiving school
    to_school_name: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "school_code": self.school_code,
            "school_name": self.school_name,
            "level": self.level,
            "amount": _number(self.amount),
            "unit": self.unit,
            "cost_yuan": round(self.cost, 2),
            "to_school_code": self.to_school_code,
            "to_school_name": self.to_school_name,
        }


@dataclass
class PlanResult:
    """A plan, its cost beside the naive plan's and the lower bound, and the engine's verdict."""

    changes: list[Change]
    actions: list[Action]
    cost_yuan: float
    naive_cost_yuan: float
    naive_passes: bool
    lower_bound_yuan: float
    passes: bool
    failing: list[str] = field(default_factory=list)  # what still fails (engine), in Chinese
    binding: str | None = None  # budget | caps | data: the constraint that keeps a plan from passing
    needed_yuan: float | None = None  # when the budget binds: the cheapest passing plan's cost
    status: str = "optimal"
    seconds: float = 0.0
    iterations: int = 0
    cuts: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "changes": [c.to_json() for c in self.changes],
            "cost_yuan": round(self.cost_yuan, 2),
            "naive_cost_yuan": round(self.naive_cost_yuan, 2),
            "lower_bound_yuan": round(self.lower_bound_yuan, 2),
            "passes": self.passes,
            "naive_passes": self.naive_passes,
            "binding": self.binding,
            "needed_yuan": None if self.needed_yuan is None else round(self.needed_yuan, 2),
            "still_failing": self.failing,
            "actions": [a.to_json() for a in self.actions],
            "solver": {
                "status": self.status,
                "seconds": round(self.seconds, 3),
                "iterations": self.iterations,
                "cuts": self.cuts,
            },
        }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def county_verdict(result: CountyResult) -> tuple[bool, list[str]]:
    """Whether the engine's result passes (every judged unit and every level with units), and what fails."""
    failing: list[str] = []
    labels = {rule.key: rule.label for rule in result.profile.indicators}
    for ur in result.units:
        c = ur.compliance
        if ur.unit.included and c is not None and c.passes is False:
            what = "、".join(labels[k] for k in c.failing)
            failing.append(f"{ur.unit.school_code} {ur.unit.school_name}({_level_zh(ur.unit.level)}): {what}")
    for level, lr in result.levels.items():
        if lr.units and lr.passes is not True:
            if lr.composite is not None and lr.composite_threshold is not None:
                failing.append(f"{_level_zh(level)}综合差异系数 {lr.composite:.3f} > {lr.composite_threshold}")
            for ir in lr.indicators.values():
                if ir.passes is False and ir.cv.cv is not None:
                    failing.append(f"{_level_zh(level)}{labels[ir.key]}差异系数 {ir.cv.cv:.3f} > {ir.threshold}")
            if lr.passes is None:
                failing.append(f"{_level_zh(level)}差异系数无法判定")
    return not failing, failing


def _level_zh(level: str) -> str:
    return "小学" if level == "primary" else "初中"


def changes_of(problem: Problem, x: FloatArray) -> list[Change]:
    """The plan as changes of the statistics: `from` the county's figure, `to` the planned one."""
    delta: dict[tuple[int, str], float] = {}
    for v in np.flatnonzero(x > 0).tolist():
        var = problem.vars[v]
        for fld, sign in var.fields:
            delta[(var.school, fld)] = delta.get((var.school, fld), 0.0) + sign * float(x[v])
    out = []
    for (s, fld), d in sorted(delta.items()):
        if d == 0:
            continue
        record = problem.records[s]
        before = float(record.stats.get(fld) or 0.0)
        after = round(before + d, 2)
        out.append(Change(record.school_code, fld, _number(before), _number(after)))
    return out


def actions_of(problem: Problem, x: FloatArray) -> list[Action]:
    """The plan as lines by school; moved teachers paired donor -> receiver."""
    records = problem.records
    out: list[Action] = []
    pools: dict[tuple[str | None, str], tuple[list[list[float]], list[list[float]]]] = {}
    for v in np.flatnonzero(x > 0).tolist():
        var = problem.vars[v]
        amount = float(x[v])
        if var.kind.startswith(("out_", "in_")):
            direction, kind = var.kind.split("_", 1)
            pool = pools.setdefault((var.level, kind), ([], []))
            pool[0 if direction == "out" else 1].append([float(var.school), amount])
            continue
        r = records[var.school]
        out.append(
            Action(
                var.kind,
                r.school_code,
                r.school_name,
                var.level,
                amount,
                ACTION_UNITS.get(var.kind, ""),
                var.cost * amount,
            )
        )
    for (level, kind), (donors, receivers) in sorted(pools.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        di = 0
        for receiver in receivers:
            while receiver[1] > 0 and di < len(donors):
                moved = min(receiver[1], donors[di][1])
                a, b = records[int(donors[di][0])], records[int(receiver[0])]
                out.append(
                    Action(
                        f"transfer_{kind}",
                        a.school_code,
                        a.school_name,
                        level,
                        moved,
                        "人",
                        moved * problem.costs.transfer,
                        b.school_code,
                        b.school_name,
                    )
                )
                receiver[1] -= moved
                donors[di][1] -= moved
                if donors[di][1] <= 0:
                    di += 1
    out.sort(key=lambda a: (a.school_code, a.kind))
    return out


def _check(problem: Problem, x: FloatArray) -> tuple[bool, list[str], list[Change]]:
    changes = changes_of(problem, x)
    result = evaluate_county(apply_changes(problem.records, changes), problem.profile)
    ok, failing = county_verdict(result)
    return ok, failing, changes


def _composite_ref(problem: Problem, upper_cost: float) -> dict[int, FloatArray]:
    """Per composite level, the most each indicator's total can grow with `upper_cost` spent."""
    k = len(problem.profile.indicators)
    ref: dict[int, FloatArray] = {}
    cost = problem.cost_vector()
    for li in problem.composite:
        totals = np.full(k, math.inf)
        for group in problem.groups:
            if group.level != li or not len(group.rows):
                continue
            gain = np.asarray(problem.effect[group.indicator][group.rows].sum(axis=0)).ravel()
            ratio = np.where(gain > 0, gain / np.where(cost > 0, cost, 1.0), 0.0)
            if np.any((gain > 0) & (cost <= 0)):
                continue  # free additions: no finite bound
            base = float(problem.base[group.rows, group.indicator].sum())
            totals[group.indicator] = base + upper_cost * float(ratio.max(initial=0.0))
        ref[li] = totals
    return ref


def _fine(problem: Problem, x: FloatArray) -> bool:
    """The engine finds nothing failing that the plan could have fixed (unreported figures aside)."""
    ok, failing, _changes = _check(problem, x)
    if ok:
        return True
    stuck = {(code, level) for code, level, _why in problem.unfixable_notes}
    codes = {code for code, _level in stuck}
    return all(f.split(" ", 1)[0] in codes and "差异系数" not in f for f in failing)


@dataclass
class _Attempt:
    x: FloatArray
    sol: Solution
    ok: bool
    cost: float


def _attempt(problem: Problem, budget: float | None, time_limit: float) -> tuple[_Attempt | None, Solution]:
    """Solve, round, verify with the engine; solve again on the safe side or top up if rounding fell short."""
    began = time.monotonic()
    sol = solve(problem, budget=budget, time_limit=time_limit)
    if sol.status in ("infeasible", "no_solution"):
        return None, sol
    x = sol.x
    ok = _fine(problem, x)
    for margin, req_margin in ((1e-5, 1e-9), (1e-4, 1e-7)):
        left = time_limit - (time.monotonic() - began)
        if ok or left < 0.5:
            break
        retry = solve(problem, budget=budget, time_limit=left, margin=margin, req_margin=req_margin)
        if retry.status not in ("infeasible", "no_solution"):
            sol, x = retry, retry.x
            ok = _fine(problem, x)
    if not ok:
        # Top up what rounding left short: the naive plan of the county after this plan.
        after = apply_changes(problem.records, changes_of(problem, x))
        again = build(
            after, problem.profile, problem.costs, transfers=any(v.kind.startswith("in_") for v in problem.vars)
        )
        topped = x + naive_actions(again)
        if _fine(problem, topped):
            x, ok = topped, True
    return _Attempt(x, sol, ok, float(problem.cost_vector() @ x)), sol


def plan_to_pass(
    records: Sequence[SchoolRecord],
    profile: Profile,
    costs: UnitCosts,
    *,
    budget: float | None = None,
    caps: Caps | None = None,
    time_limit: float = 8.0,
) -> PlanResult:
    """The cheapest plan (within `budget` and `caps`) after which the engine says the county passes.

    Two stages: the plan without moved teachers first (a small problem HiGHS solves to optimality
    at once, so a verified plan is always at hand), then with moves, cut off at that plan's cost,
    in the time left. The cheaper verified plan wins; the lower bound is the second stage's
    proven bound (or the first plan's cost when the second proves nothing cheaper exists).
    """
    began = time.monotonic()
    if budget is not None and (not math.isfinite(budget) or budget < 0):
        raise CapError("预算不能为负数", "the budget must not be negative")
    simple = build(records, profile, costs, caps, transfers=False)
    full = build(records, profile, costs, caps, transfers=True)
    naive_x = naive_actions(simple)
    naive_cost = float(simple.cost_vector() @ naive_x)
    naive_ok = _check(simple, naive_x)[0]

    def result(problem: Problem, x: FloatArray, sol: Solution | None, lower: float, **extra: object) -> PlanResult:
        ok, failing, changes = _check(problem, x)
        if not ok and problem.unfixable_notes and "binding" not in extra:
            extra["binding"] = "data"
        cost = float(problem.cost_vector() @ x)
        if not math.isfinite(lower):
            lower = 0.0
        return PlanResult(
            changes=changes,
            actions=actions_of(problem, x),
            cost_yuan=cost,
            naive_cost_yuan=naive_cost,
            naive_passes=naive_ok,
            lower_bound_yuan=min(lower, cost) if ok else lower,
            passes=ok,
            failing=failing
            + [f"{code}({_level_zh(level)}): {why}" for code, level, why in problem.unfixable_notes if not ok],
            status=sol.status if sol else "optimal",
            seconds=time.monotonic() - began,
            iterations=sol.iterations if sol else 0,
            cuts=sol.cuts if sol else 0,
            **extra,  # type: ignore[arg-type]
        )

    if _check(simple, np.zeros(simple.n))[0]:
        return result(simple, np.zeros(simple.n), None, 0.0)
    with_moves = full.n > simple.n
    first, first_sol = _attempt(simple, budget, time_limit * (0.3 if with_moves else 1.0))
    chosen: tuple[Problem, _Attempt] | None = (simple, first) if first and first.ok else None
    lower = first_sol.bound
    second_sol: Solution | None = None
    if with_moves:
        left = max(1.0, time_limit - (time.monotonic() - began))
        cutoff = budget
        if chosen:
            cutoff = chosen[1].cost * (1 + 1e-9) if budget is None else min(budget, chosen[1].cost * (1 + 1e-9))
        second, second_sol = _attempt(full, cutoff, left)
        if second_sol.status == "infeasible" and chosen:
            lower = chosen[1].cost  # nothing with moves is cheaper than the plan without
        elif second_sol.status == "infeasible":
            lower = math.nan
        else:
            lower = second_sol.bound
        if second and second.ok and (chosen is None or second.cost < chosen[1].cost):
            chosen = (full, second)
    naive_allowed = naive_ok and not caps and (budget is None or naive_cost <= budget)
    if chosen is None and naive_allowed:
        return result(simple, naive_x, first_sol, math.nan)
    if chosen is None:
        timed_out = "time_limit" in (first_sol.status, second_sol.status if second_sol else "")
        if timed_out and first is not None:
            return result(simple, first.x, first_sol, lower, binding="time_limit")
        return _infeasible(full if with_moves else simple, budget, caps, time_limit, began, result)
    problem, best = chosen
    x = best.x
    if problem.composite:
        # The composite rule was solved on the safe side (totals as before the plan); a proven
        # bound needs the totals the money could reach at most.
        relaxed = solve(
            full,
            budget=budget,
            time_limit=max(1.0, time_limit - (time.monotonic() - began)),
            composite_ref=_composite_ref(full, best.cost),
        )
        lower = relaxed.bound if relaxed.status != "infeasible" else best.cost
    if naive_allowed and naive_cost < best.cost:
        problem, x = simple, naive_x
    return result(problem, x, best.sol, lower)


def _infeasible(
    problem: Problem, budget: float | None, caps: Caps | None, time_limit: float, began: float, result: object
) -> PlanResult:
    """No plan passes within the constraints: say which binds and return the best plan found."""
    make = result  # the closure of plan_to_pass
    binding = "data"
    needed: float | None = None
    free: Solution | None = None
    left = max(1.0, time_limit - (time.monotonic() - began))
    if budget is not None:
        free = solve(problem, time_limit=left / 2)
        if free.status not in ("infeasible", "no_solution"):
            binding, needed = "budget", free.cost
    if binding == "data" and caps:
        binding = "caps"
    best = solve(problem, budget=budget, soft=True, time_limit=max(1.0, left / 2))
    x = best.x if best.status not in ("infeasible", "no_solution") else np.zeros(problem.n)
    lower = free.bound if free is not None and binding == "budget" else 0.0
    return make(problem, x, best, lower, binding=binding, needed_yuan=needed)  # type: ignore[operator,no-any-return]


__all__ = ["FACILITY_ACTIONS", "LEVELS", "Action", "PlanResult", "county_verdict", "plan_to_pass"]
