"""The student-weighted population CV, 差异系数 (standards.md §4.1; edge cases §4.3).

For one indicator at one level, over the units i that enter (students P_i > 0 and a reported
raw total T_i in the numerator's unit: m², 元, teachers, rooms):

    X_i = factor·T_i/P_i,  P = ΣP_i,  mean = factor·ΣT_i/P  (the county aggregate ratio),
    S = sqrt(Σ (P_i/P)·(X_i − mean)²)  (population form),  CV = S / mean.

`group_cv` computes it for many groups at once (a county and a level each) with array
arithmetic; `weighted_cv` is the same for one list of points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np

from indicators.formulas.catalogue import Note
from indicators.formulas.table import FloatArray, IntArray


class CVTerm(NamedTuple):
    """One unit's row in the 差异系数 calculation (§4.1, §10.2).

    weight = P_i / P; term = weight x (X_i - mean)²; share = term / sum of terms (0 if that is 0).
    """

    school_code: str
    level: str
    students: int
    value: float
    weight: float
    term: float
    share: float


@dataclass(frozen=True, slots=True)
class CVResult:
    """The CV of one indicator at one level; ``total_resource`` is in the numerator's unit."""

    units: int
    total_resource: float
    total_students: int
    mean: float | None
    sd: float | None
    cv: float | None
    terms: tuple[CVTerm, ...]
    note: Note | None


#: Why a CV has no ordinary value, by code in `GroupCV.note` (0: it has one).
CV_NOTES: Final = (None, Note("cv_empty"), Note("cv_zero_mean"), Note("cv_single"))


@dataclass(frozen=True, slots=True)
class GroupCV:
    """The CVs of G groups (per group arrays) and each point's part in its group's CV."""

    units: IntArray
    total_students: FloatArray
    total_resource: FloatArray
    mean: FloatArray  # NaN when the group is empty
    sd: FloatArray
    cv: FloatArray  # NaN when undefined
    note: IntArray  # index in CV_NOTES
    value: FloatArray  # per point: X_i
    weight: FloatArray
    term: FloatArray
    share: FloatArray


def group_cv(group: IntArray, groups: int, students: FloatArray, totals: FloatArray, factor: float) -> GroupCV:
    """The weighted CV of each group over its points (``group[i]`` in 0..groups-1).

    Every point must enter: students > 0 and a reported total. Edge cases never raise: an empty
    group has no mean, SD or CV ("没有参与计算的学校"); a mean of 0 makes the CV undefined, not 0
    ("均值为 0,差异系数无定义"); a single point gives CV 0 ("只有一所学校").
    """
    units = np.bincount(group, minlength=groups)
    total_students = np.bincount(group, students, minlength=groups).astype(np.float64)
    total_resource = np.bincount(group, totals, minlength=groups).astype(np.float64)
    empty = units == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # The mean is the aggregate ratio of raw totals, not a mean of rounded values (§4.1).
        mean = np.where(empty, np.nan, factor * total_resource / total_students)
        values = factor * totals / students
        weight = students / total_students[group]
        term = weight * (values - mean[group]) ** 2
        sum_terms = np.bincount(group, term, minlength=groups)
        sd = np.where(empty, np.nan, np.sqrt(sum_terms))
        zero_mean = ~empty & (mean == 0)
        single = ~empty & ~zero_mean & (units == 1)
        cv = np.where(empty | zero_mean, np.nan, np.where(single, 0.0, sd / mean))
        positive = sum_terms[group] > 0
        share = np.where(positive, term / np.where(positive, sum_terms[group], 1.0), 0.0)
    note = np.select([empty, zero_mean, single], [1, 2, 3], default=0)
    return GroupCV(units, total_students, total_resource, mean, sd, cv, note, values, weight, term, share)


def _number(value: float) -> float | None:
    return None if value != value else float(value)


def weighted_cv(
    points: Sequence[tuple[str, int, float | None]],
    factor: float = 1.0,
    *,
    level: str = "",
) -> CVResult:
    """Student-weighted population CV (差异系数) of one indicator at one level (§4.1).

    ``points`` are ``(school_code, students P_i, raw numerator total T_i)`` -- the raw total in
    the numerator's unit (m², 元, teachers, rooms), *not* the per-student value. Points with
    P_i <= 0 or T_i None are skipped (the caller lists those units as excluded). See `group_cv`
    for the edge cases.
    """
    kept = [(code, p, float(t)) for code, p, t in points if p > 0 and t is not None]
    students = np.array([p for _c, p, _t in kept], dtype=np.float64)
    totals = np.array([t for _c, _p, t in kept], dtype=np.float64)
    result = group_cv(np.zeros(len(kept), dtype=np.int64), 1, students, totals, factor)
    return cv_result(result, 0, [(code, p) for code, p, _t in kept], level, np.arange(len(kept)))


def cv_result(result: GroupCV, group: int, points: Sequence[tuple[str, int]], level: str, rows: IntArray) -> CVResult:
    """Group `group` of `result` as a CVResult; `points` are its (code, students) in order and
    `rows` their positions in the point arrays of `result`."""
    columns = zip(
        points,
        result.value[rows].tolist(),
        result.weight[rows].tolist(),
        result.term[rows].tolist(),
        result.share[rows].tolist(),
        strict=True,
    )
    return CVResult(
        units=int(result.units[group]),
        total_resource=float(result.total_resource[group]),
        total_students=int(result.total_students[group]),
        mean=_number(result.mean[group]),
        sd=_number(result.sd[group]),
        cv=_number(result.cv[group]),
        terms=tuple(CVTerm(code, level, p, x, w, t, share) for (code, p), x, w, t, share in columns),
        note=CV_NOTES[int(result.note[group])],
    )
