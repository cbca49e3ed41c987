"""Checking and applying a file (schools.importing): every kind of error is named by its cell,
the preview shows before → after, and applying is all-or-nothing.

Files are crafted in memory in the template's format (Chinese headers with units).
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl.utils import get_column_letter

from schools import importing, services
from schools.models import AnnualStatistics, School, SchoolVersion, StatisticsEvent
from schools.spreadsheet import read_table
from tests.factories import YEAR, primary_values
from tests.unit.exchange import files

pytestmark = pytest.mark.django_db

DISTRICT = "110101"  # district A of the shared cast
KEYS = ["school_code", "school_name", "school_type", *primary_values()]
HEADERS = files.template_headers(KEYS)


def column(key: str) -> str:
    letter: str = get_column_letter(KEYS.index(key) + 1)
    return letter


def row_of(school: School | str, **overrides: Any) -> list[Any]:
    code = school if isinstance(school, str) else school.code
    name = "新学校" if isinstance(school, str) else school.versions.get().name
    values = {"school_code": code, "school_name": name, "school_type": "小学", **primary_values()}
    values.update(overrides)
    return [values.get(k) for k in KEYS]


def check(data: bytes, name: str = "in.xlsx", **kwargs: Any) -> importing.ImportReport:
    return importing.check_table(read_table(data, name), district_code=DISTRICT, year=YEAR, **kwargs)


def only_error(report: importing.ImportReport) -> importing.Problem:
    problems = report.problems()
    assert len(problems) == 1, [p.text() for p in problems]
    return problems[0]


def test_a_clean_file_previews_before_and_after_without_writing(county: dict[str, School]) -> None:
    school = county["primary"]
    events = StatisticsEvent.objects.count()
    data = files.xlsx([row_of(school, students_primary=620, books="21,000")], headers=HEADERS)
    report = check(data)
    assert report.ready
    (line,) = report.rows
    assert line.outcome == "updated"
    assert line.changes == {"students_primary": [600, 620], "books": [20000, 21000]}
    assert StatisticsEvent.objects.count() == events
    assert AnnualStatistics.objects.get(school=school, year=YEAR).students_primary == 600


def test_new_schools_and_profile_changes_are_listed(county: dict[str, School]) -> None:
    rows = [
        row_of(county["primary"], school_name="甲县城关第一小学(本部)"),
        row_of("1101010009", school_name="甲县新区小学"),
    ]
    report = check(files.xlsx(rows, headers=HEADERS))
    assert report.ready
    first, new = report.rows
    assert first.profile_changes == {"school_name": ["甲县城关第一小学", "甲县城关第一小学(本部)"]}
    assert (new.new_school, new.outcome, new.school_name) == (True, "created", "甲县新区小学")
    assert new.changes["students_primary"] == [None, 600]
    assert not School.objects.filter(code="1101010009").exists()


def test_a_formula_is_refused_at_its_cell(county: dict[str, School]) -> None:
    data = files.xlsx([row_of(county["primary"], students_primary="=300*2")], headers=HEADERS)
    error = only_error(check(data))
    assert error.where == f"学校统计!{column('students_primary')}2"
    assert "公式" in error.message and error.found == "=300*2"


def test_a_date_in_a_number_cell_is_refused_at_its_cell(county: dict[str, School]) -> None:
    data = files.xlsx([row_of(county["primary"], books=files.NAIVE_DATE)], headers=HEADERS)
    error = only_error(check(data))
    assert error.where == f"学校统计!{column('books')}2"
    assert "日期" in error.message and error.found == "2025-09-01"


def test_text_in_a_number_cell_is_refused_at_its_cell(county: dict[str, School]) -> None:
    second = row_of(county["primary"], teachers_primary="二十")
    data = files.xlsx([row_of("1101010009"), second], headers=HEADERS)
    error = only_error(check(data))
    assert error.where == f"学校统计!{column('teachers_primary')}3"
    assert "应为数字" in error.message and error.found == "二十"
    assert error.text() == f"学校统计!{column('teachers_primary')}3: 应为数字,收到“二十”(当前值:“二十”)"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("1,200", True), ("3,000.5", True), ("3.000,5", False), ("30,00", False)],
)
def test_thousands_separators_are_accepted_only_when_unambiguous(
    county: dict[str, School], value: str, accepted: bool
) -> None:
    key = "teaching_area" if "." in value or value == "30,00" else "books"
    report = check(files.xlsx([row_of(county["primary"], **{key: value})], headers=HEADERS))
    if accepted:
        assert report.ok
    else:
        error = only_error(report)
        assert error.where == f"学校统计!{column(key)}2" and "数字格式不明确" in error.message


def test_duplicate_school_codes_name_both_rows(county: dict[str, School]) -> None:
    school = county["primary"]
    data = files.xlsx([row_of(school), row_of("1101010009"), row_of(school)], headers=HEADERS)
    error = only_error(check(data))
    assert error.where == "学校统计!A4" and "第 2 行重复" in error.message


def test_merged_header_cells_are_a_file_error(county: dict[str, School]) -> None:
    data = files.xlsx([row_of(county["primary"])], headers=HEADERS, merge="D1:E1")
    error = only_error(check(data))
    assert error.where == "学校统计!D1:E1" and "合并单元格" in error.message


def test_a_file_without_the_code_column_is_the_wrong_template(county: dict[str, School]) -> None:
    headers = files.template_headers(["school_name", "school_type", "students_primary"])
    report = check(files.xlsx([["甲县城关第一小学", "小学", 600]], headers=headers))
    assert "缺少必需的列" in only_error(report).message


def test_a_jump_needs_a_reason_which_the_preview_can_give(county: dict[str, School]) -> None:
    school = county["primary"]
    data = files.xlsx([row_of(school, books=40000)], headers=HEADERS)
    report = check(data)
    assert report.ok and not report.ready
    (warning,) = report.rows[0].warnings
    assert warning.key == "books" and warning.where == f"学校统计!{column('books')}2"
    assert "较上年变化" in warning.message
    given = check(data, reasons={school.code: {"books": "新建图书馆"}})
    assert given.ready
    applied = importing.import_rows(
        read_table(data, "in.xlsx"),
        district_code=DISTRICT,
        year=YEAR,
        user=None,
        reasons={school.code: {"books": "新建图书馆"}},
    )
    assert applied.applied
    stats = AnnualStatistics.objects.get(school=school, year=YEAR)
    assert (stats.books, stats.change_reasons["books"]) == (40000, "新建图书馆")


def test_a_school_of_another_district_is_refused(county: dict[str, School], school_b1: School) -> None:
    error = only_error(check(files.xlsx([row_of(school_b1)], headers=HEADERS)))
    assert "其他区县" in error.message and error.where == "学校统计!A2"


def test_approved_figures_cannot_be_changed_by_a_file(county: dict[str, School]) -> None:
    school = county["primary"]
    stats = AnnualStatistics.objects.get(school=school, year=YEAR)
    services.statistics_approve(stats=services.statistics_submit(stats=stats, user=None), user=None)
    unchanged = check(files.xlsx([row_of(school)], headers=HEADERS))
    assert unchanged.ready and unchanged.rows[0].outcome == "unchanged"
    error = only_error(check(files.xlsx([row_of(school, books=20001)], headers=HEADERS)))
    assert "退回" in error.message and error.where == f"学校统计!{column('books')}2"


def test_applying_is_all_or_nothing(county: dict[str, School], monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal on the second school (after the first was saved) rolls the first back too."""
    primary, junior = county["primary"], county["junior"]
    rows = [row_of(primary, students_primary=610), row_of("1101010009", school_name="新校")]
    data = files.xlsx(rows, headers=HEADERS)
    real_create = services.school_create

    def refuse_new_school(**kwargs: Any) -> School:
        from django.core.exceptions import ValidationError

        if kwargs["code"] == "1101010009":
            raise ValidationError({"name": ["名称已被占用"]})
        return real_create(**kwargs)

    monkeypatch.setattr(services, "school_create", refuse_new_school)
    report = importing.import_rows(read_table(data, "x.xlsx"), district_code=DISTRICT, year=YEAR, user=None)
    assert not report.applied and not report.ok
    assert any("名称已被占用" in p.message and p.where == "学校统计!B3" for p in report.problems())
    assert AnnualStatistics.objects.get(school=primary, year=YEAR).students_primary == 600
    assert not School.objects.filter(code="1101010009").exists()
    assert junior.statistics.count() == 2


def test_a_preview_that_no_longer_matches_is_not_applied(county: dict[str, School]) -> None:
    school = county["primary"]
    data = files.xlsx([row_of(school, students_primary=620)], headers=HEADERS)
    preview = check(data)
    current = school.statistics.get(year=YEAR).revision
    services.statistics_save(
        school=school, year=YEAR, raw=primary_values(students_primary=610), user=None, expected_revision=current
    )
    report = importing.import_rows(
        read_table(data, "in.xlsx"),
        district_code=DISTRICT,
        year=YEAR,
        user=None,
        expected_fingerprint=preview.fingerprint,
    )
    assert not report.applied
    assert "预览之后已有变动" in report.file_errors[0].message
    assert AnnualStatistics.objects.get(school=school, year=YEAR).students_primary == 610


def test_a_new_teaching_point_and_its_new_central_school_in_one_file(county: dict[str, School]) -> None:
    point = row_of(
        "1101010011",
        school_name="新教学点",
        school_type="教学点",
        students_primary=40,
        classes_primary=2,
        max_class_size_primary=21,
        teachers_primary=4,
        qualified_teachers_primary=3,
        mid_title_teachers_primary=2,
        backbone_teachers_primary=1,
        pe_art_teachers_primary=1,
    )
    keys = [*KEYS, "parent_school_code"]
    rows = [[*point, "1101010010"], [*row_of("1101010010", school_name="新中心校"), None]]
    data = files.xlsx(rows, headers=files.template_headers(keys))
    report = importing.import_rows(read_table(data, "tp.xlsx"), district_code=DISTRICT, year=YEAR, user=None)
    assert report.applied, [p.text() for p in report.problems()]
    version = SchoolVersion.objects.get(school__code="1101010011")
    assert version.parent is not None and version.parent.code == "1101010010"


def test_the_command_line_names_the_same_cell_as_the_preview(county: dict[str, School], tmp_path: Path) -> None:
    data = files.xlsx([row_of(county["primary"], teachers_primary="二十")], headers=HEADERS)
    path = tmp_path / "bad.xlsx"
    path.write_bytes(data)
    preview = only_error(check(data))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_statistics", str(path), district=DISTRICT, year=YEAR, stdout=out)
    assert preview.text() in out.getvalue()


def test_the_command_line_refuses_hostile_files_clearly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(files.zip_bomb())
    with pytest.raises(CommandError, match="压缩炸弹"):
        call_command("import_statistics", str(path), district=DISTRICT, year=YEAR, stdout=io.StringIO())


def test_areas_keep_their_decimals(county: dict[str, School]) -> None:
    data = files.xlsx([row_of(county["primary"], teaching_area="3,000.75")], headers=HEADERS)
    report = importing.import_rows(read_table(data, "a.xlsx"), district_code=DISTRICT, year=YEAR, user=None)
    assert report.applied
    assert AnnualStatistics.objects.get(school=county["primary"], year=YEAR).teaching_area == Decimal("3000.75")
