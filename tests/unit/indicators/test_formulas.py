"""Unit tests for indicators.formulas (pure Python: no Django, no database).

Expected numbers are hand-computed; the worked examples come from standards.md §9.
"""

from __future__ import annotations

import copy
import json
import math
import random
import statistics
from collections.abc import Mapping
from typing import Any

import pytest

from indicators import stored
from indicators.defaults import BASIC_2012, DEFAULT_PROFILES, QUALITY_2017
from indicators.formulas import (
    FACILITY_FIELDS,
    LEVELS,
    TEACHER_FIELDS,
    CountyResult,
    Profile,
    ProfileError,
    SchoolRecord,
    Unit,
    UnitCompliance,
    evaluate,
    evaluate_county,
    evaluation_units,
    school_table,
    unit_compliance,
    unit_values,
    weighted_cv,
)

Q17 = Profile.from_dict(QUALITY_2017)
B12 = Profile.from_dict(BASIC_2012)


def school(
    code: str,
    school_type: str = "primary",
    *,
    ownership: str = "public",
    county_run: bool = True,
    parent: str | None = None,
    **stats: float | None,
) -> SchoolRecord:
    return SchoolRecord(code, f"学校{code}", school_type, ownership, county_run, parent, stats)


def record(code: str, school_type: str, stats: Mapping[str, float | None]) -> SchoolRecord:
    return SchoolRecord(code, f"学校{code}", school_type, "public", True, None, dict(stats))


def profile_with(base: Mapping[str, Any], **changes: Any) -> Profile:
    """A profile from ``base`` with top-level keys replaced and nested dicts updated."""
    data = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return Profile.from_dict(data)


def uniform(code: str, school_type: str, x: float, **students: int) -> SchoolRecord:
    """A school whose every facility total and section teacher count equals ``x``."""
    stats: dict[str, float | None] = {f"students_{k}": v for k, v in students.items()}
    for name in FACILITY_FIELDS:
        stats[name] = x
    for level in LEVELS:
        for base in TEACHER_FIELDS:
            stats[f"{base}_{level}"] = x
    return SchoolRecord(code, code, school_type, "public", True, None, stats)


def only(units: list[Unit], code: str, level: str = "primary") -> Unit:
    found = [u for u in units if u.school_code == code and u.level == level]
    assert len(found) == 1
    return found[0]


# 2017 primary standards met exactly by 1000 students (value == standard for all seven).
EXACT_PRIMARY: dict[str, float | None] = {
    "students_primary": 1000,
    "qualified_teachers_primary": 42,
    "backbone_teachers_primary": 10,
    "pe_art_teachers_primary": 9,
    "teaching_area": 4500,
    "sports_area": 7500,
    "equipment_value": 2_000_000,
    "multimedia_rooms": 23,
}


def comply(
    stats: Mapping[str, float | None],
    profile: Profile = Q17,
    school_type: str = "primary",
    level: str = "primary",
) -> tuple[dict[str, float | None], UnitCompliance]:
    unit = only(evaluation_units([record("S1", school_type, stats)], profile), "S1", level)
    values = unit_values(unit, profile)
    return values, unit_compliance(unit, values, profile)


# ------------------------------------------------------------------------------------------
# The weighted CV (standards.md §4.1, §9.1)
# ------------------------------------------------------------------------------------------

HANDOUT = [("A", 45, 279.0), ("B", 37, 137.0), ("C", 89, 935.0), ("D", 76, 160.0), ("E", 55, 402.0)]


def test_handout_example_weighted_cv() -> None:
    result = weighted_cv(HANDOUT, level="primary")
    assert result.units == 5
    assert result.total_students == 302
    assert result.total_resource == 1913
    assert result.mean is not None
    assert result.mean == pytest.approx(1913 / 302, rel=1e-15)
    assert round(result.mean, 4) == 6.3344
    assert [round(t.term, 4) for t in result.terms] == [0.0027, 0.8486, 5.1274, 4.5011, 0.1730]
    assert round(math.fsum(t.term for t in result.terms), 4) == 10.6528
    assert result.sd is not None and round(result.sd, 4) == 3.2639
    assert result.cv is not None and round(result.cv, 4) == 0.5153
    assert round(result.cv, 2) == 0.52  # as printed in the handout
    assert result.note is None
    assert [t.school_code for t in result.terms] == ["A", "B", "C", "D", "E"]
    assert all(t.level == "primary" for t in result.terms)
    assert result.terms[0].weight == pytest.approx(45 / 302)
    assert result.terms[0].value == pytest.approx(279 / 45)


def test_handout_example_is_not_the_unweighted_cv() -> None:
    values = [t / p for _c, p, t in HANDOUT]
    population = statistics.pstdev(values) / statistics.mean(values)
    sample = statistics.stdev(values) / statistics.mean(values)
    assert round(population, 4) == 0.4888
    assert round(sample, 4) == 0.5465
    cv = weighted_cv(HANDOUT).cv
    assert cv is not None
    assert round(cv, 4) not in (0.4888, 0.5465)


def test_cv_mean_comes_from_raw_totals_and_factor_scales_values_only() -> None:
    per_student = weighted_cv(HANDOUT, 1.0)
    per_100 = weighted_cv(HANDOUT, 100.0)
    assert per_100.mean == pytest.approx(100 * 1913 / 302)
    assert per_100.total_resource == per_student.total_resource == 1913
    assert per_100.cv == pytest.approx(per_student.cv, rel=1e-12)


def test_cv_contribution_shares_sum_to_one() -> None:
    result = weighted_cv(HANDOUT)
    assert math.fsum(t.share for t in result.terms) == pytest.approx(1.0, abs=1e-12)
    total = math.fsum(t.term for t in result.terms)
    for t in result.terms:
        assert t.share == pytest.approx(t.term / total)
    # The biggest contributor is school C (5.1274 of 10.6528).
    assert max(result.terms, key=lambda t: t.share).school_code == "C"


def test_cv_no_units() -> None:
    result = weighted_cv([])
    assert (result.units, result.mean, result.sd, result.cv) == (0, None, None, None)
    assert result.terms == ()
    assert result.note.text == "没有参与计算的学校"


def test_cv_zero_mean_is_undefined_not_zero() -> None:
    result = weighted_cv([("A", 10, 0.0), ("B", 20, 0.0)])
    assert result.mean == 0.0
    assert result.cv is None
    assert result.note.text == "均值为 0,差异系数无定义"
    assert all(t.share == 0.0 for t in result.terms)


def test_cv_single_unit() -> None:
    result = weighted_cv([("A", 10, 50.0)])
    assert result.cv == 0.0
    assert result.sd == 0.0
    assert result.mean == 5.0
    assert result.note.text == "只有一所学校"
    assert result.terms[0].weight == 1.0
    assert result.terms[0].share == 0.0


def test_cv_skips_zero_students_and_unreported_totals() -> None:
    with_junk = [*HANDOUT, ("Z", 0, 100.0), ("N", 30, None)]
    assert weighted_cv(with_junk) == weighted_cv(HANDOUT)


def test_cv_zero_resource_school_enters() -> None:
    # A school with students and zero resources is a real value (standards.md §4.3).
    result = weighted_cv([("A", 100, 0.0), ("B", 100, 200.0)])
    assert result.units == 2
    assert result.mean == 1.0
    assert result.cv == 1.0


# ------------------------------------------------------------------------------------------
# Mixed schools (standards.md §5.2, §9.2)
# ------------------------------------------------------------------------------------------


def test_nine_year_split_worked_example() -> None:
    record = school("N1", "nine_year", students_primary=166, students_junior=210, books=23226)
    units = evaluation_units([record], B12)
    primary, junior = only(units, "N1", "primary"), only(units, "N1", "junior")
    assert [u.level for u in units] == ["primary", "junior"]
    assert primary.facility_share == pytest.approx(166 / 397)
    assert junior.facility_share == pytest.approx(231 / 397)
    assert primary.totals["books"] == pytest.approx(9711.6, abs=0.05)
    assert junior.totals["books"] == pytest.approx(13514.4, abs=0.05)
    p_books = unit_values(primary, B12)["books_per_student"]
    j_books = unit_values(junior, B12)["books_per_student"]
    assert p_books is not None and round(p_books, 2) == 58.50
    assert j_books is not None and round(j_books, 2) == 64.35
    assert (primary.students, junior.students) == (166, 210)


def test_twelve_year_split_uses_all_three_sections() -> None:
    record = school(
        "T1",
        "twelve_year",
        students_primary=100,
        students_junior=200,
        students_senior=300,
        teaching_area=7160,
    )
    units = evaluation_units([record], Q17)
    assert [u.level for u in units] == ["primary", "junior"]  # senior dropped
    weighted = 100 + 1.1 * 200 + 1.32 * 300  # 716
    assert units[0].facility_share == pytest.approx(100 / weighted)
    assert units[1].facility_share == pytest.approx(220 / weighted)
    assert units[0].totals["teaching_area"] == pytest.approx(1000)
    assert units[1].totals["teaching_area"] == pytest.approx(2200)


def test_complete_middle_keeps_only_junior_with_published_ratio() -> None:
    record = school("C1", "complete_middle", students_junior=400, students_senior=600, sports_area=20000)
    units = evaluation_units([record], Q17)
    assert [u.level for u in units] == ["junior"]
    share = units[0].facility_share
    assert share == pytest.approx(1.1 * 400 / (1.1 * 400 + 1.32 * 600))
    assert share == pytest.approx(400 / (400 + 1.2 * 600))  # the published 1 : 1.2
    assert units[0].totals["sports_area"] == pytest.approx(20000 * share)


def test_teachers_come_from_section_columns_not_split() -> None:
    record = school(
        "N1",
        "nine_year",
        students_primary=100,
        students_junior=100,
        teachers_primary=10,
        teachers_junior=20,
        qualified_teachers_junior=15,
        books=1000,
    )
    primary, junior = evaluation_units([record], Q17)
    assert primary.totals["teachers"] == 10
    assert junior.totals["teachers"] == 20
    assert primary.totals["qualified_teachers"] is None  # not reported stays None
    assert junior.totals["qualified_teachers"] == 15


def test_single_section_school_has_share_one() -> None:
    record = school("P1", students_primary=100, students_junior=50, books=999)
    (unit,) = evaluation_units([record], Q17)
    assert unit.facility_share == 1.0
    assert unit.totals["books"] == 999


def test_custom_section_weights() -> None:
    profile = profile_with(QUALITY_2017, section_weights={"primary": 1.0, "junior": 1.0, "senior": 1.0})
    record = school("N1", "nine_year", students_primary=100, students_junior=300, books=400)
    primary, junior = evaluation_units([record], profile)
    assert primary.totals["books"] == pytest.approx(100)
    assert junior.totals["books"] == pytest.approx(300)


def test_mixed_school_without_students_gets_share_zero() -> None:
    record = school("N1", "nine_year", students_primary=0, students_junior=0, books=100)
    units = evaluation_units([record], Q17)
    assert [u.facility_share for u in units] == [0.0, 0.0]
    assert all(u.excluded_code == "no_students" for u in units)


# ------------------------------------------------------------------------------------------
# Scope (standards.md §5.1)
# ------------------------------------------------------------------------------------------


def test_private_school_excluded_in_2012_included_in_2017() -> None:
    record = school("P1", ownership="private", students_primary=100)
    (unit12,) = evaluation_units([record], B12)
    (unit17,) = evaluation_units([record], Q17)
    assert not unit12.included
    assert unit12.excluded_code == "private"
    assert unit12.excluded_reason == "民办学校,按规则不计入"
    assert unit17.included and unit17.excluded_code is None


def test_non_county_school_excluded_in_2012_included_in_2017() -> None:
    record = school("P1", county_run=False, students_primary=100)
    (unit12,) = evaluation_units([record], B12)
    (unit17,) = evaluation_units([record], Q17)
    assert unit12.excluded_code == "not_county_run" and not unit12.included
    assert unit12.excluded_reason
    assert unit17.included


def test_special_school_one_excluded_unit_per_section_with_students() -> None:
    both = school("S1", "special", students_primary=20, students_junior=10)
    junior_only = school("S2", "special", students_junior=8)
    units = evaluation_units([both, junior_only], Q17)
    assert [(u.school_code, u.level) for u in units] == [
        ("S1", "primary"),
        ("S1", "junior"),
        ("S2", "junior"),
    ]
    assert all(u.excluded_code == "special" and not u.included for u in units)


def test_special_school_can_be_included_when_configured() -> None:
    profile = profile_with(QUALITY_2017, scope={"exclude_special": False})
    (unit,) = evaluation_units([school("S1", "special", students_primary=20)], profile)
    assert unit.included


def test_vocational_junior_excluded() -> None:
    (unit,) = evaluation_units([school("V1", "vocational_junior", students_junior=300)], Q17)
    assert unit.level == "junior"
    assert unit.excluded_code == "vocational"
    assert not unit.included


@pytest.mark.parametrize(
    ("students", "included", "code", "reason"),
    [
        (49, False, "teaching_point_small", "教学点在校生 49 人,不足 50 人"),
        (37, False, "teaching_point_small", "教学点在校生 37 人,不足 50 人"),
        (50, True, None, None),
        (51, True, None, None),
    ],
)
def test_teaching_point_separate_mode_minimum(
    students: int, included: bool, code: str | None, reason: str | None
) -> None:
    (unit,) = evaluation_units([school("T1", "teaching_point", students_primary=students)], Q17)
    assert unit.level == "primary"
    assert (unit.included, unit.excluded_code, unit.excluded_reason) == (included, code, reason)


def test_teaching_point_exclude_mode() -> None:
    (unit,) = evaluation_units([school("T1", "teaching_point", students_primary=500)], B12)
    assert unit.excluded_code == "teaching_point_excluded"
    assert not unit.included


MERGE = profile_with(QUALITY_2017, scope={"teaching_point_mode": "merge_into_parent"})


def test_teaching_point_merged_into_parent() -> None:
    point = school(
        "T1",
        "teaching_point",
        parent="P1",
        students_primary=40,
        teachers_primary=3,
        qualified_teachers_primary=2,
        teaching_area=300,
        books=800,
    )
    parent = school(
        "P1",
        students_primary=300,
        teachers_primary=20,
        qualified_teachers_primary=15,
        teaching_area=1500,
        books=6000,
    )
    units = evaluation_units([point, parent], MERGE)  # the point comes first: order kept
    assert [u.school_code for u in units] == ["T1", "P1"]
    merged, host = units
    assert not merged.included
    assert merged.excluded_code == "merged_into_parent"
    assert merged.excluded_reason is not None and "P1" in merged.excluded_reason
    assert host.included
    assert host.students == 340
    assert host.merged_from == ("T1",)
    assert host.totals["teachers"] == 23
    assert host.totals["qualified_teachers"] == 17
    assert host.totals["teaching_area"] == 1800
    assert host.totals["books"] == 6800
    assert unit_values(host, MERGE)["teaching_area_per_student"] == pytest.approx(1800 / 340)


def test_teaching_point_merged_into_primary_section_of_nine_year_school() -> None:
    point = school("T1", "teaching_point", parent="N1", students_primary=30, books=100)
    parent = school("N1", "nine_year", students_primary=100, students_junior=100, books=2100)
    units = evaluation_units([parent, point], MERGE)
    primary, junior = only(units, "N1", "primary"), only(units, "N1", "junior")
    assert primary.students == 130
    assert primary.totals["books"] == pytest.approx(1000 + 100)
    assert junior.totals["books"] == pytest.approx(1100)
    assert primary.merged_from == ("T1",) and junior.merged_from == ()


def test_merge_propagates_unreported_totals() -> None:
    # A merged total is only known when every part was reported ("not reported" is not 0).
    point = school("T1", "teaching_point", parent="P1", students_primary=30)
    parent = school("P1", students_primary=100, books=2000)
    host = only(evaluation_units([parent, point], MERGE), "P1")
    assert host.totals["books"] is None


@pytest.mark.parametrize(
    "records",
    [
        [school("T1", "teaching_point", parent="X9", students_primary=30)],
        [school("T1", "teaching_point", parent=None, students_primary=30)],
        [
            school("T1", "teaching_point", parent="J1", students_primary=30),
            school("J1", "junior", students_junior=300),
        ],
    ],
    ids=["parent-not-in-list", "no-parent-code", "parent-has-no-primary-unit"],
)
def test_teaching_point_parent_missing(records: list[SchoolRecord]) -> None:
    point = only(evaluation_units(records, MERGE), "T1")
    assert point.excluded_code == "parent_missing"
    assert not point.included


@pytest.mark.parametrize(
    ("stats", "reason"),
    [
        ({"students_primary": 0}, "在校生为 0,不参与计算"),
        ({}, "在校生未填报,不参与计算"),
        ({"students_primary": None}, "在校生未填报,不参与计算"),
    ],
)
def test_no_students(stats: dict[str, float | None], reason: str) -> None:
    (unit,) = evaluation_units([record("P1", "primary", {"books": 100, **stats})], Q17)
    assert unit.excluded_code == "no_students"
    assert unit.excluded_reason == reason
    assert unit.students == 0
    assert all(v is None for v in unit_values(unit, Q17).values())


def test_unit_order_input_order_primary_before_junior() -> None:
    records = [
        school("J1", "junior", students_junior=10),
        school("N1", "nine_year", students_primary=10, students_junior=10),
        school("P1", students_primary=10),
    ]
    units = evaluation_units(records, Q17)
    assert [(u.school_code, u.level) for u in units] == [
        ("J1", "junior"),
        ("N1", "primary"),
        ("N1", "junior"),
        ("P1", "primary"),
    ]


def test_unknown_school_type_is_listed_as_excluded() -> None:
    (unit,) = evaluation_units([school("X1", "kindergarten", students_primary=10)], Q17)
    assert unit.excluded_code == "unknown_type"


def test_exclusion_order_private_first() -> None:
    record = school("S1", "special", ownership="private", students_primary=10)
    (unit,) = evaluation_units([record], B12)
    assert unit.excluded_code == "private"


def test_decimal_and_nan_inputs() -> None:
    from decimal import Decimal

    record = school(
        "P1",
        students_primary=Decimal(100),  # type: ignore[arg-type]
        teaching_area=Decimal("450.5"),  # type: ignore[arg-type]
        sports_area=float("nan"),
    )
    (unit,) = evaluation_units([record], Q17)
    assert unit.students == 100
    assert unit.totals["teaching_area"] == 450.5
    assert unit.totals["sports_area"] is None


# ------------------------------------------------------------------------------------------
# Values (standards.md §6)
# ------------------------------------------------------------------------------------------


def test_values_per_student_and_per_100() -> None:
    (unit,) = evaluation_units([record("P1", "primary", EXACT_PRIMARY)], Q17)
    values = unit_values(unit, Q17)
    assert values == {
        "qualified_teachers_per100": 4.2,
        "backbone_teachers_per100": 1.0,
        "pe_art_teachers_per100": 0.9,
        "teaching_area_per_student": 4.5,
        "sports_area_per_student": 7.5,
        "equipment_value_per_student": 2000.0,
        "multimedia_rooms_per100": 2.3,
    }


def test_2012_teacher_ratios_are_decimals() -> None:
    record = school(
        "P1",
        students_primary=500,
        teachers_primary=27,
        qualified_teachers_primary=25,
        mid_title_teachers_primary=10,
        computers=50,
    )
    values = unit_values(evaluation_units([record], B12)[0], B12)
    assert values["teacher_student_ratio"] == pytest.approx(0.054)
    assert values["qualified_teachers_per_student"] == pytest.approx(0.05)
    assert values["mid_title_teachers_per_student"] == pytest.approx(0.02)
    assert values["computers_per100"] == pytest.approx(10.0)
    assert values["books_per_student"] is None  # not reported


@pytest.mark.parametrize(
    ("subtract", "indoor", "expected"),
    [(False, 1000, 5.0), (True, 1000, 4.0), (True, None, 5.0)],
)
def test_subtract_indoor_sports(subtract: bool, indoor: float | None, expected: float) -> None:
    profile = profile_with(QUALITY_2017, subtract_indoor_sports=subtract)
    stats = dict(EXACT_PRIMARY, teaching_area=5000, indoor_sports_area=indoor)
    values, compliance = comply(stats, profile)
    assert values["teaching_area_per_student"] == expected
    if expected < 4.5:
        gap = compliance.gaps["teaching_area_per_student"]
        assert gap.shortfall == 500
        assert gap.text == "需增加教学及辅助用房 500 m²"
    else:
        assert "teaching_area_per_student" not in compliance.gaps


# ------------------------------------------------------------------------------------------
# School compliance (standards.md §3.2, §2.4)
# ------------------------------------------------------------------------------------------


def test_all_standards_met_exactly() -> None:
    _values, result = comply(EXACT_PRIMARY)
    assert (result.met, result.assessed, result.passes) == (7, 7, True)
    assert result.failing == () and result.below_floor == () and result.gaps == {}


@pytest.mark.parametrize(
    ("sports_area", "passes", "below_floor"),
    [
        (6375, True, ()),  # exactly 85 % of 7.5 m² per student
        (6400, True, ()),
        (6374, False, ("sports_area_per_student",)),  # just below 85 %
    ],
)
def test_six_of_seven_with_85_percent_floor(sports_area: float, passes: bool, below_floor: tuple[str, ...]) -> None:
    _values, result = comply(dict(EXACT_PRIMARY, sports_area=sports_area))
    assert result.met == 6
    assert result.failing == ("sports_area_per_student",)
    assert result.below_floor == below_floor
    assert result.passes is passes


@pytest.mark.parametrize(("teachers", "passes"), [(336, True), (335, False)])
def test_floor_with_inexact_binary_product(teachers: int, passes: bool) -> None:
    # 0.8 x 4.2 = 3.3600000000000003 in binary floats; 336 teachers per 10,000 students
    # is exactly 80 % (value 3.36) and must not count as below the floor.
    profile = profile_with(QUALITY_2017, school_rule={"floor_ratio": 0.8})
    stats = {k: (v * 10 if v is not None else None) for k, v in EXACT_PRIMARY.items()}
    stats["qualified_teachers_primary"] = teachers
    _values, result = comply(stats, profile)
    assert result.failing == ("qualified_teachers_per100",)
    assert (result.below_floor == ()) is passes
    assert result.passes is passes


def test_two_failing_fails_even_above_floor() -> None:
    _values, result = comply(dict(EXACT_PRIMARY, sports_area=7000, teaching_area=4400))
    assert result.met == 5
    assert set(result.failing) == {"sports_area_per_student", "teaching_area_per_student"}
    assert result.below_floor == ()
    assert result.passes is False


@pytest.mark.parametrize(
    ("changes", "floor", "passes"),
    [
        ({"sports_area": 7000}, None, True),  # one failing, k = 1
        ({"sports_area": 7000, "teaching_area": 4400}, None, False),  # two failing
        ({"sports_area": 3000}, 0.6, False),  # one failing, below a 60 % floor
        ({"sports_area": 5000}, 0.6, True),  # one failing, above the floor
        ({}, None, True),
    ],
)
def test_max_failing_rule(changes: dict[str, float], floor: float | None, passes: bool) -> None:
    profile = profile_with(QUALITY_2017, school_rule={"min_met": None, "max_failing": 1, "floor_ratio": floor})
    _values, result = comply(dict(EXACT_PRIMARY, **changes), profile)
    assert result.passes is passes


def test_not_reported_value_is_not_met() -> None:
    values, result = comply(dict(EXACT_PRIMARY, equipment_value=None))
    assert values["equipment_value_per_student"] is None
    assert result.met == 6
    assert result.failing == ("equipment_value_per_student",)
    assert result.below_floor == ("equipment_value_per_student",)
    assert result.passes is False
    gap = result.gaps["equipment_value_per_student"]
    assert gap.value is None and gap.shortfall is None
    assert "未填报" in gap.text


def test_no_standards_means_not_assessed() -> None:
    _values, result = comply(EXACT_PRIMARY, B12)
    assert result.passes is None
    assert result.assessed == 0
    assert result.note.text == "本规则未设学校达标标准"


def test_unit_without_students_cannot_be_judged() -> None:
    unit = evaluation_units([school("P1", students_primary=0, books=10)], Q17)[0]
    result = unit_compliance(unit, unit_values(unit, Q17), Q17)
    assert result.passes is None
    assert result.gaps == {}
    assert result.note.text == "在校生为 0,无法评估"


def test_indicator_without_standard_at_level_is_not_assessed() -> None:
    data = copy.deepcopy(QUALITY_2017)
    data["indicators"][4]["standards"]["primary"] = None  # sports area
    data["school_rule"]["min_met"] = 5
    profile = Profile.from_dict(data)
    _values, result = comply(dict(EXACT_PRIMARY, sports_area=1), profile)
    assert result.assessed == 6
    assert result.met == 6
    assert result.passes is True


def test_min_met_larger_than_assessed_has_a_note() -> None:
    data = copy.deepcopy(QUALITY_2017)
    for rule in data["indicators"][:3]:
        rule["standards"]["primary"] = None
    _values, result = comply(EXACT_PRIMARY, Profile.from_dict(data))
    assert result.assessed == 4
    assert result.passes is False
    assert result.note is not None and "6" in result.note.text


# ------------------------------------------------------------------------------------------
# Gaps in real units
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("school_type", "stats", "key", "shortfall", "text"),
    [
        (
            "primary",
            {"students_primary": 500, "teaching_area": 2000},
            "teaching_area_per_student",
            250,
            "需增加教学及辅助用房 250 m²",
        ),
        (
            "primary",
            {"students_primary": 300, "qualified_teachers_primary": 10},
            "qualified_teachers_per100",
            3,  # 4.2 x 300 / 100 = 12.6 -> 2.6 short -> 3 teachers
            "需增加高于规定学历教师 3 人",
        ),
        (
            "junior",
            {"students_junior": 500, "equipment_value": 1_066_000},
            "equipment_value_per_student",
            184_000,  # 2500 x 500 = 1,250,000
            "需增加仪器设备 ¥184,000",
        ),
        (
            "primary",
            {"students_primary": 1000, "multimedia_rooms": 22},
            "multimedia_rooms_per100",
            1,
            "需增加网络多媒体教室 1 间",
        ),
        (
            "junior",
            {"students_junior": 400, "sports_area": 3000},
            "sports_area_per_student",
            1080,  # 10.2 x 400 = 4080
            "需增加体育运动场馆 1,080 m²",
        ),
        (
            "junior",
            {"students_junior": 300, "backbone_teachers_junior": 0},
            "backbone_teachers_per100",
            3,
            "需增加县级以上骨干教师 3 人",
        ),
    ],
)
def test_gaps_in_real_units(
    school_type: str,
    stats: dict[str, float],
    key: str,
    shortfall: float,
    text: str,
) -> None:
    level = "junior" if school_type == "junior" else "primary"
    _values, result = comply(stats, Q17, school_type, level)
    gap = result.gaps[key]
    assert gap.shortfall == shortfall
    assert gap.text == text
    assert gap.standard == Q17.indicators[[r.key for r in Q17.indicators].index(key)].standards[level]


def test_gap_exact_hit_does_not_round_up() -> None:
    # 1.1 x 50 = 55.00000000000001 in binary floats: 54 m² lacks exactly 1 m², not 2.
    data = copy.deepcopy(QUALITY_2017)
    data["indicators"][4]["standards"]["primary"] = 1.1
    profile = Profile.from_dict(data)
    _values, short = comply({"students_primary": 50, "sports_area": 54}, profile)
    assert short.gaps["sports_area_per_student"].shortfall == 1
    values, exact = comply({"students_primary": 50, "sports_area": 55}, profile)
    assert values["sports_area_per_student"] == 1.1
    assert "sports_area_per_student" not in exact.gaps


# ------------------------------------------------------------------------------------------
# County verdicts (standards.md §2.3, §3.2, §9.3)
# ------------------------------------------------------------------------------------------


def ratio_county(ratio: float) -> list[SchoolRecord]:
    """Two primary and two junior schools of 100 students each, resources 100 and 100*ratio.

    Every indicator's CV is then (ratio - 1) / (ratio + 1): 0.5 for 3, 0.6 for 4, 2/3 for 5.
    """
    return [
        uniform("P1", "primary", 100, primary=100),
        uniform("P2", "primary", 100 * ratio, primary=100),
        uniform("J1", "junior", 100, junior=100),
        uniform("J2", "junior", 100 * ratio, junior=100),
    ]


@pytest.mark.parametrize(
    ("ratio", "composite", "primary_passes", "junior_passes"),
    [(3, 0.5, True, True), (4, 0.6, True, False), (5, 2 / 3, False, False)],
)
def test_2012_composite_verdict(ratio: float, composite: float, primary_passes: bool, junior_passes: bool) -> None:
    result = evaluate_county(ratio_county(ratio), B12)
    primary, junior = result.levels["primary"], result.levels["junior"]
    for level in (primary, junior):
        assert level.composite == pytest.approx(composite)
        assert len(level.indicators) == 8
        for indicator in level.indicators.values():
            assert indicator.cv.cv == pytest.approx(composite)
            assert indicator.threshold is None and indicator.passes is None
    assert primary.composite_threshold == 0.65 and junior.composite_threshold == 0.55
    assert primary.passes is primary_passes
    assert junior.passes is junior_passes


def test_composite_is_mean_of_indicator_cvs() -> None:
    rng = random.Random(7)
    records = [
        record(
            f"P{i}",
            "primary",
            {
                "students_primary": rng.randint(50, 900),
                "teachers_primary": rng.randint(5, 60),
                "qualified_teachers_primary": rng.randint(5, 60),
                "mid_title_teachers_primary": rng.randint(1, 30),
                **{f: rng.uniform(100, 10000) for f in FACILITY_FIELDS},
            },
        )
        for i in range(12)
    ]
    level = evaluate_county(records, B12).levels["primary"]
    cvs = [r.cv.cv for r in level.indicators.values()]
    assert all(c is not None for c in cvs)
    assert level.composite == pytest.approx(math.fsum(c for c in cvs if c is not None) / 8)
    assert level.composite is not None
    for threshold, passes in ((level.composite + 0.01, True), (level.composite - 0.01, False)):
        profile = profile_with(BASIC_2012, composite_thresholds={"primary": threshold})
        assert evaluate_county(records, profile).levels["primary"].passes is passes


def test_2017_each_indicator_at_threshold_and_near_flag() -> None:
    result = evaluate_county(ratio_county(3), Q17)
    primary, junior = result.levels["primary"], result.levels["junior"]
    for indicator in primary.indicators.values():
        assert indicator.cv.cv == 0.5  # exactly; CV == threshold passes
        assert indicator.threshold == 0.5
        assert indicator.passes is True
        assert indicator.near_threshold is True
    assert primary.passes is True
    assert any("人工复核" in note.text for note in primary.notes)
    assert all(ind.passes is False for ind in junior.indicators.values())
    assert junior.passes is False
    # The 2017 rule has no composite (issue #3: null where the profile has none).
    assert primary.composite is None
    assert primary.composite_threshold is None


def test_2017_one_indicator_over_threshold_fails_the_level() -> None:
    records = ratio_county(1)  # identical schools: every CV is 0
    stats = dict(records[1].stats, sports_area=500)  # sports values 1 and 5: CV 2/3 > 0.5
    records[1] = SchoolRecord("P2", "P2", "primary", "public", True, None, stats)
    level = evaluate_county(records, Q17).levels["primary"]
    assert level.indicators["sports_area_per_student"].passes is False
    assert level.indicators["teaching_area_per_student"].passes is True
    assert level.passes is False


@pytest.mark.parametrize(("threshold", "near"), [(0.5004, True), (0.4996, True), (0.5006, False), (0.4994, False)])
def test_near_threshold(threshold: float, near: bool) -> None:
    data = copy.deepcopy(QUALITY_2017)
    for rule in data["indicators"]:
        rule["cv_thresholds"]["primary"] = threshold
    level = evaluate_county(ratio_county(3), Profile.from_dict(data)).levels["primary"]
    for indicator in level.indicators.values():
        assert indicator.near_threshold is near
        assert indicator.passes is (threshold >= 0.5)


def test_zero_mean_makes_level_verdict_undefined() -> None:
    records = [
        uniform("P1", "primary", 100, primary=100),
        uniform("P2", "primary", 100, primary=100),
    ]
    for i, record in enumerate(records):
        stats = dict(record.stats, backbone_teachers_primary=0)
        records[i] = SchoolRecord(record.school_code, "", "primary", "public", True, None, stats)
    level = evaluate_county(records, Q17).levels["primary"]
    backbone = level.indicators["backbone_teachers_per100"]
    assert backbone.cv.cv is None and backbone.passes is None
    assert level.passes is None  # not True
    assert any("每百名学生拥有县级以上骨干教师数" in note.text for note in level.notes)
    assert level.composite is None


def test_zero_mean_makes_2012_composite_undefined() -> None:
    records = [
        SchoolRecord(r.school_code, "", "primary", "public", True, None, dict(r.stats, books=0))
        for r in ratio_county(3)[:2]
    ]
    level = evaluate_county(records, B12).levels["primary"]
    assert level.indicators["books_per_student"].cv.cv is None
    assert level.composite is None
    assert level.passes is None


def test_level_without_units() -> None:
    result = evaluate_county([uniform("P1", "primary", 100, primary=100)], Q17)
    junior = result.levels["junior"]
    assert junior.units == 0
    assert junior.passes is None
    assert "该学段没有参与计算的学校" in [n.text for n in junior.notes]
    assert all(ind.cv.cv is None for ind in junior.indicators.values())
    primary = result.levels["primary"]
    assert primary.units == 1
    assert all(ind.cv.note.text == "只有一所学校" for ind in primary.indicators.values())


def test_excluded_units_do_not_enter_the_cv() -> None:
    records = [
        *ratio_county(3),
        uniform("T1", "teaching_point", 100000, primary=20),  # < 50 students
        uniform("S1", "special", 100000, primary=20),
        uniform("Z1", "primary", 100000, primary=0),
    ]
    result = evaluate_county(records, Q17)
    assert result.levels["primary"].units == 2
    for indicator in result.levels["primary"].indicators.values():
        assert indicator.cv.cv == 0.5
    excluded = [r for r in result.units if not r.unit.included]
    assert [r.unit.school_code for r in excluded] == ["T1", "S1", "Z1"]
    assert all(r.compliance is None for r in excluded)
    # Values are still shown for an excluded unit that has students.
    assert excluded[0].values["teaching_area_per_student"] == pytest.approx(5000)


def test_unreported_value_is_left_out_of_the_cv_with_a_note() -> None:
    records = [*ratio_county(3), school("P3", students_primary=100, teaching_area=200)]
    level = evaluate_county(records, Q17).levels["primary"]
    assert level.units == 3
    assert level.indicators["teaching_area_per_student"].cv.units == 3
    assert level.indicators["sports_area_per_student"].cv.units == 2
    assert any("未填报" in note.text for note in level.notes)


# ------------------------------------------------------------------------------------------
# Profiles
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DEFAULT_PROFILES))
def test_default_profiles_round_trip_exactly(name: str) -> None:
    data = DEFAULT_PROFILES[name]
    profile = Profile.from_dict(data)
    assert profile.name == name
    assert profile.to_dict() == data
    assert Profile.from_dict(profile.to_dict()) == profile
    assert json.loads(json.dumps(profile.to_dict())) == data


def test_default_profile_contents() -> None:
    assert [r.key for r in Q17.indicators] == [
        "qualified_teachers_per100",
        "backbone_teachers_per100",
        "pe_art_teachers_per100",
        "teaching_area_per_student",
        "sports_area_per_student",
        "equipment_value_per_student",
        "multimedia_rooms_per100",
    ]
    standards = [(r.standards["primary"], r.standards["junior"]) for r in Q17.indicators]
    assert standards == [
        (4.2, 5.3),
        (1, 1),
        (0.9, 0.9),
        (4.5, 5.8),
        (7.5, 10.2),
        (2000, 2500),
        (2.3, 2.4),
    ]
    assert all(dict(r.cv_thresholds) == {"primary": 0.5, "junior": 0.45} for r in Q17.indicators)
    assert Q17.county_rule == "each_indicator" and Q17.composite_thresholds is None
    assert (Q17.school_rule.min_met, Q17.school_rule.floor_ratio) == (6, 0.85)
    assert Q17.scope.teaching_point_mode == "separate"
    assert Q17.scope.teaching_point_min_students == 50
    assert not Q17.scope.exclude_private and not Q17.scope.exclude_non_county
    assert dict(Q17.section_weights) == {"primary": 1.0, "junior": 1.1, "senior": 1.32}

    assert len(B12.indicators) == 8
    assert all(v is None for r in B12.indicators for v in r.standards.values())
    assert all(v is None for r in B12.indicators for v in r.cv_thresholds.values())
    assert B12.county_rule == "composite"
    assert B12.composite_thresholds == {"primary": 0.65, "junior": 0.55}
    assert (B12.school_rule.max_failing, B12.school_rule.floor_ratio) == (0, None)
    assert B12.scope.exclude_private and B12.scope.exclude_non_county
    assert B12.scope.teaching_point_mode == "exclude"
    factors = {r.key: r.factor for r in B12.indicators}
    assert factors["teacher_student_ratio"] == 1.0
    assert factors["computers_per100"] == 100.0


def test_from_dict_fills_indicator_details_from_the_catalog() -> None:
    profile = Profile.from_dict(
        {
            "name": "minimal",
            "indicators": [{"key": "books_per_student", "standards": {"primary": 20}}],
            "county_rule": "each_indicator",
            "school_rule": {"max_failing": 0},
            "scope": {
                "exclude_private": True,
                "exclude_non_county": True,
                "teaching_point_mode": "exclude",
                "exclude_special": True,
                "exclude_vocational": True,
            },
        }
    )
    (rule,) = profile.indicators
    assert (rule.numerator, rule.factor, rule.gap_unit) == ("books", 1.0, "册")
    assert dict(rule.standards) == {"primary": 20.0, "junior": None}
    assert profile.version == 1 and profile.label == "minimal"
    assert dict(profile.section_weights) == {"primary": 1.0, "junior": 1.1, "senior": 1.32}
    assert Profile.from_dict(profile.to_dict()) == profile


def _broken(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(QUALITY_2017)
    target: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is _DELETE:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("indicators.0.key", "magic_per100", "unknown indicator key"),
        ("indicators.0.numerator", "salary", "not a known field"),
        ("indicators.0.standards", {"primary": -1.0, "junior": 1.0}, "negative"),
        ("indicators.0.cv_thresholds", {"primary": -0.5, "junior": 0.45}, "negative"),
        ("indicators.0.standards", {"senior": 1.0}, "unknown"),
        ("indicators.0.factor", 0, "positive"),
        ("indicators.0.standards", {"primary": "4.2"}, "number"),
        ("composite_thresholds", {"primary": -0.1, "junior": 0.5}, "negative"),
        ("school_rule.floor_ratio", 0.0, "floor_ratio"),
        ("school_rule.floor_ratio", 1.5, "floor_ratio"),
        ("school_rule.floor_ratio", -0.85, "floor_ratio"),
        ("school_rule.min_met", None, "min_met or max_failing"),
        ("school_rule.min_met", 8, "exceeds"),
        ("scope.teaching_point_mode", "ignore", "teaching_point_mode"),
        ("county_rule", "majority", "county_rule"),
        ("section_weights", {"primary": 1.0, "junior": 0.0, "senior": 1.32}, "positive"),
        ("section_weights", {"primary": 1.0, "junior": -1.1, "senior": 1.32}, "positive"),
        ("section_weights", {"primary": 1.0, "junior": 1.1}, "missing senior"),
        ("county_rule", "composite", "composite_thresholds"),
        ("indicators", [], "at least one indicator"),
        ("surprise", 1, "unknown keys"),
        ("scope.exclude_private", "yes", "boolean"),
        ("scope", _DELETE, "missing scope"),
    ],
)
def test_profile_errors(path: str, value: Any, fragment: str) -> None:
    with pytest.raises(ProfileError) as info:
        Profile.from_dict(_broken(path, value))
    message = str(info.value)
    assert " / " in message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)  # has a Chinese part
    assert fragment in message
    assert isinstance(info.value, ValueError)


def test_duplicate_indicator_rejected() -> None:
    data = copy.deepcopy(QUALITY_2017)
    data["indicators"].append(copy.deepcopy(data["indicators"][0]))
    with pytest.raises(ProfileError, match="duplicate"):
        Profile.from_dict(data)


# ------------------------------------------------------------------------------------------
# Scale
# ------------------------------------------------------------------------------------------


def test_evaluates_3000_synthetic_schools() -> None:
    rng = random.Random(2025)
    types = ["primary"] * 6 + ["junior"] * 2 + ["nine_year", "teaching_point", "complete_middle"]
    records = []
    for i in range(3000):
        stats: dict[str, float | None] = {
            "students_primary": rng.randint(0, 2000),
            "students_junior": rng.randint(0, 1500),
            "students_senior": rng.randint(0, 1000),
        }
        for name in FACILITY_FIELDS:
            stats[name] = rng.uniform(0, 50_000) if rng.random() > 0.02 else None
        for level in LEVELS:
            for base in TEACHER_FIELDS:
                stats[f"{base}_{level}"] = rng.randint(0, 120)
        records.append(SchoolRecord(f"{i:010d}", f"学校{i}", rng.choice(types), "public", True, None, stats))
    for profile in (Q17, B12):
        result = evaluate_county(records, profile)
        assert isinstance(result, CountyResult)
        assert len(result.units) >= 3000
        assert all(result.levels[level].units > 0 for level in LEVELS)
        form = stored.encode(
            evaluate(school_table([records]), profile), 0, district="999999", year=2025, fingerprint="", schools={}
        )
        assert stored.decode(stored.dumps(form)).units


def test_informational_composite_when_thresholds_are_null() -> None:
    """A province publishing an informational composite sets null thresholds per level."""
    profile = profile_with(QUALITY_2017, composite_thresholds={"primary": None, "junior": None})
    assert profile.county_rule == "each_indicator"
    primary = evaluate_county(ratio_county(3), profile).levels["primary"]
    cvs = [r.cv.cv for r in primary.indicators.values()]
    assert primary.composite == pytest.approx(math.fsum(c for c in cvs if c is not None) / len(cvs))
    assert primary.composite_threshold is None
    assert primary.passes is True  # still judged per indicator
