"""Browser test of issue #6: a respondent answers the 社会卷 on a phone through a school's link,
without an account; a second submission with the same token is refused with a clear message;
the bureau's survey page counts the response live (it polls, no reload).

Headless Chromium (tests/e2e/conftest.py) against pytest-django's `live_server`; data built
through the services and committed (`transactional_db`) so the server thread sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from assessment import services as assessment_services
from assessment.models import SurveyLink, SurveyResponse
from assessment.survey import services as survey_services
from core.models import Role, User
from indicators.services import profile_install_defaults
from schools import services
from schools.models import School

YEAR = 2025
PASSWORD = "e2e-pass-4321"
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def county(transactional_db: None) -> dict[str, Any]:
    profile_install_defaults()  # flushed by earlier transactional tests
    assessment_services.checklist_install_defaults()
    district = services.district_get_or_create(code="130998", name="清河测试县", province="河北省")
    district.resident_population = 200_000
    district.save()
    schools: dict[str, School] = {}
    for code, name, school_type, area in (
        ("1309980001", "清河县城关第一小学", "primary", "urban"),
        ("1309980002", "柳林镇中学", "junior", "town"),
    ):
        schools[code] = services.school_create(
            district=district, code=code, year=YEAR, name=name, school_type=school_type, area_type=area
        )
    User.objects.create_user(
        username="bureau-survey", password=PASSWORD, role=Role.BUREAU, district=district, display_name="王科长"
    )
    survey = survey_services.survey_open(district=district, year=YEAR, user=None)
    survey.min_fill_seconds = 1
    survey.save()
    link = SurveyLink.objects.get(survey=survey, questionnaire="social", school=schools["1309980001"])
    return {"district": district, "survey": survey, "link": link}


def shot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000, f"suspiciously small screenshot {path}"
    return path


def phone(browser: Browser) -> BrowserContext:
    return browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")


def answer_everything(page: Page) -> None:
    page.locator("select[name=grade]").select_option("4")
    for fieldset in page.locator("fieldset.q[data-number]").all():
        fieldset.locator("label.opt", has_text="满意").first.click()  # 非常满意 (the first option)


def test_respondent_answers_on_a_phone_once_and_the_bureau_sees_it_live(
    browser: Browser, live_server: Any, county: dict[str, Any], screenshot_dir: Path
) -> None:
    base = live_server.url
    link: SurveyLink = county["link"]
    district = county["district"]
    public_url = f"{base}{reverse('assessment:survey_public', args=[link.token])}"

    # The bureau watches its survey page (desktop).
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    bureau = desk.new_page()
    bureau.goto(f"{base}{reverse('login')}")
    bureau.locator("input[name=username]").fill("bureau-survey")
    bureau.locator("input[name=password]").fill(PASSWORD)
    bureau.get_by_role("button", name="登录").click()
    bureau.wait_for_load_state()
    bureau.goto(f"{base}{reverse('assessment:survey', args=[district.code, YEAR])}")
    expect(bureau.locator("h1")).to_contain_text("社会认可度调查")
    expect(bureau.locator("#live-total")).to_have_text("0")
    expect(bureau.locator("#live [data-live=target]")).to_have_text("300")  # 200,000 × 1.5‰
    shot(bureau, screenshot_dir, "1-bureau-before")

    # A parent opens the school's link on a phone, in two tabs (same browser, same token).
    mobile = phone(browser)
    first = mobile.new_page()
    response = first.goto(public_url)
    assert response is not None and response.status == 200
    expect(first.locator("h1")).to_contain_text("义务教育优质均衡发展社会认可度调查")
    expect(first.locator(".intro")).to_contain_text("清河县城关第一小学")
    width = first.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page wider than the phone: {width}px"
    second = mobile.new_page()
    second.goto(public_url)
    token = first.locator("input[name=respondent]").input_value()
    assert token and second.locator("input[name=respondent]").input_value() == token

    # Sending without answers: a Chinese message, the first question marked, nothing sent.
    first.get_by_role("button", name="提交问卷").click()
    expect(first.locator("#client-message")).to_have_text("请选择年级")  # parents give the child's grade
    first.locator("select[name=grade]").select_option("4")
    first.get_by_role("button", name="提交问卷").click()
    expect(first.locator("#client-message")).to_have_text("请回答第 1 题")
    expect(first.locator("fieldset#q-q1")).to_have_class("q missing")
    shot(first, screenshot_dir, "2-phone-missing-answer")
    assert SurveyResponse.objects.count() == 0

    # Answer and submit.
    answer_everything(first)
    expect(first.locator("fieldset.q.missing")).to_have_count(0)
    first.wait_for_timeout(1100)  # the survey's minimum fill time in this test
    with first.expect_navigation():
        first.get_by_role("button", name="提交问卷").click()
    expect(first.locator("#notice h2")).to_have_text("提交成功")
    expect(first.locator("#notice")).to_contain_text("问卷已提交,感谢您的参与!")
    shot(first, screenshot_dir, "3-phone-thanks")
    assert SurveyResponse.objects.count() == 1

    # The second tab still holds the same (now used) token: refused, clearly, nothing saved.
    answer_everything(second)
    with second.expect_response(lambda r: r.request.method == "POST") as posted:
        second.get_by_role("button", name="提交问卷").click()
    assert posted.value.status == 409
    expect(second.locator("#notice")).to_contain_text("该问卷已经提交过,同一份问卷不能重复提交")
    shot(second, screenshot_dir, "4-phone-second-submission-refused")
    assert SurveyResponse.objects.count() == 1

    # The bureau's page counts it without a reload (it polls every 3 s).
    expect(bureau.locator("#live-total")).to_have_text("1", timeout=15_000)
    expect(bureau.locator("#live [data-live='group.parent']")).to_have_text("1")
    expect(bureau.locator("#live [data-live='area.urban']")).to_have_text("1")
    expect(bureau.locator("#result [data-live='rate-text']")).to_have_text("100.0%")
    # 1 of the 300 questionnaires the plan asks for: a rate so far, not a verdict (standards.md §3.5).
    expect(bureau.locator("#live-verdict")).to_have_text("● 无法判定")
    expect(bureau.locator("#live-missing")).to_contain_text("样本不足:已收回 1 份,应不少于 300 份,还需 299 份")
    expect(bureau.locator("#live-missing")).to_contain_text("认可度暂不判定")
    shot(bureau, screenshot_dir, "5-bureau-after")
    mobile.close()
    desk.close()
