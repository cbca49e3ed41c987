"""Pure judgements of the county assessment (assessment/formulas.py), with hand-computed cases at
the edge of every threshold. No database: pytest-django blocks it here."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import pytest

from assessment import formulas as f
from assessment.defaults import DEFAULT_CHECKLIST

CHECKLIST = f.Checklist.from_dict(DEFAULT_CHECKLIST)


def item(key: str) -> f.ItemSpec:
    spec = CHECKLIST.item(key)
    assert spec is not None
    return spec


def school(school_type: str = "primary", approved: bool = True, **stats: Any) -> f.SchoolFacts:
    return f.SchoolFacts("1101010001", "城关小学", school_type, stats, approved)


# --- the default checklist ------------------------------------------------------------------


def test_default_checklist_has_15_guarantee_9_quality_and_5_veto_items_and_round_trips() -> None:
    assert len(CHECKLIST.area_items("guarantee")) == 15
    assert len(CHECKLIST.area_items("quality")) == 9
    assert [i.key for i in CHECKLIST.area_items("veto")] == ["V01", "V02", "V03", "V04", "V05"]
    assert all(i.veto for i in CHECKLIST.area_items("veto"))
    assert not any(i.veto for i in CHECKLIST.items if i.area != "veto")
    assert {i.auto for i in CHECKLIST.items if i.judge == "auto"} == {"class_size", "school_size", "music_art_rooms"}
    assert CHECKLIST.to_dict() == DEFAULT_CHECKLIST
    assert f.Checklist.from_dict(CHECKLIST.to_dict()) == CHECKLIST


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["items"][2]["params"].update(reading="floor"), "reading"),
        (lambda d: d["items"][10]["checks"][1].update(den="teachers"), "den 指向不存在的填报项 teachers"),
        (lambda d: d["items"][10]["checks"][0].update(op="=="), "op"),
        (lambda d: d["items"][1].update(key="G01"), "检查项编号重复:G01"),
        (lambda d: d["items"][0].update(area="other"), "area"),
        (lambda d: d["items"][6]["inputs"][0].update(min=10, max=1), "min 不能大于 max"),
        (lambda d: d["recognition"].update(threshold=85), "threshold"),
        (lambda d: d["items"][4]["params"]["limits"].update(primary=-1), "limits.primary"),
    ],
)
def test_a_broken_definition_is_refused_with_where_it_is_wrong(change: Any, message: str) -> None:
    data = copy.deepcopy(DEFAULT_CHECKLIST)
    change(data)
    with pytest.raises(f.ChecklistError, match=message):
        f.Checklist.from_dict(data)


# --- class size (≤ 45 primary, ≤ 50 junior) -------------------------------------------------


@pytest.mark.parametrize(
    ("stats", "outcome"),
    [
        ({"students_primary": 600, "max_class_size_primary": 45}, "pass"),
        ({"students_primary": 600, "max_class_size_primary": 46}, "fail"),
        ({"students_junior": 500, "max_class_size_junior": 50}, "pass"),
        ({"students_junior": 500, "max_class_size_junior": 51}, "fail"),
        # both sections: one over its limit fails the school (45/51), both at the edge pass
        (
            {
                "students_primary": 300,
                "max_class_size_primary": 45,
                "students_junior": 200,
                "max_class_size_junior": 51,
            },
            "fail",
        ),
        (
            {
                "students_primary": 300,
                "max_class_size_primary": 45,
                "students_junior": 200,
                "max_class_size_junior": 50,
            },
            "pass",
        ),
        # a junior class of 48 would fail the primary limit but not the junior one
        ({"students_junior": 200, "max_class_size_junior": 48}, "pass"),
        ({"students_primary": 600, "max_class_size_primary": None}, "missing"),
        ({"students_primary": 0, "max_class_size_primary": 60}, "n/a"),
    ],
)
def test_class_size_at_the_edge(stats: dict[str, Any], outcome: str) -> None:
    finding = f.judge_class_size(school("nine_year", **stats), {"primary": 45, "junior": 50})
    assert finding.outcome == outcome


def test_class_size_detail_names_the_section_and_limit() -> None:
    finding = f.judge_class_size(school(students_primary=600, max_class_size_primary=52), {"primary": 45, "junior": 50})
    assert finding.detail == "小学最大班额 52 人,超过 45 人"


def test_a_school_without_statistics_is_missing_not_failing() -> None:
    facts = f.SchoolFacts("1101010001", "城关小学", "primary", None)
    assert f.judge_class_size(facts, {"primary": 45, "junior": 50}).outcome == "missing"
    assert f.judge_school_size(facts, 2000, 2500).outcome == "missing"
    assert f.judge_rooms(facts).outcome == "missing"


# --- school size (≤ 2000; ≤ 2500 compulsory stage of 一贯制) ----------------------------------


@pytest.mark.parametrize(
    ("school_type", "stats", "outcome"),
    [
        ("primary", {"students_primary": 2000}, "pass"),
        ("primary", {"students_primary": 2001}, "fail"),
        ("junior", {"students_junior": 2001}, "fail"),
        ("nine_year", {"students_primary": 1600, "students_junior": 900}, "pass"),  # 2500
        ("nine_year", {"students_primary": 1601, "students_junior": 900}, "fail"),  # 2501
        # senior students are not the compulsory stage: 1500 + 1000 = 2500 passes with 900 seniors
        ("twelve_year", {"students_primary": 1500, "students_junior": 1000, "students_senior": 900}, "pass"),
        ("twelve_year", {"students_primary": 1500, "students_junior": 1001, "students_senior": 0}, "fail"),
        # a 完全中学 is held to 2000 on its junior section
        ("complete_middle", {"students_junior": 2000, "students_senior": 1800}, "pass"),
        ("complete_middle", {"students_junior": 2001, "students_senior": 0}, "fail"),
        ("primary", {"students_primary": None}, "missing"),
    ],
)
def test_school_size_at_the_edge(school_type: str, stats: dict[str, Any], outcome: str) -> None:
    assert f.judge_school_size(school(school_type, **stats), 2000, 2500).outcome == outcome


# --- music and art rooms (1 each per 12 classes, ≥ 96 / 90 m²) -------------------------------


@pytest.mark.parametrize(
    ("classes", "reading", "required"),
    [
        (1, "ceil", 1),
        (11, "ceil", 1),
        (12, "ceil", 1),
        (13, "ceil", 2),
        (24, "ceil", 2),
        (25, "ceil", 3),
        (0, "ceil", None),
        (11, "from_12_classes", None),
        (12, "from_12_classes", 1),
        (13, "from_12_classes", 2),
    ],
)
def test_required_rooms(classes: int, reading: str, required: int | None) -> None:
    assert f.required_rooms(classes, 12, reading) == required


def rooms(**stats: Any) -> dict[str, Any]:
    base = {
        "classes_primary": 18,
        "classes_junior": None,
        "music_rooms": 2,
        "art_rooms": 2,
        "music_room_min_area": 96,
        "art_room_min_area": 90,
    }
    base.update(stats)
    return base


@pytest.mark.parametrize(
    ("stats", "outcome"),
    [
        ({}, "pass"),  # 18 classes need 2 of each; areas exactly at the minimum
        ({"music_room_min_area": 95.99}, "fail"),
        ({"art_room_min_area": 89.5}, "fail"),
        ({"art_rooms": 1}, "fail"),
        ({"classes_primary": 24, "music_rooms": 2, "art_rooms": 2}, "pass"),
        ({"classes_primary": 25}, "fail"),  # 25 classes need 3
        ({"music_room_min_area": None}, "missing"),
        ({"music_rooms": None}, "missing"),
        # a nine-year school counts both sections: 12 + 13 = 25 classes need 3
        ({"classes_primary": 12, "classes_junior": 13}, "fail"),
    ],
)
def test_rooms_at_the_edge(stats: dict[str, Any], outcome: str) -> None:
    assert f.judge_rooms(school(**rooms(**stats))).outcome == outcome


def test_small_school_reading_is_a_setting() -> None:
    small = school(**rooms(classes_primary=6, music_rooms=0, art_rooms=0))
    ceil = f.judge_rooms(small, reading="ceil")
    assert ceil.outcome == "fail"
    assert "应配音乐、美术专用教室各 1 间" in ceil.detail
    assert f.judge_rooms(small, reading="from_12_classes").outcome == "n/a"


def test_auto_item_lists_failing_schools_and_leaves_out_excluded_types() -> None:
    schools = [
        f.SchoolFacts("1", "甲小学", "primary", {"students_primary": 600, "max_class_size_primary": 46}),
        f.SchoolFacts("2", "乙小学", "primary", {"students_primary": 600, "max_class_size_primary": 45}),
        f.SchoolFacts("3", "特教学校", "special", {"students_primary": 60, "max_class_size_primary": 60}),
    ]
    judged = f.judge_auto(item("G05"), schools)
    assert judged.verdict is False
    assert [x.school_name for x in judged.failing] == ["甲小学"]
    assert [x.school_code for x in judged.findings] == ["1", "2"]  # 特殊教育学校 excluded
    assert judged.summary == "2 所学校参与判定,1 所未达标"
    fixed = [schools[1]]
    assert f.judge_auto(item("G05"), fixed).verdict is True
    unknown = [*fixed, f.SchoolFacts("4", "丙小学", "primary", None)]
    undecided = f.judge_auto(item("G05"), unknown)
    assert undecided.verdict is None
    assert undecided.missing == ("丙小学:未填报统计数据",)


# --- entered items --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "verdict", "checks"),
    [
        # 126/1260 = exactly 10 %; 26/126 = 20.6 %
        ({"eligible": 1260, "rotated": 126, "backbone_rotated": 26}, True, [True, True]),
        # 125/1260 = 9.92 %
        ({"eligible": 1260, "rotated": 125, "backbone_rotated": 26}, False, [False, True]),
        # 20 of 100 rotated = exactly 20 %; 25/126 = 19.8 % fails
        ({"eligible": 1000, "rotated": 100, "backbone_rotated": 20}, True, [True, True]),
        ({"eligible": 1260, "rotated": 126, "backbone_rotated": 25}, False, [True, False]),
        ({"eligible": 1260, "rotated": 126, "backbone_rotated": None}, None, [True, None]),
        ({"eligible": 0, "rotated": 0, "backbone_rotated": 0}, None, [None, None]),  # 0 ÷ 0: can't tell
    ],
)
def test_rotation_shares_at_the_edge(values: dict[str, Any], verdict: bool | None, checks: list[bool | None]) -> None:
    judged = f.judge_entered(item("G11"), values)
    assert judged.verdict is verdict
    assert [c.passes for c in judged.checks] == checks


def test_rotation_backbone_denominator_is_configurable() -> None:
    data = copy.deepcopy(DEFAULT_CHECKLIST)
    data["items"][10]["checks"][1]["den"] = "eligible"  # 安徽: 20 % of the eligible teachers
    anhui = f.Checklist.from_dict(data).item("G11")
    assert anhui is not None
    values = {"eligible": 1000, "rotated": 250, "backbone_rotated": 199}
    national = f.judge_entered(item("G11"), values)
    assert national.checks[1].passes is True  # 199/250 = 79.6 % ≥ 20 %
    assert f.judge_entered(anhui, values).checks[1].passes is False  # 199/1000 = 19.9 %
    assert f.judge_entered(anhui, {**values, "backbone_rotated": 200}).checks[1].passes is True


@pytest.mark.parametrize(
    ("key", "values", "verdict"),
    [
        ("G15", {"value": "85", "care": True}, True),
        ("G15", {"value": "84.99", "care": True}, False),
        ("G15", {"value": "90", "care": False}, False),
        ("G15", {"value": "90", "care": None}, None),
        ("Q01", {"value": "95"}, True),
        ("Q01", {"value": "94.99"}, False),
        ("Q02", {"value": "95.00"}, True),
        ("G14", {"value": "50", "rural": True}, True),
        ("G14", {"value": "49.9", "rural": True}, False),
        ("G07", {"value": "6000"}, True),
        ("G07", {"value": "5999.99"}, False),
        ("G09", {"value": "100"}, True),
        ("G09", {"value": "99.9"}, False),
        ("G13", {"primary": "100", "junior": "95"}, True),
        ("G13", {"primary": "99.5", "junior": "99"}, False),
        # teacher pay ≥ civil servants' (100 %): equal passes, one yuan less fails
        ("G08", {"teacher_pay": "97200", "civil_servant_pay": "97200", "merit_pay": True}, True),
        ("G08", {"teacher_pay": "97199", "civil_servant_pay": "97200", "merit_pay": True}, False),
        # 校际差异率 < 0.15: the edge itself fails
        ("Q09", {"level": True, "difference": "0.1499"}, True),
        ("Q09", {"level": True, "difference": "0.15"}, False),
        ("G01", {"met": True}, True),
        ("G01", {"met": False}, False),
        ("G01", {}, None),
    ],
)
def test_entered_items_at_the_edge(key: str, values: dict[str, Any], verdict: bool | None) -> None:
    assert f.judge_entered(item(key), values).verdict is verdict


def test_an_entered_item_says_what_is_missing() -> None:
    judged = f.judge_entered(item("G08"), {"teacher_pay": "98000"})
    assert judged.verdict is None
    assert judged.missing == ("当地公务员年平均工资收入", "足额核定教师绩效工资总量")


def test_exact_comparison_avoids_binary_rounding() -> None:
    # In floats 0.57 × 100 = 56.99999999999999, which would fail "≥ 57 %"; exactly it is 57.
    assert 0.57 * 100 < 57
    assert f.compare(f.exact(0.57) * 100, ">=", 57)
    assert f.compare(Fraction(85), ">=", 85.0)
    assert not f.compare(Fraction(8499, 100), ">=", 85)
    judged = f.judge_entered(item("G11"), {"eligible": "100", "rotated": "10", "backbone_rotated": "2"})
    assert [c.passes for c in judged.checks] == [True, True]  # 10.0 % and 20.0 % exactly


# --- areas and the county --------------------------------------------------------------------


def judged(key: str, verdict: bool | None) -> f.ItemJudgement:
    return f.ItemJudgement(item(key), verdict)


def test_every_item_must_be_met_by_default() -> None:
    spec = f.AreaSpec("政府保障程度")
    assert f.judge_area("guarantee", spec, [judged("G01", True), judged("G02", True)]).verdict is True
    assert f.judge_area("guarantee", spec, [judged("G01", True), judged("G02", False)]).verdict is False
    assert f.judge_area("guarantee", spec, [judged("G01", True), judged("G02", None)]).verdict is None


def test_a_failing_veto_item_decides_whatever_the_count() -> None:
    spec = f.AreaSpec("一票否决事项", min_met=1)
    area = f.judge_area("veto", spec, [judged("V01", False), judged("V02", True), judged("V03", True)])
    assert area.verdict is False
    assert area.vetoed == ("V01",)
    lenient = f.AreaSpec("政府保障程度", min_met=2)
    counted = f.judge_area("guarantee", lenient, [judged("G01", False), judged("G02", True), judged("G06", True)])
    assert counted.verdict is True  # 2 of 3 met, no veto item


def test_county_verdict() -> None:
    assert f.county_verdict([True, True, True, True]) is True
    assert f.county_verdict([True, None, True, True]) is None
    assert f.county_verdict([True, None, False, True]) is False
    assert f.county_verdict([True, True, True, True], vetoed=True) is False
