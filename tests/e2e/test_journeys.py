"""The first-contact journeys of issue #14, in Chromium against the live server:

- the bureau clerk edits a school's statistics, submits and approves them, and sees the balance
  page (opened on the county's current profile, quality-2017) change and say it was recomputed;
- the principal logs in and lands on the school's own standing, naming the school and saying
  达标 or 未达标, in Chinese and in English;
- the inspector asks for the county report without a broker (`make run`: the render runs in a
  thread beside the request), sees its progress and the rule's name, and downloads it.

Screenshots go to the test's screenshot folder (E2E_SCREENSHOT_DIR keeps them).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from core.models import Role, User
from indicators.models import BalanceResult
from indicators.services import balance_recompute, profile_install_defaults
from schools import services
from schools.models import School
from tests.factories import values_for

YEAR = 2025
PASSWORD = "e2e-journey-7788"
DISTRICT = ("130996", "清风旅程测试县")
TARGET = ("1309960002", "清风县东关小学")  # the clerk's school: entered, a draft
OWN = ("1309960001", "清风县实验小学")  # the principal's school
SCHOOLS: list[tuple[str, str, str, dict[str, Any]]] = [
    (*OWN, "primary", {}),
    (*TARGET, "primary", {"sports_area": "3000"}),
    ("1309960003", "清风县柳湾小学", "primary", {"students_primary": 420, "classes_primary": 10}),
    ("1309960004", "清风县第一初级中学", "junior", {}),
]
NEW_TEACHING_AREA = "1800"  # the clerk's correction: a much smaller teaching area


@pytest.fixture
def county(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    profile_install_defaults()  # flushed by earlier transactional tests
    district = services.district_get_or_create(code=DISTRICT[0], name=DISTRICT[1], province="河北省")
    bureau = User.objects.create_user(
        username="bureau-journey", password=PASSWORD, role=Role.BUREAU, district=district, display_name="王科长"
    )
    schools: dict[str, School] = {}
    for code, name, school_type, overrides in SCHOOLS:
        school = services.school_create(
            district=district, code=code, year=YEAR, name=name, school_type=school_type, user=bureau
        )
        schools[code] = school
        stats = services.statistics_save(
            school=school, year=YEAR, raw=values_for(school_type, **overrides), user=bureau
        ).statistics
        if code != TARGET[0]:
            services.statistics_submit(stats=stats, user=bureau)
            services.statistics_approve(stats=stats, user=bureau)
    balance_recompute(districts=[district], year=YEAR)
    User.objects.create_user(
        username="principal-journey",
        password=PASSWORD,
        role=Role.PRINCIPAL,
        school=schools[OWN[0]],
        display_name="李校长",
    )
    inspector = User.objects.create_user(username="inspector-journey", password=PASSWORD, role=Role.INSPECTOR)
    inspector.inspected_districts.add(district)
    return {"district": district, "schools": schools}


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"login failed for {username}"


def english(page: Page) -> None:
    with page.expect_navigation():
        page.locator("select[name=language]").select_option("en")
    page.wait_for_load_state()


def shot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def unit_row(page: Page, name: str) -> Any:
    return page.locator("#unit-table tbody tr", has_text=name).first


def test_the_clerk_edits_submits_and_approves_and_sees_the_balance_page_change(
    page: Page, live_server: Any, county: dict[str, Any], screenshot_dir: Path
) -> None:
    base = live_server.url
    district = county["district"]
    login(page, base, "bureau-journey")

    # The balance page opens on the county's current profile (2017), with the school's figures.
    page.goto(f"{base}{reverse('indicators:balance_home', args=[district.code])}")
    assert re.search(r"/balance/\d{4}/quality-2017/$", page.url), page.url
    before = unit_row(page, TARGET[1]).inner_text()
    expect(page.locator(".echart[data-ready=true]").first).to_be_visible()  # the ECharts chart is drawn
    shot(page, screenshot_dir, "clerk-1-balance-before")

    # Edit the school's statistics (a smaller teaching area), save and submit, then approve.
    school = county["schools"][TARGET[0]]
    page.goto(f"{base}{reverse('schools:statistics_edit', args=[school.code, YEAR])}")
    page.locator("#id_teaching_area").fill(NEW_TEACHING_AREA)
    with page.expect_navigation():
        page.get_by_role("button", name="保存并提交", exact=True).click()
    expect(page.locator("ul.messages")).to_contain_text("已保存并提交")
    with page.expect_navigation():
        page.get_by_role("button", name="审核通过", exact=True).click()
    expect(page.locator("ul.messages")).to_contain_text("均衡状况将按新数据重新计算")
    shot(page, screenshot_dir, "clerk-2-approved")

    # The balance page says the figures were recomputed, and the school's row changed.
    page.goto(f"{base}{reverse('indicators:balance_home', args=[district.code])}")
    expect(page.locator("#recomputed-banner")).to_contain_text("重新计算")
    after = unit_row(page, TARGET[1]).inner_text()
    assert after != before
    result = BalanceResult.objects.get(district=district, year=YEAR, profile_name="quality-2017", is_current=True)
    (unit,) = result.outcome.units_of(school.code)
    value = unit.values["teaching_area_per_student"]
    assert value is not None and f"{value:,.2f}" in after
    assert "教学及辅助用房" in after  # its gap to the standard, in real units
    shot(page, screenshot_dir, "clerk-3-balance-after")
    english(page)
    expect(page.locator("#recomputed-banner")).to_contain_text("recomputed")
    shot(page, screenshot_dir, "clerk-4-balance-after-en")


def test_the_principal_lands_on_the_schools_standing(
    page: Page, live_server: Any, county: dict[str, Any], screenshot_dir: Path
) -> None:
    base = live_server.url
    login(page, base, "principal-journey")
    assert page.url.endswith(reverse("plans:school_standing", args=[OWN[0]]))
    expect(page.locator("h1")).to_have_text(OWN[1])
    expect(page.locator("#school-verdict")).to_have_text(re.compile(r"^(达标|未达标)$"))
    expect(page.locator("nav.mainnav")).to_contain_text("我的学校")
    expect(page.locator("#dues")).to_contain_text("09-20")
    shot(page, screenshot_dir, "principal-1-standing-zh")
    english(page)
    expect(page.locator("h1")).to_have_text(OWN[1])
    expect(page.locator("#school-verdict")).to_have_text(re.compile(r"^(Meets the standard|Below the standard|.+)$"))
    expect(page.locator("nav.mainnav")).to_contain_text("My school")
    body = page.locator("main").inner_text()
    chinese = len(re.findall(r"[\u4e00-\u9fff]", body.replace(OWN[1], "")))
    assert chinese < 0.1 * len(body), f"{chinese} Chinese characters in English mode"
    shot(page, screenshot_dir, "principal-2-standing-en")


def test_the_inspector_asks_for_the_county_report_without_a_broker_and_downloads_it(
    page: Page, live_server: Any, county: dict[str, Any], settings: Any, screenshot_dir: Path, tmp_path: Path
) -> None:
    settings.REPORT_RENDER_IN_THREAD = True  # as `make run`: no broker, the render runs beside the request
    base = live_server.url
    login(page, base, "inspector-journey")
    page.goto(f"{base}{reverse('reports:district_reports', args=[county['district'].code])}")
    expect(page.locator("#id_profile")).to_have_value("quality-2017")  # the county's current profile
    page.locator("#id_kind").select_option("county")
    with page.expect_navigation():
        page.locator("#request-report").click()
    row = page.locator("tr.report-job").first
    expect(row).to_contain_text("优质均衡")  # the rule's name, not its slug
    expect(row.locator(".job-label")).to_have_text(re.compile("排队中|生成中"), timeout=5000)
    expect(row.locator("progress")).to_be_visible()
    shot(page, screenshot_dir, "inspector-1-progress")
    expect(row.locator(".job-label")).to_have_text("已完成", timeout=90_000)
    shot(page, screenshot_dir, "inspector-2-done")
    with page.expect_download() as download_info:
        row.get_by_role("link", name="下载").click()
    path = tmp_path / "report.pdf"
    download_info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    for thread in threading.enumerate():
        if thread.name.startswith("report-"):
            thread.join(timeout=30)
