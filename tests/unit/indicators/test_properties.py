"""Property tests for the student-weighted CV (standards.md §4.1), using hypothesis."""

from __future__ import annotations

import math
import statistics

from hypothesis import assume, given
from hypothesis import strategies as st

from indicators.formulas import weighted_cv

students = st.integers(min_value=1, max_value=5000)
totals = st.floats(min_value=0.0, max_value=1e7, allow_nan=False, allow_infinity=False)
points = st.lists(st.tuples(students, totals), min_size=2, max_size=60).map(
    lambda rows: [(f"S{i}", p, t) for i, (p, t) in enumerate(rows)]
)
factors = st.sampled_from([1.0, 100.0])


def _positive_mean(rows: list[tuple[str, int, float]]) -> bool:
    return math.fsum(t for _c, _p, t in rows) > 1e-6


@given(points, st.floats(min_value=1e-3, max_value=1e3), factors)
def test_cv_is_scale_invariant(rows: list[tuple[str, int, float]], c: float, factor: float) -> None:
    assume(_positive_mean(rows))
    base = weighted_cv(rows, factor)
    scaled = weighted_cv([(code, p, c * t) for code, p, t in rows], factor)
    assert base.cv is not None and scaled.cv is not None
    assert math.isclose(scaled.cv, base.cv, rel_tol=1e-9, abs_tol=1e-9)
    assert base.mean is not None and scaled.mean is not None
    assert math.isclose(scaled.mean, c * base.mean, rel_tol=1e-9)


@given(
    st.lists(totals, min_size=2, max_size=60),
    students,
    factors,
)
def test_equal_students_gives_the_plain_population_cv(resource: list[float], p: int, factor: float) -> None:
    assume(math.fsum(resource) > 1e-6)
    rows = [(f"S{i}", p, t) for i, t in enumerate(resource)]
    values = [factor * t / p for t in resource]
    plain = statistics.pstdev(values) / statistics.fmean(values)
    result = weighted_cv(rows, factor)
    assert result.cv is not None
    assert math.isclose(result.cv, plain, rel_tol=1e-9, abs_tol=1e-9)


@given(
    st.lists(students, min_size=1, max_size=60),
    st.floats(min_value=1e-3, max_value=1e5),
    factors,
)
def test_equal_values_give_zero_cv(sizes: list[int], value: float, factor: float) -> None:
    # Totals chosen so that every school's value factor*T/P is the same.
    rows = [(f"S{i}", p, value * p / factor) for i, p in enumerate(sizes)]
    result = weighted_cv(rows, factor)
    assert result.mean is not None and result.mean > 0
    assert result.cv is not None
    assert result.cv <= 1e-12


@given(points, factors)
def test_shares_sum_to_one_when_variance_is_positive(rows: list[tuple[str, int, float]], factor: float) -> None:
    result = weighted_cv(rows, factor)
    sum_terms = math.fsum(t.term for t in result.terms)
    assume(sum_terms > 0)
    assert math.isclose(math.fsum(t.share for t in result.terms), 1.0, rel_tol=1e-9)
    assert all(0.0 <= t.share <= 1.0 + 1e-12 for t in result.terms)


@given(points, factors)
def test_mean_is_the_ratio_of_raw_totals(rows: list[tuple[str, int, float]], factor: float) -> None:
    result = weighted_cv(rows, factor)
    total_p = sum(p for _c, p, _t in rows)
    weighted_mean = math.fsum(p * (factor * t / p) for _c, p, t in rows) / total_p
    assert result.mean is not None
    assert result.total_students == total_p
    assert math.isclose(result.mean, weighted_mean, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(result.mean, factor * math.fsum(t for _c, _p, t in rows) / total_p, rel_tol=1e-15)
