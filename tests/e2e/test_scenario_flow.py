"""Browser test of issue #15: a clerk opens a scenario from the balance page, moves two 骨干
teachers between primary schools and sees the backbone CV change beside the county's own figure.

The issue's test continues: "runs the planner, opens its plan as a scenario, and exports it". That
part is the planner's (branch `planner`): it goes on from `open_scenario_and_move_teachers` below,
which leaves the browser on the scenario page, logged in as the clerk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from core.models import Role, User
from indicators.selectors import balance_result_get
from indicators.services import balance_recompute, profile_install_defaults
from scenarios.models import Scenario
from schools import services
from tests.factories import YEAR, values_for

PASSWORD = "e2e-scenario-1515"
DISTRICT = ("130891", "南岭测试县")
PROFILE = "quality-2017"
# Three primary schools of 600 students whose 骨干 teachers differ widely, and a junior school.
SCHOOLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("1308910001", "南岭县实验小学", "primary", {"backbone_teachers_primary": 14}),
    ("1308910002", "南岭县河口小学", "primary", {"backbone_teachers_primary": 2}),
    ("1308910003", "南岭县东关小学", "primary", {"backbone_teachers_primary": 8}),
    ("1308910004", "南岭县第一初级中学", "junior", {}),
]
BACKBONE_ROW = "#cv-primary-backbone_teachers_per100"


@pytest.fixture
def county(transactional_db: None) -> dict[str, Any]:
    profile_install_defaults()  # flushed by earlier transactional tests
    district = services.district_get_or_create(code=DISTRICT[0], name=DISTRICT[1], province="河北省")
    clerk = User.objects.create_user(
        username="bureau-scenario-e2e", password=PASSWORD, role=Role.BUREAU, district=district
    )
    for code, name, school_type, overrides in SCHOOLS:
        school = services.school_create(
            district=district, code=code, year=YEAR, name=name, school_type=school_type, user=clerk
        )
        stats = services.statistics_save(
            school=school, year=YEAR, raw=values_for(school_type, **overrides), user=clerk
        ).statistics
        services.statistics_approve(stats=services.statistics_submit(stats=stats, user=clerk), user=clerk)
    balance_recompute(districts=[district], year=YEAR)
    return {"district": district, "clerk": clerk}


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def open_scenario_and_move_teachers(page: Page, base: str, county: dict[str, Any], shots: Path) -> Scenario:
    """From the balance page: open a scenario, move two 骨干 teachers, see the CV change."""
    district = county["district"]
    log_in(page, base, county["clerk"].username)
    page.goto(f"{base}{reverse('indicators:balance_page', args=[district.code, YEAR, PROFILE])}")
    with page.expect_navigation():
        page.locator("#open-scenarios").click()
    page.locator("#scenario-create input[name=name]").fill("骨干教师交流轮岗")
    with page.expect_navigation():
        page.locator("#scenario-create button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("骨干教师交流轮岗")
    row = page.locator(BACKBONE_ROW)
    expect(row).to_have_attribute("data-changed", "0")
    before = page.locator("#cv-base-primary-backbone_teachers_per100").inner_text()
    page.screenshot(path=str(shots / "1-scenario-opened.png"), full_page=True)

    form = page.locator("#form-move")
    form.locator("input[name=school_code]").fill(SCHOOLS[0][0])
    form.locator("input[name=to_school_code]").fill(SCHOOLS[1][0])
    form.locator("select[name=level]").select_option("primary")
    form.locator("select[name=teacher_kind]").select_option("backbone_teachers")
    form.locator("input[name=count]").fill("2")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    expect(row).to_have_attribute("data-changed", "1")
    expect(row).to_have_class("changed")
    after = page.locator("#cv-scenario-primary-backbone_teachers_per100").inner_text()
    assert float(after) < float(before), (before, after)
    expect(page.locator("#changes")).to_contain_text(SCHOOLS[0][1])
    expect(page.locator("#changes")).to_contain_text(SCHOOLS[1][1])
    page.locator("#result").screenshot(path=str(shots / "2-verdict.png"))
    page.screenshot(path=str(shots / "3-teachers-moved.png"), full_page=True)
    scenario = Scenario.objects.get(district=district, name="骨干教师交流轮岗")
    assert scenario.revision == 2
    return scenario


def test_a_clerk_opens_a_scenario_moves_two_backbone_teachers_and_sees_the_cv_change(
    page: Page, live_server: Any, county: dict[str, Any], screenshot_dir: Path
) -> None:
    base = live_server.url
    stored = balance_result_get(district=county["district"], year=YEAR, profile_name=PROFILE)
    assert stored is not None
    scenario = open_scenario_and_move_teachers(page, base, county, screenshot_dir)
    # The county's own figures did not move: the stored result is the same row, the base CV its CV.
    again = balance_result_get(district=county["district"], year=YEAR, profile_name=PROFILE)
    assert again is not None and again.pk == stored.pk
    base_cv = stored.outcome.cv("primary", "backbone_teachers_per100")
    assert base_cv is not None and base_cv.cv is not None
    assert page.locator("#cv-base-primary-backbone_teachers_per100").inner_text() == f"{base_cv.cv:,.3f}"

    # A refused move (more 骨干 teachers than the school has) says why and changes nothing.
    form = page.locator("#form-move")
    form.locator("input[name=school_code]").fill(SCHOOLS[1][0])
    form.locator("input[name=to_school_code]").fill(SCHOOLS[0][0])
    form.locator("select[name=teacher_kind]").select_option("backbone_teachers")
    form.locator("input[name=count]").fill("50")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("#edit-errors")).to_contain_text("不能调出 50 名")
    page.screenshot(path=str(screenshot_dir / "4-refused.png"), full_page=True)
    scenario.refresh_from_db()
    assert scenario.revision == 2

    # The same page in English: the CV moved, the words translated.
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page.goto(f"{base}{reverse('scenarios:detail', args=[scenario.pk])}")
    expect(page.locator("h1")).to_contain_text("Scenario: 骨干教师交流轮岗")
    expect(page.locator(BACKBONE_ROW)).to_have_attribute("data-changed", "1")
    expect(page.locator("#result")).to_contain_text("County verdict")
    page.screenshot(path=str(screenshot_dir / "5-english.png"), full_page=True)
    # Hook for the planner's part of the test: run the planner, open its plan as a
    # scenario (scenarios.services.scenario_create), export it.
