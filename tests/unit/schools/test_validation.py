"""Unit tests for schools.validation: pure rules, no database (no django_db marker).

Every expected value and message below is worked out by hand from the rule it checks.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from schools.fields import STAT_FIELD_BY_KEY, STAT_KEYS
from schools.validation import check_statistics, parse_value
from tests.factories import junior_values, primary_values

CJK = re.compile(r"[\u4e00-\u9fff]")


def parsed(raw: dict[str, Any]) -> dict[str, Any]:
    """Raw values → numbers, as the services do before checking."""
    out = {}
    for key in STAT_KEYS:
        value, error = parse_value(key, raw.get(key))
        assert error is None, (key, error)
        out[key] = value
    return out


def primary(**overrides: Any) -> dict[str, Any]:
    return parsed(primary_values(**overrides))


def junior(**overrides: Any) -> dict[str, Any]:
    return parsed(junior_values(**overrides))


# --- parse_value ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("students_primary", "120", 120),
        ("students_primary", "  120 ", 120),
        ("students_primary", 120, 120),
        ("students_primary", 120.0, 120),
        ("students_primary", "120.00", 120),
        ("students_primary", "0", 0),
        ("students_primary", "1,200", 1200),
        ("books", "1,234,567", 1234567),
        ("books", "12\uff0c000", 12000),  # full-width comma, as typed with a Chinese IME
        ("teaching_area", "3000.5", Decimal("3000.5")),
        ("teaching_area", "1,234.56", Decimal("1234.56")),
        ("teaching_area", 12.25, Decimal("12.25")),
        ("teaching_area", Decimal("7.10"), Decimal("7.1")),
        ("equipment_value", "2500000", Decimal(2500000)),
        ("indoor_sports_area", "0", Decimal(0)),
    ],
)
def test_accepts_non_negative_numbers(key: str, raw: Any, expected: Any) -> None:
    value, error = parse_value(key, raw)
    assert error is None
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("raw", [None, "", "   ", " , "])
def test_empty_cell_means_not_reported_rather_than_zero(raw: Any) -> None:
    assert parse_value("students_primary", raw) == (None, None)


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("students_primary", "-1", "不能为负数"),
        ("students_primary", -3, "不能为负数"),
        ("teaching_area", "-0.5", "不能为负数"),
        ("students_primary", "12.5", "应为整数"),
        ("books", 10.5, "应为整数"),
        ("students_primary", "abc", "应为数字"),
        ("students_primary", "十二", "应为数字"),
        ("students_primary", "12人", "应为数字"),
        ("teaching_area", "3000m2", "应为数字"),
        ("students_primary", "NaN", "应为数字"),
        ("students_primary", "Infinity", "应为数字"),
        ("students_primary", True, "应为数字"),
        ("students_primary", [12], "应为数字"),
    ],
)
def test_rejects_negative_fractional_and_text_values_with_a_chinese_message(key: str, raw: Any, message: str) -> None:
    value, error = parse_value(key, raw)
    assert value is None
    assert error is not None
    assert message in error
    assert CJK.search(error)


def test_text_message_quotes_what_was_typed() -> None:
    _value, error = parse_value("students_primary", " 十二 ")
    assert error == "应为数字,收到“十二”"


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("teaching_area", "12.345"),  # the model stores two decimal places
        ("equipment_value", "1000000000000"),  # more digits than the column holds
        ("teaching_area", "1e40"),
        ("students_primary", "3000000000"),  # beyond a PostgreSQL integer
    ],
)
def test_rejects_values_the_database_cannot_store_with_a_chinese_message(key: str, raw: str) -> None:
    value, error = parse_value(key, raw)
    assert value is None
    assert error is not None
    assert CJK.search(error)


# --- sub-counts never exceed their totals -------------------------------------------------------

SUB_COUNTS = [
    ("qualified_teachers_primary", "teachers_primary"),
    ("mid_title_teachers_primary", "teachers_primary"),
    ("backbone_teachers_primary", "teachers_primary"),
    ("pe_art_teachers_primary", "teachers_primary"),
    ("indoor_sports_area", "teaching_area"),
]


def test_a_consistent_school_passes_every_rule() -> None:
    assert check_statistics(primary(), school_type="primary").errors == {}
    assert check_statistics(junior(), school_type="junior").errors == {}


@pytest.mark.parametrize(("key", "total"), SUB_COUNTS)
def test_rejects_sub_count_above_total(key: str, total: str) -> None:
    values = primary()
    values[key] = values[total] + 1
    result = check_statistics(values, school_type="primary")
    assert not result.ok
    assert list(result.errors) == [key]
    (message,) = result.errors[key]
    assert STAT_FIELD_BY_KEY[key].label in message
    assert STAT_FIELD_BY_KEY[total].label in message
    assert "不能超过" in message


@pytest.mark.parametrize(("key", "total"), SUB_COUNTS)
def test_accepts_sub_count_equal_to_total(key: str, total: str) -> None:
    values = primary()
    values[key] = values[total]
    assert check_statistics(values, school_type="primary").ok


@pytest.mark.parametrize(
    "key",
    [
        "qualified_teachers_junior",
        "mid_title_teachers_junior",
        "backbone_teachers_junior",
        "pe_art_teachers_junior",
    ],
)
def test_rejects_junior_sub_count_above_junior_teachers(key: str) -> None:
    values = junior(**{key: 41})  # 40 junior teachers
    result = check_statistics(values, school_type="junior")
    assert list(result.errors) == [key]
    assert "初中专任教师数(40)" in result.errors[key][0]


def test_sub_count_message_shows_both_numbers() -> None:
    values = primary(qualified_teachers_primary=45)
    result = check_statistics(values, school_type="primary")
    assert result.errors["qualified_teachers_primary"] == ["小学高于规定学历专任教师数(45)不能超过小学专任教师数(40)"]


def test_decimal_area_message_shows_plain_numbers() -> None:
    values = primary(teaching_area="100", indoor_sports_area="100.5")
    result = check_statistics(values, school_type="primary")
    assert result.errors["indoor_sports_area"] == ["其中:室内体育用房面积(100.5)不能超过教学及辅助用房面积(100)"]


def test_sub_count_without_its_total_is_not_compared() -> None:
    values = primary(teachers_primary=None)
    assert check_statistics(values, school_type="primary").ok


# --- a section the school type lacks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("school_type", "key", "section_label"),
    [
        ("primary", "students_junior", "初中"),
        ("primary", "teachers_junior", "初中"),
        ("primary", "classes_junior", "初中"),
        ("primary", "students_senior", "高中"),
        ("teaching_point", "students_junior", "初中"),
        ("junior", "students_primary", "小学"),
        ("junior", "qualified_teachers_primary", "小学"),
        ("vocational_junior", "teachers_primary", "小学"),
        ("nine_year", "students_senior", "高中"),
        ("special", "students_senior", "高中"),
        ("complete_middle", "students_primary", "小学"),
    ],
)
def test_rejects_students_or_teachers_in_a_section_the_type_lacks(
    school_type: str, key: str, section_label: str
) -> None:
    values = dict.fromkeys(STAT_KEYS)
    values[key] = 1
    result = check_statistics(values, school_type=school_type)
    assert key in result.errors
    assert f"没有{section_label}学段" in " ".join(result.errors[key])


@pytest.mark.parametrize(
    ("school_type", "key"),
    [
        ("twelve_year", "students_senior"),
        ("complete_middle", "students_senior"),
        ("nine_year", "students_junior"),
        ("nine_year", "students_primary"),
        ("special", "students_junior"),
        ("vocational_junior", "students_junior"),
    ],
)
def test_accepts_students_in_a_section_the_type_has(school_type: str, key: str) -> None:
    values = dict.fromkeys(STAT_KEYS)
    values[key] = 1
    assert check_statistics(values, school_type=school_type).ok


def test_zero_in_a_section_the_type_lacks_is_allowed() -> None:
    values = primary(students_junior=0, teachers_junior=0)
    assert check_statistics(values, school_type="primary").ok


# --- class sizes ------------------------------------------------------------------------------


def test_rejects_students_without_classes() -> None:
    result = check_statistics(primary(classes_primary=0), school_type="primary")
    assert list(result.errors) == ["classes_primary"]


def test_no_students_and_no_classes_is_consistent() -> None:
    values = primary(students_primary=0, classes_primary=0, max_class_size_primary=0)
    assert check_statistics(values, school_type="primary").ok


def test_rejects_largest_class_bigger_than_the_section() -> None:
    values = primary(students_primary=30, classes_primary=1, max_class_size_primary=31, teachers_primary=40)
    result = check_statistics(values, school_type="primary")
    assert result.errors["max_class_size_primary"] == ["最大班额不能超过该学段在校生数"]


@pytest.mark.parametrize(
    ("students", "classes", "largest", "ok"),
    [
        (600, 15, 40, True),  # average exactly 40
        (600, 15, 39, False),
        (601, 15, 41, True),  # average 40.07 → at least 41
        (601, 15, 40, False),
        (45, 1, 45, True),
    ],
)
def test_largest_class_is_at_least_the_average_class(students: int, classes: int, largest: int, ok: bool) -> None:
    values = primary(students_primary=students, classes_primary=classes, max_class_size_primary=largest)
    result = check_statistics(values, school_type="primary")
    assert result.ok is ok
    if not ok:
        assert "小于平均班额" in result.errors["max_class_size_primary"][0]


def test_junior_class_rules_apply_to_the_junior_section() -> None:
    result = check_statistics(junior(classes_junior=0), school_type="junior")
    assert list(result.errors) == ["classes_junior"]


# --- more than 50 % against last year ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "old", "new", "warned"),
    [
        ("books", 20000, 30001, True),  # +50.005 %
        ("books", 20000, 30000, False),  # exactly +50 % is not a warning
        ("books", 20000, 9999, True),  # −50.005 %
        ("books", 20000, 10000, False),  # exactly −50 %
        ("books", 20000, 20000, False),
        ("books", 0, 500, False),  # no base to compare with
        ("books", None, 500, False),  # not reported last year
        ("books", 20000, None, False),  # not reported this year
        ("teaching_area", Decimal("2000"), Decimal("3000.5"), True),  # +50.025 %
        ("teaching_area", Decimal("2000"), Decimal("3000"), False),
    ],
)
def test_warns_when_a_value_changes_more_than_half_against_last_year(
    key: str, old: Any, new: Any, warned: bool
) -> None:
    values = primary()
    values[key] = new
    previous = dict(values)
    previous[key] = old
    result = check_statistics(values, school_type="primary", previous=previous)
    assert result.ok  # a warning never blocks on its own
    assert (key in result.warnings) is warned
    assert set(result.warnings) <= {key}


def test_warning_message_gives_the_change_and_both_values() -> None:
    values = primary(books=30000)
    result = check_statistics(values, school_type="primary", previous=primary(books=12000))
    assert result.warnings == {"books": "图书较上年变化 +150%(12000 → 30000),请填写变动说明"}


def test_a_written_reason_silences_the_warning() -> None:
    values = primary(books=30001)
    previous = primary(books=20000)
    result = check_statistics(values, school_type="primary", previous=previous, reasons={"books": "新建图书室"})
    assert result.warnings == {}


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_blank_reason_does_not_silence_the_warning(reason: str) -> None:
    values = primary(books=30001)
    result = check_statistics(values, school_type="primary", previous=primary(), reasons={"books": reason})
    assert "books" in result.warnings


def test_a_reason_for_another_field_does_not_silence_the_warning() -> None:
    values = primary(books=30001)
    result = check_statistics(values, school_type="primary", previous=primary(), reasons={"computers": "新购"})
    assert "books" in result.warnings
