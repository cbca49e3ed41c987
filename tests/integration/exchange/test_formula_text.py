"""No live formula in any workbook the product writes (issue #12, point 1), and the command-line
export (point 2).

A county whose school names, reopen reason, plan texts, problem list and county plan all begin
with "=", "+", "-" or "@" is written out by every writer: the district template and export, one
school's offline workbook, the marked copy of a refused upload, the county and the school XLSX
reports. Each workbook is read back with openpyxl: no cell is a formula, the hostile texts are
there as text with the quote-prefix style, numbers are numbers and codes are text. Importing the
hostile name keeps it exactly as typed; `export_statistics` writes the browser's workbook, and
importing it again changes nothing.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import TestCase
from openpyxl import Workbook, load_workbook

from indicators.services import balance_recompute
from plans import services as plan_services
from plans.models import PlanArea
from reports import services as report_services
from schools import exchange, importing, services, spreadsheet
from schools.models import District, School, SchoolVersion
from tests.factories import YEAR, junior_values, make_problem, primary_values

pytestmark = pytest.mark.django_db

DISTRICT = "110199"
LINK = '=HYPERLINK("http://evil.example/","点我")'
PLUS = "+SUM(1,2) 中心小学"
MINUS = "-2+3 初级中学"
AT = "@SUM(A1:A2)"
REASON = "=1+1 数据有误"
HOSTILE = {LINK, PLUS, MINUS, AT, REASON}


def formula_cells(data: bytes) -> list[str]:
    """Every formula cell of a workbook, as 'sheet!A1: text'."""
    book = load_workbook(io.BytesIO(data))
    return [
        f"{ws.title}!{cell.coordinate}: {cell.value}"
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def text_cells(data: bytes) -> dict[str, Any]:
    """Every string cell's text → the cell (the last one when a text repeats)."""
    book = load_workbook(io.BytesIO(data))
    return {
        cell.value: cell
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }


def assert_safe(data: bytes, expected: set[str]) -> dict[str, Any]:
    assert formula_cells(data) == []
    found = text_cells(data)
    containing = {text for text in expected if any(text in value for value in found)}
    assert containing == expected, f"missing: {expected - containing}"
    for value, cell in found.items():
        if value.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert cell.data_type == "s" and cell.quotePrefix, (value, cell.coordinate)
    return found


@pytest.fixture
def county(media_root: Path) -> District:
    district = services.district_get_or_create(code=DISTRICT, name="公式测试县", province="测试省")
    first = services.school_create(
        district=district, code=f"{DISTRICT}0001", year=YEAR, name=LINK, school_type="primary"
    )
    second = services.school_create(
        district=district, code=f"{DISTRICT}0002", year=YEAR, name=MINUS, school_type="junior"
    )
    for school, values in ((first, primary_values()), (second, junior_values())):
        stats = services.statistics_save(school=school, year=YEAR, raw=values, user=None).statistics
        services.statistics_submit(stats=stats, user=None)
        services.statistics_approve(stats=stats, user=None)
    # Returned with a reason: the reports' approval record shows it.
    services.statistics_reopen(stats=second.statistics.get(year=YEAR), user=None, reason=REASON)
    plan = plan_services.plan_create(school=first, start_year=YEAR, title=PLUS, user=None)
    goal = plan_services.goal_save(
        plan=plan, area=PlanArea.objects.get_or_create(name="教学")[0], title=AT, measures=MINUS
    )
    plan_services.target_save(goal=goal, name=AT, unit="=元", values={str(YEAR): "5"})
    county_plan = plan_services.county_plan_save(district=district, start_year=YEAR, title=PLUS, notes=LINK)
    plan_services.county_target_set(
        expected_revision=county_plan.revision, plan=county_plan, kind="enrolment_rate", year=YEAR, value="99"
    )
    make_problem(district, LINK, school=first, owner=MINUS, detail=AT)
    with TestCase.captureOnCommitCallbacks(execute=True):
        balance_recompute(districts=[district], year=YEAR)
    return district


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def test_the_district_template_export_and_school_workbook_hold_no_formula(county: District) -> None:
    school = School.objects.get(code=f"{DISTRICT}0001")
    for data in (
        exchange.template_workbook(county, YEAR),
        exchange.export_workbook(county, YEAR),
        exchange.school_workbook(school, YEAR),
    ):
        found = assert_safe(data, {LINK})
        assert found[LINK].value == LINK
    sheet = load_workbook(io.BytesIO(exchange.export_workbook(county, YEAR)))[exchange.SHEET_TITLE]
    headers = [c.value for c in sheet[1]]
    row = dict(zip(headers, sheet[2], strict=False))
    code = row[spreadsheet.column_header("school_code")]
    students = row[spreadsheet.column_header("students_primary")]
    assert code.value == f"{DISTRICT}0001" and code.data_type == "s" and not code.quotePrefix  # a code is text
    assert students.value == 600 and students.data_type == "n"  # a number is a number


def test_the_county_and_school_reports_hold_no_formula(county: District) -> None:
    school = School.objects.get(code=f"{DISTRICT}0001")
    county_xlsx, _pages = report_services.render_document(
        kind="county", fmt="xlsx", district=county, school=None, year=YEAR, profile_name="quality-2017"
    )
    assert_safe(county_xlsx, {LINK, MINUS, PLUS, REASON})
    school_xlsx, _pages = report_services.render_document(
        kind="school", fmt="xlsx", district=county, school=school, year=YEAR, profile_name="quality-2017"
    )
    assert_safe(school_xlsx, {LINK, PLUS, AT})


def test_the_marked_copy_writes_a_refused_formula_back_as_text(county: District) -> None:
    """An upload with a real formula cell (=1+1, refused) and a formula-like name (accepted)."""
    from tests.unit.exchange import files

    keys = ["school_code", "school_name", "school_type", "students_primary"]
    book = Workbook()
    ws = book.active
    ws.title = files.SHEET
    ws.append(files.template_headers(keys))
    ws.append([f"{DISTRICT}0001", LINK, "小学", "=1+1"])  # openpyxl stores both as formulas …
    ws["B2"].data_type = "s"  # … the name as the text a person typed (Excel stores it so)
    buffer = io.BytesIO()
    book.save(buffer)
    upload = buffer.getvalue()
    assert formula_cells(upload) == [f"{files.SHEET}!D2: =1+1"]
    table = spreadsheet.read_table(upload, "up.xlsx")
    assert table.formulas == {(2, 3): "=1+1"}
    assert table.rows[0][1][1] == LINK  # the name is a value, not a formula
    report = importing.check_table(table, district_code=DISTRICT, year=YEAR)
    marks = [
        spreadsheet.Mark(p["row"] or row["row"], p.get("column"), p["message"])
        for row in report.to_dict()["rows"]
        for p in row["errors"]
    ]
    assert marks, "the formula cell is refused"
    marked = spreadsheet.marked_copy(upload, "up.xlsx", files.SHEET, marks, ["x"])
    found = assert_safe(marked, {LINK, "=1+1"})
    assert found["=1+1"].fill.fgColor.rgb.endswith("FFC7CE")  # marked red, and text


def test_a_formula_like_name_imports_exactly_as_typed(county: District, tmp_path: Path) -> None:
    name = '=HYPERLINK("http://evil.example/","新学校")'
    keys = ["school_code", "school_name", "school_type", *primary_values()]
    book = spreadsheet.write_workbook(
        [
            {
                **primary_values(),
                "district_code": DISTRICT,
                "year": YEAR,
                "school_code": f"{DISTRICT}0003",
                "school_name": name,
                "school_type": "小学",
                "county_run": "是",
                "ownership": "公办",
                "area_type": "城区",
            }
        ],
        sheet_title=exchange.SHEET_TITLE,
    )
    assert keys and formula_cells(book) == []
    path = tmp_path / "new.xlsx"
    path.write_bytes(book)
    call_command("import_statistics", str(path), district=DISTRICT, year=YEAR, stdout=io.StringIO())
    version = SchoolVersion.objects.get(school__code=f"{DISTRICT}0003")
    assert version.name == name


def test_export_statistics_writes_the_browser_export_and_it_reimports_unchanged(
    county: District, tmp_path: Path
) -> None:
    output = tmp_path / "backup.xlsx"
    out = io.StringIO()
    call_command("export_statistics", district=DISTRICT, year=YEAR, output=str(output), stdout=out)
    assert "backup.xlsx" in out.getvalue()
    written = output.read_bytes()
    browser = exchange.export_workbook(county, YEAR)
    assert _sheets(written) == _sheets(browser)  # the same workbook (its export time aside)
    assert formula_cells(written) == []
    assert list(tmp_path.iterdir()) == [output]  # no temporary file left behind
    report = importing.import_rows(
        importing.read_table(output), district_code=DISTRICT, year=YEAR, user=None, dry_run=True
    )
    assert report.ready and report.error_count == 0
    assert [row.changes for row in report.rows] == [{} for _ in report.rows]


def test_export_statistics_refuses_an_unknown_district_and_a_wrong_suffix(county: District, tmp_path: Path) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="999999"):
        call_command("export_statistics", district="999999", year=YEAR, output=str(tmp_path / "a.xlsx"))
    with pytest.raises(CommandError, match=r"\.xlsx"):
        call_command("export_statistics", district=DISTRICT, year=YEAR, output=str(tmp_path / "a.csv"))
    assert list(tmp_path.iterdir()) == []


def _sheets(data: bytes) -> list[tuple[str, list[list[Any]]]]:
    """Each sheet's values, the export-time line of the notes aside."""
    book = load_workbook(io.BytesIO(data))
    out = []
    for ws in book.worksheets:
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        out.append((ws.title, [r for r in rows if not (isinstance(r[0], str) and r[0].startswith("导出时间"))]))
    return out


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_shows_the_text_rather_than_evaluating_it(county: District, tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(exchange.export_workbook(county, YEAR))
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    csv_text = (tmp_path / "export.csv").read_text(encoding="utf-8", errors="replace")
    assert LINK.replace('"', '""') in csv_text  # the formula's text, not its result ("点我")


def test_the_city_overview_workbook_holds_no_formula(county: District) -> None:
    from city import documents, selectors

    county.name = LINK  # a county named like a formula, as a city office's table shows it
    county.save(update_fields=["name"])
    data = selectors.overview([county], year=YEAR, profile_name="quality-2017")
    assert_safe(documents.overview_xlsx(data, data.rows), {LINK})
