"""Pure report helpers: numbers print as the balance page prints them, Excel formats show the
same text, and the problem list follows the stored verdicts. No database."""

from __future__ import annotations

import re

import pytest

from indicators.formulas import Profile, SchoolRecord, SchoolRule, evaluate, school_table
from indicators.presentation import value_text
from indicators.results import BalanceOutcome
from indicators.stored import outcome_of
from reports.content import (
    DASH,
    Num,
    calc_tables,
    count,
    cv_tables,
    derive_problems,
    fixed,
    gap_rows,
    percent,
    plain,
    school_rule_text,
    unit_tables,
    unit_value,
)


def excel_text(num: Num) -> str:
    """Apply the few Excel number formats the reports use, as Excel would display them."""
    if num.value is None:
        return num.text
    fmt = num.fmt
    prefix = ""
    if match := re.match(r'^"([^"]*)"(.*)$', fmt):
        prefix, fmt = match.groups()
    if fmt.endswith("%"):
        places = len(fmt.split(".")[1]) - 1 if "." in fmt else 0
        return f"{prefix}{float(num.value) * 100:.{places}f}%"
    places = len(fmt.split(".")[1]) if "." in fmt else 0
    separator = "," if fmt.startswith("#,##") else ""
    return f"{prefix}{float(num.value):{separator}.{places}f}"


@pytest.mark.parametrize(
    ("value", "standard", "met"),
    [
        (4.8287, 4.2, True),
        (0.898, 0.9, False),  # rounds to 0.90: printed with 4 places next to a standard of 0.9
        (2568.1278, 2000.0, True),  # from 1,000 up: no decimals
        (7.3196, 7.5, False),
        (0.0, 0.9, False),
        (None, 4.2, False),
    ],
)
def test_unit_values_print_as_the_balance_page_and_excel_shows_the_same(
    value: float | None, standard: float, met: bool
) -> None:
    num = unit_value(value, standard, met)
    assert num.text == value_text(value, standard, met)
    assert excel_text(num) == num.text
    assert num.value == value


@pytest.mark.parametrize(
    ("num", "text"),
    [
        (fixed(0.12345, 3), "0.123"),
        (fixed(0.5, 2, prefix="≤ "), "≤ 0.50"),
        (fixed(52427683.76, 2), "52,427,683.76"),
        (fixed(2339.89484, 4), "2,339.8948"),
        (count(22406), "22,406"),
        (plain(7.5), "7.5"),
        (plain(2000.0), "2,000"),
        (plain(4.25), "4.25"),
        (percent(0.8333), "83.3%"),
        (percent(0.5, 0), "50%"),
        (fixed(None, 3), DASH),
    ],
)
def test_formats_and_their_excel_twins_agree(num: Num, text: str) -> None:
    assert num.text == text
    assert excel_text(num) == text


def _document() -> BalanceOutcome:
    """A two-unit primary level with one indicator failing the CV and one school below standard."""
    profile = Profile.from_dict(
        {
            "name": "t",
            "label": "测试",
            "indicators": [
                {
                    "key": "books_per_student",
                    "standards": {"primary": 30.0, "junior": 35.0},
                    "cv_thresholds": {"primary": 0.5, "junior": 0.45},
                }
            ],
            "county_rule": "each_indicator",
            "school_rule": {"min_met": 1, "max_failing": None, "floor_ratio": None},
            "scope": {
                "exclude_private": False,
                "exclude_non_county": False,
                "teaching_point_mode": "separate",
                "teaching_point_min_students": None,
                "exclude_special": True,
                "exclude_vocational": True,
            },
        }
    )
    records = [
        SchoolRecord("A", "甲校", "primary", "public", True, None, {"students_primary": 100, "books": 1000}),
        SchoolRecord("B", "乙校", "primary", "public", True, None, {"students_primary": 100, "books": 5000}),
    ]
    approved = {"A": (1, "approved"), "B": (1, "approved")}
    return outcome_of(evaluate(school_table([records]), profile), district="000000", year=2026, schools=approved)


def test_cv_table_and_calculation_detail_show_the_stored_figures() -> None:
    document = _document()
    level = cv_tables(document)[0]
    [row] = level["rows"]
    assert (row["cv"].text, row["mean"].text, row["sd"].text, row["threshold"].text) == (
        "0.667",
        "30.0000",
        "20.0000",
        "≤ 0.50",
    )
    assert row["verdict"] == "未达标"
    assert row["cv"].value == pytest.approx(2 / 3)
    [calc] = calc_tables([level])
    assert [r["name"] for r in calc["rows"]] == ["甲校", "乙校"]
    assert [r["values"][0].text for r in calc["rows"]] == ["10.0000", "50.0000"]


def test_problems_follow_the_failing_cv_the_gaps_and_the_school_rule() -> None:
    document = _document()
    cv = cv_tables(document)
    assert [g["text"] for g in gap_rows(document)] == ["需增加图书 2,000 册"]
    problems = derive_problems(document, cv, unapproved=["丙校"])
    texts = [p.text for p in problems]
    assert texts[0] == "小学「生均图书册数」差异系数 0.667,高于标准 0.50。"
    assert "甲校" in problems[0].suggestion  # below the mean, largest share of the variance
    assert texts[1] == "小学 1 个计算单元「生均图书册数」低于标准 30 册/生,合计需增加图书 2,000 册。"
    assert problems[1].schools == ["甲校"]
    assert texts[2].startswith("1 个计算单元未达到学校达标要求(至少 1 项达标)")
    assert texts[3].startswith("1 所学校本学年统计数据尚未审核")


def test_unit_table_marks_pass_and_fail() -> None:
    tables = unit_tables(_document())
    level = tables["levels"][0]
    marks = {r["name"]: r["cells"][0]["mark"] for r in level["rows"]}
    assert marks == {"甲校": "×", "乙校": "√"}
    assert (level["assessed"], level["passing"]) == (2, 1)


def test_school_rule_in_words() -> None:
    assert school_rule_text(SchoolRule(6, None, 0.85)) == "至少 6 项达标,其余项不低于标准的 85%"
    assert school_rule_text(SchoolRule(None, 2, None)) == "未达标不超过 2 项"
