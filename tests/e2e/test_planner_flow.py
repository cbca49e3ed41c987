"""Browser test of issue #15, the planner's part: after opening a scenario and moving two 骨干
teachers (tests/e2e/test_scenario_flow.py), the clerk runs the planner from the balance page,
adopts its plan, opens it as a scenario and exports it as XLSX."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from planner.models import AdoptedPlan
from scenarios.models import Scenario
from tests.e2e.test_scenario_flow import PROFILE, county, open_scenario_and_move_teachers  # noqa: F401
from tests.factories import YEAR


def test_a_clerk_runs_the_planner_opens_its_plan_as_a_scenario_and_exports_it(
    page: Page,
    live_server: Any,
    county: dict[str, Any],  # noqa: F811 - the fixture imported above
    screenshot_dir: Path,
) -> None:
    base = live_server.url
    district = county["district"]
    open_scenario_and_move_teachers(page, base, county, screenshot_dir)

    page.goto(f"{base}{reverse('indicators:balance_page', args=[district.code, YEAR, PROFILE])}")
    with page.expect_navigation():
        page.locator("#open-planner").click()
    with page.expect_navigation():
        page.locator("#run-planner").click()
    expect(page.locator("#plan-passes")).to_contain_text("方案实施后县域达标")
    cost = page.locator("#plan-cost").inner_text()
    assert cost.strip().startswith(tuple("123456789")), cost
    expect(page.locator("#plan-actions")).to_contain_text("南岭县河口小学")
    page.screenshot(path=str(screenshot_dir / "5-plan.png"), full_page=True)

    with page.expect_navigation():
        page.locator("#adopt-plan").click()
    adopted = AdoptedPlan.objects.get(district=district)
    assert adopted.content["passes"] is True
    expect(page.locator("#plan-summary")).to_contain_text("已采纳")

    with page.expect_download() as info:
        page.locator("#plan-export").click()
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert book.worksheets[0].max_row == 3 + len(adopted.content["actions"])

    with page.expect_navigation():
        page.locator("#open-as-scenario").click()
    scenario = Scenario.objects.exclude(name="骨干教师交流轮岗").get(district=district)
    expect(page.locator("h1")).to_contain_text(scenario.name)
    page.screenshot(path=str(screenshot_dir / "6-plan-as-scenario.png"), full_page=True)
