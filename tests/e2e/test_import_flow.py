"""Browser test of issue #7: bureau staff upload the county's workbook with one bad cell, see the
preview name that cell, download the copy with the bad cell marked, fix it there and upload it
again, confirm, and see the county's results recomputed.

Headless Chromium against `live_server`; the county is built through the services and committed
(`transactional_db`). Celery runs in-process, so the check and the import run when the page's
request commits; the job page's polling script (static/schools/import_job.js) is exercised by
the second test, where the job is still running when the page opens.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import Download, Page, expect

from core.models import Role, User
from indicators.models import BalanceResult
from indicators.results import to_json
from indicators.services import profile_install_defaults
from schools import services
from schools.models import AnnualStatistics, District, ImportJob, School
from schools.spreadsheet import COLUMN_KEYS
from tests.factories import junior_values, primary_values

YEAR = 2025
PASSWORD = "e2e-pass-4321"
DISTRICT = ("130998", "临河测试县")
SCHOOLS = [
    ("1309980001", "临河第一小学", "primary"),
    ("1309980002", "临河第二小学", "primary"),
    ("1309980003", "临河初级中学", "junior"),
]
STUDENTS = COLUMN_KEYS.index("students_primary") + 1  # column J
BAD_CELL = "学校统计!J2"


@pytest.fixture
def county(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    profile_install_defaults()
    district = services.district_get_or_create(code=DISTRICT[0], name=DISTRICT[1], province="河北省")
    schools = {}
    for code, name, school_type in SCHOOLS:
        school = services.school_create(
            district=district, code=code, year=YEAR - 1, name=name, school_type=school_type, area_type="town"
        )
        for year in (YEAR - 1, YEAR):
            raw = primary_values() if school_type == "primary" else junior_values()
            services.statistics_save(school=school, year=year, raw=raw, user=None)
        schools[code] = school
    bureau = User.objects.create_user(
        username="bureau-import", password=PASSWORD, role=Role.BUREAU, district=district, display_name="赵科长"
    )
    return {"district": district, "schools": schools, "bureau": bureau}


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert "/accounts/login/" not in page.url


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def downloaded(download: Download) -> bytes:
    path = download.path()
    assert path is not None
    return Path(path).read_bytes()


def edit(data: bytes, changes: dict[str, Any]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for cell, value in changes.items():
        sheet[cell] = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(page: Page, name: str, data: bytes) -> None:
    page.locator("#upload-form input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "buffer": data}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="上传并检查").click()
    page.wait_for_load_state()


def current_result(district: District) -> BalanceResult:
    return BalanceResult.objects.get(district=district, year=YEAR, profile_name="quality-2017", is_current=True)


def test_bureau_fixes_a_bad_cell_and_imports_the_county(
    page: Page, live_server: Any, county: dict[str, Any], screenshot_dir: Path
) -> None:
    base = live_server.url
    district: District = county["district"]
    first: School = county["schools"][SCHOOLS[0][0]]
    before = current_result(district)

    # The balance page before: its data fingerprint.
    login(page, base, "bureau-import")
    page.goto(f"{base}{reverse('indicators:balance_page', args=[district.code, YEAR, 'quality-2017'])}")
    expect(page.locator("main")).to_contain_text(before.input_fingerprint[:12])

    # 1. From the school list to the exchange page; export the county's workbook.
    page.goto(f"{base}{reverse('schools:school_list', kwargs={'district_code': district.code})}?year={YEAR}")
    page.locator("#exchange-link").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("数据导入导出")
    shot(page, screenshot_dir, "0-exchange-page")
    page.locator("#downloads select[name=year]").select_option(str(YEAR))
    with page.expect_download() as info:
        page.get_by_role("button", name="导出统计与均衡结果").click()
    exported = downloaded(info.value)
    assert info.value.suggested_filename == f"export-{district.code}-{YEAR}.xlsx"
    sheet = load_workbook(io.BytesIO(exported)).worksheets[0]
    assert sheet.cell(row=2, column=STUDENTS).value == 600

    # 2. Edit: more pupils at the first school, but typed as text in one cell.
    bad = edit(exported, {"J2": "六百五十", "J3": 640})
    page.locator("#upload-form select[name=year]").select_option(str(YEAR))
    upload(page, "临河县2025.xlsx", bad)
    expect(page.locator("#job-state")).to_have_text("有错误")
    errors = page.locator("#error-table")
    expect(errors).to_contain_text(BAD_CELL)
    expect(errors).to_contain_text("应为数字")
    expect(errors).to_contain_text("六百五十")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    shot(page, screenshot_dir, "1-preview-with-error")
    assert AnnualStatistics.objects.get(school=first, year=YEAR).students_primary == 600

    # 3. Download the marked copy: the bad cell is filled and commented.
    with page.expect_download() as info:
        page.locator("#errors-download").click()
    marked = downloaded(info.value)
    marked_sheet = load_workbook(io.BytesIO(marked)).worksheets[0]
    assert marked_sheet["J2"].comment is not None and "应为数字" in marked_sheet["J2"].comment.text
    assert marked_sheet["J2"].fill.fgColor.rgb.endswith("FFC7CE")

    # 4. Fix the cell in the marked copy and upload it again: a clean preview, before → after.
    page.goto(f"{base}{reverse('schools:exchange_home', kwargs={'district_code': district.code})}?year={YEAR}")
    upload(page, "临河县2025-修改.xlsx", edit(marked, {"J2": 650}))
    expect(page.locator("#job-state")).to_have_text("待确认")
    change = page.locator(f"details[data-school='{first.code}'] tr[data-key=students_primary]")
    expect(change.locator("td.old")).to_have_text("600")
    expect(change.locator("td.new")).to_have_text("650")
    expect(page.locator("#errors")).to_have_count(0)
    shot(page, screenshot_dir, "2-clean-preview")

    # 5. Confirm: imported, recorded, and the county's results recomputed.
    with page.expect_navigation():
        page.locator("#confirm-import").click()
    page.wait_for_load_state()
    expect(page.locator("#job-state")).to_have_text("已导入")
    expect(page.locator("#applied")).to_contain_text("更新 2 条")
    shot(page, screenshot_dir, "3-imported")
    job = ImportJob.objects.order_by("-id").first()
    assert job is not None and job.status == ImportJob.State.APPLIED
    assert job.confirmed_by == county["bureau"] and job.original_name == "临河县2025-修改.xlsx"
    assert AnnualStatistics.objects.get(school=first, year=YEAR).students_primary == 650

    page.get_by_role("link", name="查看县域均衡状况").click()
    page.wait_for_load_state()
    assert f"/districts/{district.code}/balance/" in page.url
    page.goto(f"{base}{reverse('indicators:balance_page', args=[district.code, YEAR, 'quality-2017'])}")
    after = current_result(district)
    assert after.input_fingerprint != before.input_fingerprint
    assert to_json(after.outcome, full=True)["inputs"]["schools"][first.code]["revision"] == 2
    expect(page.locator("main")).to_contain_text(after.input_fingerprint[:12])
    expect(page.locator("main")).not_to_contain_text(before.input_fingerprint[:12])
    shot(page, screenshot_dir, "4-balance-updated")


def test_the_job_page_follows_a_running_check(page: Page, live_server: Any, county: dict[str, Any]) -> None:
    """A job still being checked (as with a real worker): the page polls and shows the preview."""
    district: District = county["district"]
    job = ImportJob.objects.create(
        district=district, year=YEAR, original_name="wait.xlsx", sha256="0" * 64, size=1, status="checking", progress=40
    )
    login(page, live_server.url, "bureau-import")
    page.goto(f"{live_server.url}{reverse('schools:import_detail', kwargs={'pk': job.pk})}")
    expect(page.locator("#job-progress")).to_have_attribute("value", "40")
    ImportJob.objects.filter(pk=job.pk).update(progress=80)
    expect(page.locator("[data-progress-text]")).to_have_text("80%", timeout=10_000)
    ImportJob.objects.filter(pk=job.pk).update(
        status="checked",
        progress=100,
        report={"rows": [], "counts": {"rows": 0, "unchanged": 0}, "file_errors": [], "notices": []},
    )
    expect(page.locator("#job-state")).to_have_text("待确认", timeout=10_000)
    expect(page.locator("#job-progress")).to_have_count(0)
    assert re.search(r"/imports/\d+/$", page.url)
