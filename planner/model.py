"""The planning problem of one county under one rule profile, as matrices for a MILP solver.

What the planner may do (each an *action*, a column of the problem, with its unit cost):

* add facilities to a school (whole school: a mixed school's addition is shared by its sections
  with the engine's weighted-student shares, as the engine shares the school's totals): teaching
  rooms (m²), sports ground (m², counted in 体育运动场馆面积), equipment (元), multimedia rooms,
  and for the 2012 profile computers and books; facilities are only ever added;
* hire teachers into a section (whole people): a qualified teacher (专任教师 above the statutory
  degree), or a qualified PE/art teacher;
* designate 骨干 teachers from the section's qualified teachers (through training);
* move teachers between sections of the same level (交流轮岗): a 骨干 teacher, another qualified
  teacher, a PE/art teacher (2012: a teacher with a middle title). A move is modelled as a flow:
  what leaves the donors of a level and kind arrives at the receivers; every donor is an
  evaluation unit whose own rule is in the problem, so it stays compliant after giving.

Students never move. The unit totals the engine reads are affine in the actions:
``T[u, j] = T0[u, j] + E_j[u, :] @ x`` where ``E_j`` is a sparse matrix. From them:

* the school rule "at least `min_met` of the assessed indicators meet their standard, the rest at
  least `floor_ratio` of it" is, per unit, a binary per indicator saying which may stay between
  the floor and the standard (Σ z ≤ assessed − min_met);
* the CV rule of a level and indicator, CV ≤ c, is the second-order cone
  ``‖(T_u/√P_u − √P_u·S/P)_u‖₂ ≤ c·S/√P`` with S = Σ T_u (the issue's ‖√p_i(x_i − μ)‖ ≤ c·μ·√P
  multiplied through by P); `planner.solve` approximates it from outside by tangent planes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from indicators.formulas import LEVELS, Profile, SchoolRecord
from indicators.formulas.table import school_table
from indicators.formulas.units import numerators, unit_table
from planner.costs import UnitCosts

FloatArray = npt.NDArray[np.float64]

#: Facility actions: kind -> (the statistics field it adds to, unit cost key, whole units?).
FACILITY_ACTIONS: Final[dict[str, tuple[str, str, bool]]] = {
    "teaching_area": ("teaching_area", "teaching_area_m2", False),
    "sports_ground": ("sports_area", "sports_ground_m2", False),
    "equipment": ("equipment_value", "equipment_yuan", False),
    "multimedia_rooms": ("multimedia_rooms", "multimedia_room", True),
    "computers": ("computers", "computer", True),
    "books": ("books", "book", False),
}
#: Teacher actions of a section: kind -> the teacher base fields it adds one to (a "out_" kind
#: takes one away from the same fields).
TEACHER_ACTIONS: Final[dict[str, tuple[str, ...]]] = {
    "hire_qualified": ("teachers", "qualified_teachers"),
    "hire_pe_art": ("teachers", "qualified_teachers", "pe_art_teachers"),
    "designate_backbone": ("backbone_teachers",),
}
#: Kinds of moved teacher: kind -> the fields the teacher counts in (the first after "teachers"
#: bounds how many a section can give).
TRANSFER_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "backbone": ("teachers", "qualified_teachers", "backbone_teachers"),
    "qualified": ("teachers", "qualified_teachers"),
    "pe_art": ("teachers", "pe_art_teachers"),
    "mid_title": ("teachers", "mid_title_teachers"),
}
_EPS: Final = 1e-9


@dataclass(frozen=True, slots=True)
class Caps:
    """Optional per-school limits: added teaching + sports area (site), teachers hired (quota)."""

    max_added_area: Mapping[str, float] = field(default_factory=dict)
    max_hires: Mapping[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.max_added_area or self.max_hires)


@dataclass(frozen=True, slots=True)
class Var:
    """One action column: what, where, its unit cost and bounds."""

    kind: str  # a FACILITY_ACTIONS key, a TEACHER_ACTIONS key, or "out_K"/"in_K" for a transfer
    school: int  # row in the records
    level: str | None  # the section, for teacher actions
    cost: float
    integer: bool
    upper: float
    fields: tuple[tuple[str, float], ...]  # statistics fields changed per unit of the action


@dataclass(frozen=True, slots=True)
class Group:
    """The units entering one CV (a level and an indicator) and its threshold."""

    level: int
    indicator: int
    rows: npt.NDArray[np.int64]  # positions in Problem.units
    students: FloatArray
    threshold: float | None


@dataclass
class Problem:
    """One county's planning problem (see the module docstring)."""

    records: Sequence[SchoolRecord]
    profile: Profile
    costs: UnitCosts
    unit_school: npt.NDArray[np.int64]  # included units: school row
    unit_level: npt.NDArray[np.int64]
    students: FloatArray
    base: FloatArray  # (units, indicators) numerator totals, NaN = not reported
    vars: list[Var]
    effect: list[sparse.csr_matrix]  # per indicator: (units, vars)
    groups: list[Group]
    composite: dict[int, float]  # level -> composite threshold (2012 rule)
    fixable: npt.NDArray[np.bool_]  # units the school rule can be met for (no unreported figure)
    standards: FloatArray  # (units, indicators): standard at the unit's level, NaN = not assessed
    extra_rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)
    unfixable_notes: list[tuple[str, str, str]] = field(default_factory=list)  # (code, level, why)

    @property
    def n(self) -> int:
        return len(self.vars)

    def cost_vector(self) -> FloatArray:
        return np.array([v.cost for v in self.vars], dtype=np.float64)

    def totals(self, x: FloatArray) -> FloatArray:
        """(units, indicators) numerator totals after actions `x`."""
        out = self.base.copy()
        for j, e in enumerate(self.effect):
            out[:, j] += e @ x
        return out


def _value(record: SchoolRecord, key: str) -> float | None:
    v = record.stats.get(key)
    if v is None or not math.isfinite(v):
        return None
    return float(v)


def build(
    records: Sequence[SchoolRecord],
    profile: Profile,
    costs: UnitCosts,
    caps: Caps | None = None,
    *,
    transfers: bool = True,
) -> Problem:
    """The planning problem of `records` under `profile` priced with `costs` (with or without moves)."""
    caps = caps or Caps()
    table = school_table([records])
    units = unit_table(table, profile)
    all_totals = numerators(units, profile)
    included = np.flatnonzero(units.included)
    unit_school = units.school[included]
    unit_level = units.level[included]
    students = units.students[included].astype(np.float64)
    base = all_totals[included].copy()
    share = units.share[included]
    numer = [rule.numerator for rule in profile.indicators]
    used = set(numer)
    k = len(numer)

    vars_: list[Var] = []
    entries: list[list[tuple[int, int, float]]] = [[] for _ in range(k)]  # (unit, var, coef)
    units_of_school: dict[int, list[int]] = {}
    for u, s in enumerate(unit_school.tolist()):
        units_of_school.setdefault(s, []).append(u)

    # Facility actions, per school with an included unit.
    for s, us in units_of_school.items():
        record = records[s]
        for kind, (fld, cost_key, whole) in FACILITY_ACTIONS.items():
            if fld not in used or _value(record, fld) is None:
                continue
            v = len(vars_)
            vars_.append(Var(kind, s, None, getattr(costs, cost_key), whole, math.inf, ((fld, 1.0),)))
            for u in us:
                for j, name in enumerate(numer):
                    if name == fld:
                        entries[j].append((u, v, float(share[u])))

    # Teacher actions, per included section.
    transfer_kinds = (
        [] if not transfers else [k for k, flds in TRANSFER_KINDS.items() if any(f in used for f in flds[1:])]
    )
    if "backbone" not in used and "qualified_teachers" not in used:
        transfer_kinds = [t for t in transfer_kinds if t != "qualified"]
    flows: dict[tuple[int, str], tuple[list[int], list[int]]] = {}
    extra_rows: list[tuple[dict[int, float], float, float]] = []
    teacher_used = used & {
        "teachers",
        "qualified_teachers",
        "backbone_teachers",
        "pe_art_teachers",
        "mid_title_teachers",
    }
    for u, (s, li) in enumerate(zip(unit_school.tolist(), unit_level.tolist(), strict=True)):
        if not teacher_used:
            break
        record = records[s]
        level = LEVELS[li]
        have = {
            base_f: _value(record, f"{base_f}_{level}")
            for base_f in TRANSFER_KINDS["backbone"] + ("pe_art_teachers", "mid_title_teachers")
        }

        add = _Adder(vars_, entries, numer, used, have, s, level, u)

        hq = add("hire_qualified", costs.teacher_year(level), TEACHER_ACTIONS["hire_qualified"], 1.0, math.inf)
        hp = (
            add("hire_pe_art", costs.teacher_year(level), TEACHER_ACTIONS["hire_pe_art"], 1.0, math.inf)
            if "pe_art_teachers" in used
            else None
        )
        d = (
            add("designate_backbone", costs.backbone_training, TEACHER_ACTIONS["designate_backbone"], 1.0, math.inf)
            if "backbone_teachers" in used
            else None
        )
        movable = record.county_run and record.ownership not in ("private", "民办")
        outs: dict[str, int] = {}
        ins: dict[str, int] = {}
        if movable:
            for kind in transfer_kinds:
                flds = TRANSFER_KINDS[kind]
                available = have[flds[-1]] if kind != "qualified" else have["qualified_teachers"]
                if available is None:
                    continue
                o = add(f"out_{kind}", 0.0, flds, -1.0, max(0.0, math.floor(available + _EPS)))
                i = add(f"in_{kind}", costs.transfer, flds, 1.0, math.inf)
                if o is None or i is None:
                    continue
                outs[kind], ins[kind] = o, i
                flows.setdefault((li, kind), ([], []))
                flows[(li, kind)][0].append(o)
                flows[(li, kind)][1].append(i)
            # What leaves cannot exceed what the section has.
            q_out = {outs[t]: 1.0 for t in ("backbone", "qualified") if t in outs}
            if len(q_out) > 1 and have["qualified_teachers"] is not None:
                extra_rows.append((q_out, -math.inf, max(0.0, have["qualified_teachers"])))
            if len(outs) > 1 and have["teachers"] is not None:
                extra_rows.append((dict.fromkeys(outs.values(), 1.0), -math.inf, max(0.0, have["teachers"])))
        if d is not None and have["qualified_teachers"] is not None and have["backbone_teachers"] is not None:
            # 骨干 are designated from the section's qualified teachers (after hires and moves).
            row = {d: 1.0}
            for col in (hq, hp, ins.get("qualified")):
                if col is not None:
                    row[col] = row.get(col, 0.0) - 1.0
            if "qualified" in outs:
                row[outs["qualified"]] = 1.0
            extra_rows.append((row, -math.inf, max(0.0, have["qualified_teachers"] - have["backbone_teachers"])))
    for outs_list, ins_list in flows.values():
        row = dict.fromkeys(outs_list, 1.0)
        row.update(dict.fromkeys(ins_list, -1.0))
        extra_rows.append((row, 0.0, 0.0))

    # Caps per school.
    code_row = {r.school_code: i for i, r in enumerate(records)}
    for code in list(caps.max_added_area) + list(caps.max_hires):
        if code not in code_row:
            raise CapError(f"上限中的学校 {code} 不在本县", f"the cap names school {code}, which is not in this county")
    for code, limit in caps.max_added_area.items():
        if not math.isfinite(limit) or limit < 0:
            raise CapError(
                f"学校 {code} 的新增面积上限不能为负数", f"the added-area cap of {code} must not be negative"
            )
        s = code_row[code]
        row = {
            v: 1.0 for v, var in enumerate(vars_) if var.school == s and var.kind in ("teaching_area", "sports_ground")
        }
        if row:
            extra_rows.append((row, -math.inf, float(limit)))
    for code, hires in caps.max_hires.items():
        if hires < 0:
            raise CapError(f"学校 {code} 的招聘上限不能为负数", f"the hiring cap of {code} must not be negative")
        s = code_row[code]
        row = {v: 1.0 for v, var in enumerate(vars_) if var.school == s and var.kind.startswith("hire_")}
        if row:
            extra_rows.append((row, -math.inf, float(hires)))

    n = len(vars_)
    effect = [
        sparse.csr_matrix(
            (
                [c for _u, _v, c in e],
                ([u for u, _v, _c in e], [v for _u, v, _c in e]),
            ),
            shape=(len(included), n),
        )
        for e in entries
    ]

    # Standards per unit.
    std_by_level = np.array(
        [
            [np.nan if (x := rule.standards.get(level)) is None else x for rule in profile.indicators]
            for level in LEVELS
        ],
        dtype=np.float64,
    ).reshape(len(LEVELS), k)
    standards = std_by_level[unit_level] if len(included) else np.zeros((0, k))
    assessed = ~np.isnan(standards)
    missing = assessed & np.isnan(base)
    fixable: npt.NDArray[np.bool_] = np.asarray(~missing.any(axis=1), dtype=np.bool_)
    notes: list[tuple[str, str, str]] = []
    min_met = profile.school_rule.min_met
    for u in range(len(included)):
        code = records[int(unit_school[u])].school_code
        if missing[u].any():
            labels = "、".join(profile.indicators[j].label for j in np.flatnonzero(missing[u]))
            notes.append((code, LEVELS[int(unit_level[u])], f"未填报: {labels}"))
        elif min_met is not None and assessed[u].sum() < min_met and assessed[u].any():
            fixable[u] = False
            notes.append((code, LEVELS[int(unit_level[u])], "评估指标少于要求达标项数"))

    groups: list[Group] = []
    composite: dict[int, float] = {}
    for li, level in enumerate(LEVELS):
        at_level = unit_level == li
        for j, rule in enumerate(profile.indicators):
            rows = np.flatnonzero(at_level & ~np.isnan(base[:, j]))
            threshold = rule.cv_thresholds.get(level) if profile.county_rule == "each_indicator" else None
            groups.append(Group(li, j, rows, students[rows], threshold))
        if profile.county_rule == "composite" and profile.composite_thresholds:
            c = profile.composite_thresholds.get(level)
            if c is not None and at_level.any():
                composite[li] = float(c)
    return Problem(
        records=records,
        profile=profile,
        costs=costs,
        unit_school=unit_school,
        unit_level=unit_level,
        students=students,
        base=base,
        vars=vars_,
        effect=effect,
        groups=groups,
        composite=composite,
        fixable=fixable,
        standards=standards,
        extra_rows=extra_rows,
        unfixable_notes=notes,
    )


@dataclass
class _Adder:
    """Adds teacher action columns of one section (unit `u`, school row `s`)."""

    vars_: list[Var]
    entries: list[list[tuple[int, int, float]]]
    numer: list[str]
    used: set[str]
    have: dict[str, float | None]
    s: int
    level: str
    u: int

    def __call__(self, kind: str, cost: float, flds: tuple[str, ...], sign: float, upper: float) -> int | None:
        if any(self.have[f] is None for f in flds) or not any(f in self.used for f in flds):
            return None
        v = len(self.vars_)
        stat_fields = tuple((f"{f}_{self.level}", sign) for f in flds)
        self.vars_.append(Var(kind, self.s, self.level, cost, True, upper, stat_fields))
        for f in flds:
            for j, name in enumerate(self.numer):
                if name == f:
                    self.entries[j].append((self.u, v, sign))
        return v


class CapError(ValueError):
    """A cap that cannot be used; the message is "中文 / English"."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en
