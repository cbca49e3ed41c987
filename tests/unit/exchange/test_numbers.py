"""Numbers as the bureau's sheets write them (schools.validation.parse_value): thousands
separators when unambiguous, never a decimal comma; dates are not numbers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from schools.validation import parse_value


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("students_primary", "1,200", 1200),
        ("teaching_area", "1,200.5", Decimal("1200.5")),
        ("equipment_value", "12,345,678.90", Decimal("12345678.90")),
        ("books", "\uff11\uff0c\uff12\uff10\uff10", 1200),  # full-width digits and comma
        ("students_primary", " 1,200 ", 1200),
        ("teaching_area", "1.5", Decimal("1.5")),
    ],
)
def test_unambiguous_separators_are_accepted(key: str, raw: str, expected: Any) -> None:
    assert parse_value(key, raw) == (expected, None)


@pytest.mark.parametrize("raw", ["1.200,5", "12,00", "1,2345", "1,20,000", ",120", "1,200,"])
def test_ambiguous_separators_are_refused_with_the_value(raw: str) -> None:
    value, error = parse_value("teaching_area", raw)
    assert value is None
    assert error is not None and "数字格式不明确" in error and raw in error


@pytest.mark.parametrize("raw", [datetime(1900, 4, 30), date(2025, 9, 1)])  # noqa: DTZ001 - spreadsheet dates
def test_a_date_is_not_a_number(raw: Any) -> None:
    value, error = parse_value("students_primary", raw)
    assert value is None
    assert error is not None and "日期" in error
