"""The import command: `manage.py import_statistics FILE --district CODE --year YEAR`.

Files are written in tmp_path: CSV with or without BOM, with Chinese labels or machine keys as
headers, and XLSX written with openpyxl.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from schools.fields import SCHOOL_FIELDS, STAT_FIELD_BY_KEY
from schools.models import AnnualStatistics, District, School, SchoolVersion, StatisticsEvent
from tests.factories import YEAR, junior_values, primary_values

pytestmark = pytest.mark.django_db

DISTRICT = "330102"
SCHOOLS = [
    {
        "school_code": "3301020001",
        "school_name": "上城区实验小学",
        "school_type": "primary",
        "ownership": "public",
        "county_run": "yes",
        "area_type": "urban",
        **primary_values(),
    },
    {
        "school_code": "3301020002",
        "school_name": "上城区第一初级中学",
        "school_type": "初级中学",  # Chinese labels in place of the keys
        "ownership": "民办",
        "county_run": "否",
        "area_type": "镇区",
        **junior_values(),
    },
    {
        "school_code": "3301020003",
        "school_name": "上城区江边教学点",
        "school_type": "教学点",
        "parent_school_code": "3301020001",
        "area_type": "乡村",
        **primary_values(
            students_primary=40,
            classes_primary=2,
            max_class_size_primary=21,
            teachers_primary=4,
            qualified_teachers_primary=3,
            mid_title_teachers_primary=2,
            backbone_teachers_primary=1,
            pe_art_teachers_primary=1,
        ),
    },
]
PROFILE = ["school_code", "school_name", "school_type", "parent_school_code"]
STATS = list(primary_values()) + [k for k in junior_values() if k not in primary_values()]
KEYS = PROFILE + STATS + ["ownership", "county_run", "area_type"]


def label(key: str) -> str:
    return SCHOOL_FIELDS[key] if key in SCHOOL_FIELDS else STAT_FIELD_BY_KEY[key].label


def write_csv(path: Path, rows: list[dict[str, Any]], *, headers: list[str], keys: list[str], bom: bool) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if row.get(k) is None else row.get(k) for k in keys])
    path.write_text(buffer.getvalue(), encoding="utf-8-sig" if bom else "utf-8")
    return path


def run(path: Path, district: str = DISTRICT, year: int = YEAR, **options: Any) -> str:
    out = io.StringIO()
    call_command("import_statistics", str(path), district=district, year=year, stdout=out, **options)
    return out.getvalue()


def run_failing(path: Path, district: str = DISTRICT, year: int = YEAR) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_statistics", str(path), district=district, year=year, stdout=out)
    return out.getvalue(), str(error.value)


def stats(code: str, year: int = YEAR) -> AnnualStatistics:
    return AnnualStatistics.objects.get(school__code=code, year=year)


def assert_imported() -> None:
    district = District.objects.get(code=DISTRICT)
    assert sorted(district.schools.values_list("code", flat=True)) == ["3301020001", "3301020002", "3301020003"]
    point = School.objects.get(code="3301020003").versions.get()
    assert (point.school_type, point.area_type) == ("teaching_point", "rural")
    assert point.parent is not None and point.parent.code == "3301020001"
    junior = School.objects.get(code="3301020002").versions.get()
    assert (junior.school_type, junior.ownership, junior.county_run, junior.area_type) == (
        "junior",
        "private",
        False,
        "town",
    )
    first = stats("3301020001")
    assert (first.students_primary, first.teaching_area, first.books) == (600, Decimal("3000.50"), 20000)
    assert stats("3301020002").students_junior == 500
    assert stats("3301020003").students_primary == 40
    assert set(StatisticsEvent.objects.values_list("action", flat=True)) == {"import"}


def test_imports_csv_with_bom_and_chinese_headers_creating_the_district(tmp_path: Path) -> None:
    assert not District.objects.filter(code=DISTRICT).exists()
    path = write_csv(tmp_path / "统计.csv", SCHOOLS, headers=[label(k) for k in KEYS], keys=KEYS, bom=True)
    out = run(path)
    assert_imported()
    assert out.count("新增") == 3
    assert "导入成功:3 行" in out


def test_imports_csv_with_machine_keys_and_no_bom(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "stats.csv", SCHOOLS, headers=KEYS, keys=KEYS, bom=False)
    run(path)
    assert_imported()


def test_accepts_the_data_dictionarys_own_header_wording(tmp_path: Path) -> None:
    """Headers as printed in data-dictionary.md and in the bureau's sheets (units, full-width)."""
    headers = [label(k) for k in KEYS]
    wording = {
        "teaching_area": "教学及辅助用房面积\uff08m²\uff09",  # full-width brackets
        "sports_area": "体育运动场(馆)面积(m²)",
        "indoor_sports_area": "其中: 室内体育用房面积",  # as written in data-dictionary.md
        "books": "图书\uff08册\uff09",
        "equipment_value": " 教学仪器设备资产值 (元) ",
        "mid_title_teachers_primary": "小学中级及以上专业技术职务专任教师数",
        "pe_art_teachers_primary": "小学体育、艺术(音乐、美术)专任教师数",
    }
    for key, header in wording.items():
        headers[KEYS.index(key)] = header
    path = write_csv(tmp_path / "表头.csv", SCHOOLS, headers=headers, keys=KEYS, bom=True)
    out = run(path)
    assert "未识别" not in out
    assert_imported()
    first = stats("3301020001")
    assert (first.indoor_sports_area, first.mid_title_teachers_primary, first.pe_art_teachers_primary) == (
        Decimal("300.00"),
        20,
        6,
    )


def test_imports_xlsx_written_with_openpyxl(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "学校统计"
    sheet.append([label(k) for k in KEYS])
    for row in SCHOOLS:
        cells = []
        for key in KEYS:
            value = row.get(key)
            if key in STAT_FIELD_BY_KEY and isinstance(value, str):
                value = float(value)  # numbers as numeric cells, as Excel stores them
            cells.append(value)
        sheet.append(cells)
    path = tmp_path / "统计.xlsx"
    workbook.save(path)
    out = run(path)
    assert_imported()
    assert "导入成功" in out


def test_school_codes_stored_as_numbers_in_xlsx_are_read_as_text(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["school_code", "school_name", "school_type", "students_primary"])
    sheet.append([3301020001, "上城区实验小学", "小学", 600])
    path = tmp_path / "codes.xlsx"
    workbook.save(path)
    run(path)
    assert stats("3301020001").students_primary == 600
    assert School.objects.get(code="3301020001").versions.get().school_type == "primary"


def test_updates_existing_schools_and_statistics(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", SCHOOLS, headers=KEYS, keys=KEYS, bom=True)
    run(path)
    changed = [dict(SCHOOLS[0], students_primary=620, school_name="上城区实验小学(本部)"), *SCHOOLS[1:]]
    out = run(write_csv(tmp_path / "b.csv", changed, headers=KEYS, keys=KEYS, bom=True))
    first = stats("3301020001")
    assert (first.students_primary, first.revision) == (620, 2)
    assert list(first.events.order_by("id").values_list("changes", flat=True))[-1] == {"students_primary": [600, 620]}
    assert School.objects.get(code="3301020001").versions.get(valid_from=YEAR).name == "上城区实验小学(本部)"
    assert "更新" in out and out.count("无变化") == 2
    assert School.objects.count() == 3


def test_reimport_of_the_same_file_reports_unchanged(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", SCHOOLS, headers=KEYS, keys=KEYS, bom=True)
    run(path)
    events, versions = StatisticsEvent.objects.count(), SchoolVersion.objects.count()
    out = run(path)
    assert out.count("无变化") == 3
    assert "新增" not in out and "更新" not in out
    assert StatisticsEvent.objects.count() == events
    assert SchoolVersion.objects.count() == versions
    assert stats("3301020001").revision == 1


def test_a_file_with_one_bad_row_saves_nothing_and_names_the_cell(tmp_path: Path) -> None:
    # Column H is the 8th column: KEYS[7]; row 3 is the second data row.
    bad_key = KEYS[7]
    assert bad_key == "teachers_primary"
    rows = [SCHOOLS[0], dict(SCHOOLS[2], **{bad_key: "二十"}), SCHOOLS[1]]
    path = write_csv(tmp_path / "bad.csv", rows, headers=KEYS, keys=KEYS, bom=True)
    out, error = run_failing(path)
    assert "bad.csv!H3" in out
    assert "应为数字" in out and "二十" in out
    assert "未保存任何数据" in error
    assert not District.objects.filter(code=DISTRICT).exists()
    assert not School.objects.exists()
    assert not AnnualStatistics.objects.exists()


def test_a_rule_violation_names_the_cell_of_the_sub_count(tmp_path: Path) -> None:
    rows = [SCHOOLS[0], dict(SCHOOLS[1], qualified_teachers_junior=41)]
    path = write_csv(tmp_path / "rule.csv", rows, headers=KEYS, keys=KEYS, bom=True)
    out, _error = run_failing(path)
    column = get_column_letter(KEYS.index("qualified_teachers_junior") + 1)
    assert f"rule.csv!{column}3" in out
    assert "不能超过" in out
    assert not School.objects.exists()


def test_a_bad_row_in_an_existing_district_keeps_its_previous_values(tmp_path: Path) -> None:
    run(write_csv(tmp_path / "a.csv", SCHOOLS, headers=KEYS, keys=KEYS, bom=True))
    rows = [dict(SCHOOLS[0], students_primary=610), dict(SCHOOLS[1], books=-5), SCHOOLS[2]]
    out, _error = run_failing(write_csv(tmp_path / "b.csv", rows, headers=KEYS, keys=KEYS, bom=True))
    assert "不能为负数" in out
    assert stats("3301020001").students_primary == 600
    assert stats("3301020002").books == 18000


def test_unknown_columns_are_reported(tmp_path: Path) -> None:
    headers = [*KEYS, "备注"]
    rows = [dict(r, 备注="无") for r in SCHOOLS]
    path = write_csv(tmp_path / "extra.csv", rows, headers=headers, keys=headers, bom=True)
    out = run(path)
    assert "未识别的列“备注”" in out
    assert "extra.csv!" in out.split("备注")[1].splitlines()[0]
    assert AnnualStatistics.objects.count() == 3


def test_duplicate_school_codes_are_reported(tmp_path: Path) -> None:
    rows = [SCHOOLS[0], SCHOOLS[1], dict(SCHOOLS[0], students_primary=610)]
    path = write_csv(tmp_path / "dup.csv", rows, headers=KEYS, keys=KEYS, bom=True)
    out, _error = run_failing(path)
    assert "第 2 行重复" in out
    assert "dup.csv!A4" in out
    assert not School.objects.exists()


def test_a_jump_needs_a_reason_in_the_file(tmp_path: Path) -> None:
    keys = ["school_code", "school_name", "school_type", *primary_values()]
    run(write_csv(tmp_path / "y1.csv", [SCHOOLS[0]], headers=keys, keys=keys, bom=True), year=YEAR - 1)
    jump = dict(SCHOOLS[0], books=40000)
    out, _error = run_failing(write_csv(tmp_path / "y2.csv", [jump], headers=keys, keys=keys, bom=True))
    assert "较上年变化" in out and "变动说明" in out
    assert not AnnualStatistics.objects.filter(year=YEAR).exists()

    with_reason = [*keys, "变动说明"]
    path = write_csv(
        tmp_path / "y3.csv", [dict(jump, 变动说明="新建图书馆")], headers=with_reason, keys=with_reason, bom=True
    )
    run(path)
    assert stats("3301020001").change_reasons["books"] == "新建图书馆"


def test_dry_run_checks_without_saving(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", SCHOOLS, headers=KEYS, keys=KEYS, bom=True)
    out = run(path, dry_run=True)
    assert "仅检查" in out
    assert not District.objects.filter(code=DISTRICT).exists()


@pytest.mark.parametrize(
    ("district", "name", "message"),
    [("3301", "a.csv", "6 位数字"), (DISTRICT, "missing.csv", "文件不存在"), (DISTRICT, "a.txt", "CSV 或 XLSX")],
)
def test_bad_arguments_stop_before_reading(tmp_path: Path, district: str, name: str, message: str) -> None:
    write_csv(tmp_path / "a.csv", SCHOOLS, headers=KEYS, keys=KEYS, bom=True)
    (tmp_path / "a.txt").write_text("school_code\n3301020001\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_statistics", str(tmp_path / name), district=district, year=YEAR, stdout=io.StringIO())
    assert message in str(error.value)


def test_reimport_after_approval_reports_unchanged_rows_and_refuses_changed_ones(tmp_path: Path) -> None:
    from schools import services

    path = write_csv(tmp_path / "a.csv", SCHOOLS, headers=KEYS, keys=KEYS, bom=True)
    run(path)
    for record in AnnualStatistics.objects.all():
        services.statistics_approve(stats=services.statistics_submit(stats=record, user=None), user=None)
    assert run(path).count("无变化") == 3

    changed = [dict(SCHOOLS[0], students_primary=620), *SCHOOLS[1:]]
    out, _error = run_failing(write_csv(tmp_path / "b.csv", changed, headers=KEYS, keys=KEYS, bom=True))
    assert "退回" in out
    assert stats("3301020001").students_primary == 600


def test_reimport_without_the_reason_column_keeps_the_reason_given_before(tmp_path: Path) -> None:
    keys = ["school_code", "school_name", "school_type", *primary_values()]
    run(write_csv(tmp_path / "y1.csv", [SCHOOLS[0]], headers=keys, keys=keys, bom=True), year=YEAR - 1)
    with_reason = [*keys, "变动说明"]
    jump = dict(SCHOOLS[0], books=40000, 变动说明="新建图书馆")
    run(write_csv(tmp_path / "y2.csv", [jump], headers=with_reason, keys=with_reason, bom=True))
    out = run(write_csv(tmp_path / "y3.csv", [jump], headers=keys, keys=keys, bom=True))
    assert "无变化" in out


def test_a_school_of_another_district_is_not_taken_over(tmp_path: Path) -> None:
    run(write_csv(tmp_path / "a.csv", SCHOOLS, headers=KEYS, keys=KEYS, bom=True))
    other = [dict(SCHOOLS[0], school_name="被改名的学校")]
    out, _error = run_failing(
        write_csv(tmp_path / "b.csv", other, headers=KEYS, keys=KEYS, bom=True), district="330103"
    )
    assert "其他区县" in out
    school = School.objects.get(code="3301020001")
    assert school.district.code == DISTRICT
    assert school.versions.get().name == "上城区实验小学"
    assert not District.objects.filter(code="330103").exists()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("school_type", "幼儿园", "应为以下之一"),
        ("county_run", "也许", "是”或“否"),
        ("school_code", "33010200", "10 位数字"),
    ],
)
def test_bad_profile_cells_are_reported_by_cell(tmp_path: Path, key: str, value: str, message: str) -> None:
    path = write_csv(tmp_path / "p.csv", [dict(SCHOOLS[0], **{key: value})], headers=KEYS, keys=KEYS, bom=True)
    out, _error = run_failing(path)
    assert f"p.csv!{get_column_letter(KEYS.index(key) + 1)}2" in out
    assert message in out
    assert not School.objects.exists()
