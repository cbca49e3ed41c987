"""Solving a planning problem: a mixed-integer programme with the CV cones approximated from outside.

The solver is HiGHS (through `scipy.optimize.milp`): whole teachers, rooms and computers are
integer columns, the per-school "which indicator may stay between 85 % and 100 %" choice a binary
per unit and indicator. The CV cones are not linear; they are replaced by tangent planes (outer
approximation, Kelley's cutting planes): solve, find each CV the solution breaks, add the plane
touching its cone at that point, solve again, until no cone is broken. Each master problem is a
relaxation of the true one (a cone lies inside each of its tangent half-spaces), so the proven
optimum (HiGHS's dual bound) of every master is a lower bound of the cheapest plan: the lower
bound reported. For the 2012 composite rule (mean of the CVs ≤ c), each CV gets an epigraph
variable t ≥ ‖r‖ (cut the same way) and Σ t·√P/S_ref ≤ K·c, with S_ref the indicator's total
before the plan (a plan only adds, so this is on the safe side) or, for the lower bound, the
most the plan's money could add.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from planner.model import FloatArray, Group, Problem

SLACK_PENALTY: Final = 1000.0  # per unit of a missed fraction of a standard or CV line (soft mode)
DISP = False


@dataclass
class Solution:
    status: str  # optimal | time_limit | infeasible | no_solution
    x: FloatArray  # the actions (rounded to whole units)
    cost: float
    bound: float  # a lower bound of the model's cheapest plan (nan when unknown)
    iterations: int
    cuts: int
    seconds: float
    slack: float = 0.0  # soft mode: how much of the rules is still missed (0 = none)
    notes: list[str] = field(default_factory=list)


def group_norm(problem: Problem, group: Group, totals: FloatArray) -> tuple[float, float, FloatArray]:
    """(‖r‖, S, r) of a group at the unit totals `totals` (units, indicators)."""
    t = totals[group.rows, group.indicator]
    sq = np.sqrt(group.students)
    s = float(t.sum())
    r = t / sq - sq * s / float(group.students.sum())
    return float(np.linalg.norm(r)), s, r


class _Master:
    """The growing master problem: static rows plus the cuts added so far."""

    def __init__(
        self,
        problem: Problem,
        *,
        budget: float | None,
        soft: bool,
        cost_scale: float,
        margin: float,
        composite_ref: dict[int, FloatArray] | None,
        req_margin: float,
    ) -> None:
        self.p = problem
        self.margin = margin
        n = problem.n
        profile = problem.profile
        rule = profile.school_rule
        cols_cost: list[float] = [v.cost / cost_scale for v in problem.vars]
        integrality: list[int] = [1 if v.integer else 0 for v in problem.vars]
        lower: list[float] = [0.0] * n
        upper: list[float] = [v.upper for v in problem.vars]
        rows: list[tuple[dict[int, float], float, float]] = list(problem.extra_rows)

        def new_col(cost: float, integer: int, lo: float, hi: float) -> int:
            cols_cost.append(cost)
            integrality.append(integer)
            lower.append(lo)
            upper.append(hi)
            return len(cols_cost) - 1

        # The school rule, per fixable unit.
        factors = np.array([r.factor for r in profile.indicators])
        floor_ratio = rule.floor_ratio or 0.0
        effect_rows = [e.tolil() for e in problem.effect]
        for u in np.flatnonzero(problem.fixable).tolist():
            assessed = np.flatnonzero(~np.isnan(problem.standards[u])).tolist()
            if not assessed:
                continue
            allowed = len(assessed)
            if rule.min_met is not None:
                allowed = min(allowed, len(assessed) - rule.min_met)
            if rule.max_failing is not None:
                allowed = min(allowed, rule.max_failing)
            allowed = max(allowed, 0)
            z_row: dict[int, float] = {}
            for j in assessed:
                req = float(problem.standards[u, j] * problem.students[u] / factors[j])
                req *= 1.0 + req_margin
                floor = floor_ratio * req
                have = float(problem.base[u, j])
                row = {int(v): float(c) for v, c in zip(effect_rows[j].rows[u], effect_rows[j].data[u], strict=True)}
                if have >= req * (1 + 1e-12) and all(c >= 0 for c in row.values()):
                    continue  # met, and nothing the plan may do lowers it
                integral = float(have).is_integer() and all(
                    problem.vars[v].integer and float(c).is_integer() for v, c in row.items()
                )
                if integral:
                    # Whole teachers or rooms: the requirement rounded up (a tighter, exact row).
                    need, need_floor, scale = (
                        float(math.ceil(req - have - 1e-9)),
                        float(math.ceil(floor - have - 1e-9)),
                        1.0,
                    )
                else:
                    # A hair above the standard: another implementation may round a shared
                    # (mixed-school) total or the division differently in the last place.
                    safe = req * (1.0 + 1e-9) + 1e-9 if have < req else req
                    need, need_floor, scale = safe - have, floor - have, 1.0 / req if req > 0 else 1.0
                row = {v: c * scale for v, c in row.items()}
                if allowed > 0 and need > need_floor:
                    z = new_col(0.0, 1, 0.0, 1.0)
                    row[z] = (need - need_floor) * scale
                    z_row[z] = 1.0
                if soft:
                    row[new_col(SLACK_PENALTY, 0, 0.0, 1.0)] = req * scale
                rows.append((row, need * scale, math.inf))
            if z_row and allowed < len(z_row):
                rows.append((z_row, -math.inf, float(allowed)))
        if budget is not None:
            rows.append(({v: var.cost for v, var in enumerate(problem.vars) if var.cost}, -math.inf, float(budget)))

        # Composite levels: epigraph t per group, one sum row per level.
        self.t_col: dict[int, int] = {}
        self.composite_row: dict[int, int] = {}
        k = len(profile.indicators)
        for li, c in problem.composite.items():
            row = {}
            for g, group in enumerate(problem.groups):
                if group.level != li or not len(group.rows):
                    continue
                t = new_col(0.0, 0, 0.0, math.inf)
                self.t_col[g] = t
                ref = composite_ref[li][group.indicator] if composite_ref else None
                s_ref = float(problem.base[group.rows, group.indicator].sum()) if ref is None else float(ref)
                coef = math.sqrt(float(group.students.sum())) / s_ref if s_ref > 0 and math.isfinite(s_ref) else 0.0
                row[t] = coef
            if soft:
                row[new_col(SLACK_PENALTY, 0, 0.0, math.inf)] = -k * c
            rows.append((row, -math.inf, k * c * (1.0 - margin)))
        # CV slacks (soft mode), one per tested group.
        self.cv_slack: dict[int, int] = {}
        if soft:
            for g, group in enumerate(problem.groups):
                if group.threshold is not None and len(group.rows) > 1:
                    self.cv_slack[g] = new_col(SLACK_PENALTY, 0, 0.0, math.inf)
        self.cost = np.array(cols_cost)
        self.integrality = np.array(integrality)
        self.bounds = Bounds(np.array(lower), np.array(upper))
        self.rows = rows
        self.cuts = 0

    def add_cut(self, g: int, x: FloatArray) -> bool:
        """Add the tangent plane of group g's cone at actions x; False if x keeps the cone."""
        p = self.p
        group = p.groups[g]
        j = group.indicator
        totals_hat = p.base[group.rows, j] + p.effect[j][group.rows] @ x[: p.n]
        sq = np.sqrt(group.students)
        total_p = float(group.students.sum())
        s_hat = float(totals_hat.sum())
        r_hat = totals_hat / sq - sq * s_hat / total_p
        norm = float(np.linalg.norm(r_hat))
        if norm <= 0:
            return False
        gh = r_hat / norm
        t0 = p.base[group.rows, j]
        s0 = float(t0.sum())
        r0 = t0 / sq - sq * s0 / total_p
        w = gh / sq - float(gh @ sq) / total_p
        e = p.effect[j][group.rows]
        if g in self.t_col:
            t_hat = float(x[self.t_col[g]]) if len(x) > self.t_col[g] else 0.0
            if norm <= t_hat * (1 + 1e-7) + 1e-9:
                return False
            coefs = e.T @ w
            row = {int(v): float(c) for v, c in enumerate(coefs) if c != 0.0}
            row[self.t_col[g]] = -1.0
            self._append_cut(row, -float(gh @ r0))
        else:
            assert group.threshold is not None
            c = group.threshold * (1.0 - self.margin)
            if norm <= c * s_hat / math.sqrt(total_p) * (1 + 1e-9):
                return False
            coefs = e.T @ (w - c / math.sqrt(total_p))
            row = {int(v): float(cf) for v, cf in enumerate(coefs) if cf != 0.0}
            if g in self.cv_slack:
                row[self.cv_slack[g]] = -max(c * s0 / math.sqrt(total_p), 1e-9)
            self._append_cut(row, c * s0 / math.sqrt(total_p) - float(gh @ r0))
        self.cuts += 1
        return True

    def _append_cut(self, row: dict[int, float], rhs: float) -> None:
        """A cut row scaled to a largest coefficient of 1 (HiGHS prefers rows of one scale)."""
        big = max((abs(c) for c in row.values()), default=1.0) or 1.0
        self.rows.append(({v: c / big for v, c in row.items()}, -math.inf, rhs / big))

    def solve(self, time_limit: float, gap: float) -> tuple[int, FloatArray | None, float, float]:
        data: list[float] = []
        ri: list[int] = []
        ci: list[int] = []
        lo = np.empty(len(self.rows))
        hi = np.empty(len(self.rows))
        for i, (row, a, b) in enumerate(self.rows):
            ri.extend([i] * len(row))
            ci.extend(row.keys())
            data.extend(row.values())
            lo[i], hi[i] = a, b
        a_matrix = sparse.csr_matrix((data, (ri, ci)), shape=(len(self.rows), len(self.cost)))
        constraints = [LinearConstraint(a_matrix, lo, hi)] if len(self.rows) else []
        res = milp(
            self.cost,
            integrality=self.integrality,
            bounds=self.bounds,
            constraints=constraints,
            options={"time_limit": max(time_limit, 0.05), "mip_rel_gap": gap, "presolve": True, "disp": DISP},
        )
        bound = getattr(res, "mip_dual_bound", None)
        fun = res.fun if res.x is not None else math.nan
        return (
            int(res.status),
            (None if res.x is None else np.asarray(res.x)),
            float(fun),
            (float(bound) if bound is not None and math.isfinite(bound) else float(fun)),
        )


def round_actions(problem: Problem, x: FloatArray) -> FloatArray:
    """Whole teachers and rooms (nearest), whole m², 元 and books (up)."""
    out = np.empty(problem.n)
    for v, var in enumerate(problem.vars):
        value = max(float(x[v]), 0.0)
        out[v] = round(value) if var.integer else math.ceil(value - 1e-7)
        out[v] = max(out[v], 0.0)
    return out


def solve(
    problem: Problem,
    *,
    budget: float | None = None,
    soft: bool = False,
    time_limit: float = 8.0,
    gap: float = 1e-6,
    margin: float = 1e-7,
    req_margin: float = 0.0,
    composite_ref: dict[int, FloatArray] | None = None,
    max_iterations: int = 60,
    start: list[tuple[int, FloatArray]] | None = None,
) -> Solution:
    """Cheapest actions meeting the rules (soft: missing them at a penalty), cones cut lazily."""
    began = time.monotonic()
    cost_scale = 1.0
    if soft:
        cost_scale = max(1.0, float(budget or 0.0), float(problem.cost_vector().max(initial=1.0)))
    master = _Master(
        problem,
        budget=budget,
        soft=soft,
        cost_scale=cost_scale,
        margin=margin,
        composite_ref=composite_ref,
        req_margin=req_margin,
    )
    zero = np.zeros(len(master.cost))
    for g, group in enumerate(problem.groups):
        if len(group.rows) > 1 and (group.threshold is not None or g in master.t_col):
            master.add_cut(g, zero)
    for g, point in start or []:
        if g < len(problem.groups):
            master.add_cut(g, point)
    # Converge the cones on the continuous relaxation first: LPs are cheap, and most of the
    # tangent planes the integer problem needs are found there.
    integrality = master.integrality
    master.integrality = np.zeros_like(integrality)
    for _ in range(40):
        if time.monotonic() - began > time_limit / 3:
            break
        status, x, _fun, _dual = master.solve(time_limit / 3, gap)
        if x is None:
            break
        added = False
        for g, group in enumerate(problem.groups):
            if len(group.rows) > 1 and (group.threshold is not None or g in master.t_col):
                added = master.add_cut(g, x) or added
        if not added:
            break
    master.integrality = integrality
    x_full: FloatArray | None = None
    bound = math.nan
    status_text = "optimal"
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        remaining = time_limit - (time.monotonic() - began)
        status, x, _fun, dual = master.solve(remaining, gap)
        if status == 2:
            return Solution(
                "infeasible", np.zeros(problem.n), math.nan, math.inf, iterations, master.cuts, time.monotonic() - began
            )
        if x is None:
            status_text = "no_solution"
            bound = dual * cost_scale if not soft else math.nan
            break
        x_full = x
        bound = dual * cost_scale if not soft else math.nan
        if status == 1:
            status_text = "time_limit"
        added = False
        for g, group in enumerate(problem.groups):
            if len(group.rows) > 1 and (group.threshold is not None or g in master.t_col):
                added = master.add_cut(g, x) or added
        if not added or time.monotonic() - began > time_limit:
            if added:
                status_text = "time_limit"
            break
    if x_full is None:
        return Solution(
            status_text, np.zeros(problem.n), math.nan, bound, iterations, master.cuts, time.monotonic() - began
        )
    xr = round_actions(problem, x_full[: problem.n])
    costs = problem.cost_vector()
    if budget is not None and float(costs @ xr) > budget:
        # Rounding m², 元 and books up broke the budget: round the dearest down instead.
        for v in sorted(np.flatnonzero(xr > 0).tolist(), key=lambda v: -costs[v]):
            if not problem.vars[v].integer:
                xr[v] = max(0.0, math.floor(float(x_full[v]) + 1e-7))
                if float(costs @ xr) <= budget:
                    break
    slack = 0.0
    if soft:
        slack = float(np.dot(master.cost[problem.n :], x_full[problem.n :])) / SLACK_PENALTY
    return Solution(
        status_text,
        xr,
        float(costs @ xr),
        bound,
        iterations,
        master.cuts,
        time.monotonic() - began,
        slack,
    )
