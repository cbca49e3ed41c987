"""The naive plan: every school raised to 100 % of every standard it misses, nothing else.

This is what a clerk does in Excel, and the yardstick the planner's plan is shown against. Per
unit (a school or a section of a mixed one) and missed indicator: facilities are added to the
school so that the unit reaches its standard (a mixed school's addition is shared by its
sections, so the school adds enough for the neediest section); qualified and PE/art teachers are
hired; 骨干 teachers are designated from the section's qualified teachers who are not yet 骨干,
and hired as qualified teachers first when there are not enough.
"""

from __future__ import annotations

import math

import numpy as np

from planner.model import FloatArray, Problem


def naive_actions(problem: Problem) -> FloatArray:
    """The naive plan as an action vector of `problem`."""
    x = np.zeros(problem.n)
    profile = problem.profile
    factors = np.array([r.factor for r in profile.indicators])
    index = {(var.kind, var.school, var.level): v for v, var in enumerate(problem.vars)}
    from indicators.formulas import LEVELS

    numer = [r.numerator for r in profile.indicators]
    for u in range(len(problem.unit_school)):
        s = int(problem.unit_school[u])
        level = LEVELS[int(problem.unit_level[u])]
        students = float(problem.students[u])
        needs: dict[str, float] = {}
        for j in np.flatnonzero(~np.isnan(problem.standards[u])).tolist():
            have = float(problem.base[u, j])
            if math.isnan(have):
                continue
            required = float(problem.standards[u, j]) * students / float(factors[j])
            value = factors[j] * have / students if students else math.inf
            if value >= problem.standards[u, j]:
                continue
            needs[numer[j]] = required - have
        for fld, need in needs.items():
            if fld in ("qualified_teachers", "pe_art_teachers", "backbone_teachers", "teachers"):
                continue
            kind = {
                "teaching_area": "teaching_area",
                "sports_area": "sports_ground",
                "equipment_value": "equipment",
                "multimedia_rooms": "multimedia_rooms",
                "computers": "computers",
                "books": "books",
            }.get(fld)
            v = index.get((kind or "", s, None))
            if v is None:
                continue
            # The unit gets its share of what the school adds.
            share = float(problem.effect[numer.index(fld)][u, v]) or 1.0
            amount = need / share
            amount = math.ceil(amount - 1e-9)
            x[v] = max(x[v], amount)
        hire_pe = index.get(("hire_pe_art", s, level))
        hire_q = index.get(("hire_qualified", s, level))
        designate = index.get(("designate_backbone", s, level))
        hired = 0.0
        if "pe_art_teachers" in needs and hire_pe is not None:
            x[hire_pe] = math.ceil(needs["pe_art_teachers"] - 1e-9)
            hired += x[hire_pe]
        if "qualified_teachers" in needs and hire_q is not None:
            # PE/art teachers hired above are qualified too.
            x[hire_q] = max(0, math.ceil(needs["qualified_teachers"] - hired - 1e-9))
            hired += x[hire_q]
        if "backbone_teachers" in needs and designate is not None:
            want = math.ceil(needs["backbone_teachers"] - 1e-9)
            record = problem.records[s]
            qualified = record.stats.get(f"qualified_teachers_{level}") or 0.0
            backbone = record.stats.get(f"backbone_teachers_{level}") or 0.0
            free = max(0.0, qualified + hired - backbone)
            if want > free and hire_q is not None:
                x[hire_q] += want - free
            x[designate] = want
    return x
