"""Browser tests of issue #17: an inspector assigned to two counties compares them and drills into
one; a bureau clerk edits the annual work summary, saves it and downloads it as Word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx
import pytest
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from assessment.services import checklist_install_defaults
from core.models import Role, User
from indicators.services import balance_recompute, profile_install_defaults
from schools import services
from tests.factories import YEAR, values_for

PASSWORD = "e2e-summary-1717"
# Two counties; the first's primary schools differ widely in sports grounds (its CV fails).
COUNTIES: dict[str, tuple[str, list[tuple[str, str, str, dict[str, Any]]]]] = {
    "130881": (
        "东山测试县",
        [
            ("1308810001", "东山县实验小学", "primary", {"sports_area": "5000"}),
            ("1308810002", "东山县河口小学", "primary", {"sports_area": "600"}),
            ("1308810003", "东山县东关小学", "primary", {"sports_area": "9000"}),
            ("1308810004", "东山县第一初级中学", "junior", {}),
        ],
    ),
    "130882": (
        "西川测试县",
        [
            ("1308820001", "西川县实验小学", "primary", {}),
            ("1308820002", "西川县城南小学", "primary", {"books": 15000}),
            ("1308820003", "西川县第一初级中学", "junior", {}),
        ],
    ),
}


@pytest.fixture
def counties(transactional_db: None) -> dict[str, Any]:
    profile_install_defaults()  # flushed by earlier transactional tests
    checklist_install_defaults()
    inspector = User.objects.create_user(username="inspector-two-e2e", password=PASSWORD, role=Role.INSPECTOR)
    bureau = None
    for code, (name, schools) in COUNTIES.items():
        district = services.district_get_or_create(code=code, name=name, province="河北省")
        staff = User.objects.create_user(
            username=f"bureau-{code}-e2e", password=PASSWORD, role=Role.BUREAU, district=district
        )
        bureau = bureau or staff
        for school_code, school_name, school_type, overrides in schools:
            school = services.school_create(
                district=district, code=school_code, year=YEAR, name=school_name, school_type=school_type, user=staff
            )
            stats = services.statistics_save(
                school=school, year=YEAR, raw=values_for(school_type, **overrides), user=staff
            ).statistics
            services.statistics_approve(stats=services.statistics_submit(stats=stats, user=staff), user=staff)
        balance_recompute(districts=[district], year=YEAR)
        inspector.inspected_districts.add(district)
    return {"inspector": inspector, "bureau": bureau}


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_an_inspector_of_two_counties_compares_them_and_drills_into_one(
    page: Page, live_server: Any, counties: dict[str, Any], screenshot_dir: Path, tmp_path: Path
) -> None:
    base = live_server.url
    log_in(page, base, "inspector-two-e2e")
    # Someone who follows two counties lands on the comparison.
    expect(page.locator("h1")).to_contain_text("区县对比")
    rows = page.locator("#overview-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#cv-matrix")).to_contain_text("生均体育运动场馆面积")
    page.screenshot(path=str(screenshot_dir / "overview.png"), full_page=True)

    # Sort by the highest CV against its line, highest first: the county whose CV fails comes first.
    page.locator("a.sortlink[data-sort=worst]").click()
    page.locator("a.sortlink[data-sort=worst]").click()
    expect(page).to_have_url(f"{base}{reverse('city:overview')}?sort=worst&dir=desc")
    expect(rows.first).to_have_attribute("data-code", "130881")
    expect(rows.first.locator("strong.bad")).to_have_count(2)  # its failing CV count and worst CV in red

    with page.expect_download() as download_info:
        page.locator("#download-xlsx").click()
    path = tmp_path / "overview.xlsx"
    download_info.value.save_as(path)
    sheet = load_workbook(path)["区县对比"]
    assert {sheet.cell(4, 2).value, sheet.cell(5, 2).value} == {"东山测试县", "西川测试县"}

    # Drill into the first county: its CVs against their lines, and links to its own pages.
    rows.first.get_by_role("link", name="东山测试县").click()
    expect(page.locator("h1")).to_contain_text("东山测试县")
    expect(page.locator("#district-cvs")).to_contain_text("生均体育运动场馆面积")
    expect(page.locator("#district-cvs td.bad").first).to_contain_text("×")
    expect(page.locator("#county-links")).to_contain_text("年度工作总结")
    page.screenshot(path=str(screenshot_dir / "drill-down.png"), full_page=True)


def test_a_clerk_edits_the_work_summary_and_downloads_it(
    page: Page, live_server: Any, counties: dict[str, Any], screenshot_dir: Path, tmp_path: Path
) -> None:
    base = live_server.url
    log_in(page, base, "bureau-130881-e2e")
    page.get_by_role("link", name="工作总结").click()
    expect(page.locator("h1")).to_contain_text("东山测试县")
    expect(page.locator("#summary-status")).to_contain_text("尚未保存")
    text = "本学年新建塑胶运动场一处,小学运动场差异系数为{{小学生均体育运动场馆面积差异系数}}。"
    page.locator("textarea[name=block-results-more]").fill(text)
    page.locator("input[name=note]").fill("补充主要做法")
    page.locator("#save-summary").click()
    expect(page.locator(".messages")).to_contain_text("已保存为第 1 版")
    expect(page.locator("#versions")).to_contain_text("补充主要做法")
    page.locator("#preview summary").click()
    expect(page.locator("#preview")).to_contain_text("本学年新建塑胶运动场一处,小学运动场差异系数为0.")
    page.screenshot(path=str(screenshot_dir / "summary-editor.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("#download-docx").click()
    download = download_info.value
    assert download.suggested_filename == "东山测试县2025—2026学年义务教育均衡发展工作总结(第1版).docx"
    path = tmp_path / "summary.docx"
    download.save_as(path)
    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    edited = next(p for p in paragraphs if p.startswith("本学年新建塑胶运动场一处"))
    assert "{{" not in edited and edited.endswith("。")
    assert "三、下一步工作打算" in [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    with page.expect_download() as pdf_info:
        page.locator("#download-pdf").click()
    pdf = tmp_path / "summary.pdf"
    pdf_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
