"""Browser test: the school list's "确认" button (a record carried over from last year) still posts
now that the table is cached as HTML: the button submits the page's one form outside the cached
table (HTML `form` attribute, with this session's CSRF token), and the list shows the change at once.

Headless Chromium (tests/e2e/conftest.py) against pytest-django's `live_server`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from core.models import Role, User
from indicators.services import profile_install_defaults
from schools import services
from schools.models import AnnualStatistics, School
from tests.factories import YEAR, values_for

PASSWORD = "e2e-pass-4321"
CARRIED = ("1309980001", "城关第一小学")
OTHER = ("1309980002", "柳林镇中心小学")


@pytest.fixture
def county(transactional_db: None) -> dict[str, Any]:
    profile_install_defaults()  # flushed by earlier transactional tests
    district = services.district_get_or_create(code="130998", name="清源确认县", province="河北省")
    schools: dict[str, School] = {}
    for code, name in (CARRIED, OTHER):
        schools[code] = services.school_create(
            district=district,
            code=code,
            year=YEAR - 1,
            name=name,
            school_type="primary",
            ownership="public",
            county_run=True,
            area_type="urban",
        )
        services.statistics_save(school=schools[code], year=YEAR, raw=values_for("primary"), user=None)
    AnnualStatistics.objects.filter(school__code__in=[CARRIED[0], OTHER[0]]).update(unconfirmed=True)
    bureau = User.objects.create_user(
        username="bureau-confirm", password=PASSWORD, role=Role.BUREAU, district=district, display_name="王科长"
    )
    return {"district": district, "bureau": bureau}


def row(page: Page, code: str) -> Any:
    return page.locator("#school-list tbody tr", has_text=code)


def test_the_confirm_button_of_the_cached_list_posts(
    page: Page, live_server: Any, county: dict[str, Any], screenshot_dir: Path
) -> None:
    base = live_server.url
    page.goto(f"{base}{reverse('login')}")
    page.locator("input[name=username]").fill("bureau-confirm")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    list_url = f"{base}{reverse('schools:school_list', args=['130998'])}?year={YEAR}"
    page.goto(list_url)
    page.goto(list_url)  # the second view is served from the cached table
    expect(row(page, CARRIED[0])).to_contain_text("待确认")
    expect(row(page, OTHER[0])).to_contain_text("待确认")
    page.screenshot(path=str(screenshot_dir / "school-list-unconfirmed.png"), full_page=True)
    with page.expect_navigation():
        row(page, CARRIED[0]).get_by_role("button", name="确认").click()
    assert page.url == list_url
    expect(row(page, CARRIED[0])).not_to_contain_text("待确认")
    expect(row(page, OTHER[0])).to_contain_text("待确认")
    page.screenshot(path=str(screenshot_dir / "school-list-confirmed.png"), full_page=True)
    assert not AnnualStatistics.objects.get(school__code=CARRIED[0], year=YEAR).unconfirmed
