"""The student-weighted population CV, 差异系数 (standards.md §4.1; edge cases §4.3)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple


class CVTerm(NamedTuple):
    """One unit's row in the 差异系数 calculation (§4.1, §10.2).

    weight = P_i / P; term = weight x (X_i - mean)²; share = term / sum of terms (0 if that is 0).
    A NamedTuple rather than a frozen dataclass: one is built per unit and indicator (1.4 M for
    a whole country) and a tuple is about three times cheaper to create; it is just as immutable.
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
    note: str | None


_EMPTY_CV: Final = CVResult(0, 0.0, 0, None, None, None, (), "没有参与计算的学校")


# CVTerm rows are built with tuple.__new__ directly: it skips the NamedTuple's generated
# wrapper, which matters at 1.4 million rows.
_new_tuple = tuple.__new__


def _cv(points: Sequence[tuple[str, int, float]], factor: float, level: str) -> CVResult:
    """Weighted CV over pre-filtered ``(code, students > 0, reported total)`` points."""
    n = len(points)
    if n == 0:
        return _EMPTY_CV
    total_students = sum([p for _code, p, _total in points])
    total_resource = math.fsum([t for _code, _p, t in points])
    # The county mean is the aggregate ratio of raw totals, not a mean of rounded values (§4.1).
    mean = factor * total_resource / total_students
    values = [factor * t / p for _code, p, t in points]
    weights = [p / total_students for _code, p, _total in points]
    terms = [w * (x - mean) ** 2 for w, x in zip(weights, values, strict=True)]
    sum_terms = math.fsum(terms)
    sd = math.sqrt(sum_terms)
    note: str | None = None
    cv: float | None
    if mean == 0:
        cv = None
        note = "均值为 0,差异系数无定义"
    elif n == 1:
        cv = 0.0
        note = "只有一所学校"
    else:
        cv = sd / mean
    # Divide rather than multiply by 1/sum: with tiny (subnormal) terms 1/sum overflows to inf.
    shares = [term / sum_terms for term in terms] if sum_terms > 0 else [0.0] * n
    rows: tuple[CVTerm, ...] = tuple(
        [
            _new_tuple(CVTerm, (point[0], level, point[1], x, w, term, share))
            for point, x, w, term, share in zip(points, values, weights, terms, shares, strict=True)
        ]
    )
    return CVResult(n, total_resource, total_students, mean, sd, cv, rows, note)


def weighted_cv(
    points: Sequence[tuple[str, int, float | None]],
    factor: float = 1.0,
    *,
    level: str = "",
) -> CVResult:
    """Student-weighted population CV (差异系数) of one indicator at one level (§4.1).

    ``points`` are ``(school_code, students P_i, raw numerator total T_i)`` -- the raw total in
    the numerator's unit (m², 元, teachers, rooms), *not* the per-student value. Then
    X_i = factor*T_i/P_i, mean = factor*ΣT/ΣP (= Σ P_i*X_i / P), S = sqrt(Σ (P_i/P)(X_i-mean)²),
    CV = S / mean (dimensionless). Sums use math.fsum. Points with P_i <= 0 or T_i None are
    skipped (the caller lists those units as excluded).

    Edge cases never raise: no points -> mean/sd/cv None ("没有参与计算的学校"); mean 0 ->
    cv None ("均值为 0,差异系数无定义"); a single point -> cv 0.0 ("只有一所学校").
    """
    kept = [(code, p, total) for code, p, total in points if p > 0 and total is not None]
    return _cv(kept, factor, level)
