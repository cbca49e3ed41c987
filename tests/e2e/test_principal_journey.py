"""Browser test of the principal's journey on the annual progress form (issue #14, items 3 and
10): the principal types the year's progress, uploads evidence, finds the typed values still there
(also after a refused file), and submits — in Chinese and in English, with screenshots.

Headless Chromium (tests/e2e/conftest.py) against pytest-django's `live_server`; the county, the
approved statistics and the approved plan are built through the services and committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Response, expect

from core.models import Role, User
from indicators.services import profile_install_defaults
from plans.models import AnnualProgress, Evidence, PlanArea, ReviewStatus
from schools import services
from tests.e2e.test_plan_flow import AREAS, shot
from tests.integration.plans.test_services import START, approved_plan, approved_statistics
from tests.unit.plans.test_files import exe_bytes, pdf_bytes

PASSWORD = "e2e-principal-3344"
WORDS = {
    "zh": {
        "login": "登录",
        "upload": "保存并上传",
        "submit": "保存并提交",
        "uploaded": "佐证材料已上传",
        "refused": "不是允许的类型",
        "choose_again": "请改正后重新选择",
        "submitted": "年度自评已提交",
        "status": "待审核",
    },
    "en": {
        "login": "Log in",
        "upload": "Save and upload",
        "submit": "Save and submit",
        "uploaded": "the evidence was uploaded",
        "refused": "is not an allowed type",
        "choose_again": "please choose them again",
        "submitted": "submitted",
        "status": "Awaiting approval",
    },
}


@pytest.fixture
def plan_year(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """A school with approved statistics and an approved three-year plan; its principal."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    profile_install_defaults()  # flushed by earlier transactional tests, like the plan areas
    for order, name in enumerate(AREAS):
        PlanArea.objects.get_or_create(name=name, defaults={"order": order})
    district = services.district_get_or_create(code="130997", name="清溪测试县", province="河北省")
    school = services.school_create(
        district=district,
        code="1309970001",
        year=START - 1,
        name="清溪县实验小学",
        school_type="primary",
        ownership="public",
        county_run=True,
        area_type="urban",
    )
    principal = User.objects.create_user(
        username="principal-journey", password=PASSWORD, role=Role.PRINCIPAL, school=school, display_name="赵校长"
    )
    bureau = User.objects.create_user(
        username="bureau-journey", password=PASSWORD, role=Role.BUREAU, district=district, display_name="钱科长"
    )
    approved_statistics(school)
    plan = approved_plan(school, principal, bureau)
    return {"plan": plan, "principal": principal}


def login(page: Page, base: str, username: str, lang: str) -> None:
    if lang == "en":
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page.goto(f"{base}{reverse('login')}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=WORDS[lang]["login"]).click()
    assert "/accounts/login/" not in page.url, f"login failed for {username}"


def click_and_wait(page: Page, button: Any) -> Response:
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        button.click()
    page.wait_for_load_state()
    return posted.value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_principal_types_uploads_keeps_and_submits(
    page: Page, live_server: Any, plan_year: dict[str, Any], screenshot_dir: Path, lang: str
) -> None:
    words, base, plan = WORDS[lang], live_server.url, plan_year["plan"]
    login(page, base, plan_year["principal"].username, lang)
    page.goto(f"{base}{reverse('plans:progress', args=[plan.pk, START])}")
    progress = AnnualProgress.objects.get(plan=plan, year=START)
    custom = progress.items.get(target__name="校本德育课程数")
    actual = page.locator(f"input[name=actual_{custom.pk}]")
    narrative = page.locator(f"textarea[name=narrative_{custom.pk}]")
    summary = page.locator("textarea[name=summary]")
    upload = page.locator("#evidence").get_by_role("button", name=words["upload"])

    # 1. Typed values and a file that is not allowed: refused, nothing saved, the typing still there.
    actual.fill("3")
    narrative.fill("开设“经典诵读”“劳动实践”“科技创客”三门课程。")
    summary.fill("本学年规划任务总体按期推进。")
    page.locator("#progress-form input[type=file]").set_input_files(
        {"name": "课程表.exe.pdf", "mimeType": "application/pdf", "buffer": exe_bytes()}
    )
    assert click_and_wait(page, upload).status == 400
    expect(page.locator("ul.messages")).to_contain_text(words["refused"])
    expect(page.locator("ul.messages")).to_contain_text(words["choose_again"])
    expect(actual).to_have_value("3")
    expect(narrative).to_have_value("开设“经典诵读”“劳动实践”“科技创客”三门课程。")
    expect(summary).to_have_value("本学年规划任务总体按期推进。")
    assert not Evidence.objects.exists()
    shot(page, screenshot_dir, f"{lang}-1-refused-file-keeps-typing")

    # 2. The right file: saved together with the typing, which is still on the page.
    page.locator("#progress-form input[type=file]").set_input_files(
        {"name": "校本课程开设情况.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("课程")}
    )
    assert click_and_wait(page, upload).status == 302
    expect(page.locator("ul.messages")).to_contain_text(words["uploaded"])
    expect(page.get_by_role("link", name="校本课程开设情况.pdf")).to_be_visible()
    expect(actual).to_have_value("3")
    expect(narrative).to_have_value("开设“经典诵读”“劳动实践”“科技创客”三门课程。")
    expect(summary).to_have_value("本学年规划任务总体按期推进。")
    progress.refresh_from_db()
    assert progress.summary == "本学年规划任务总体按期推进。" and progress.evidence.count() == 1
    shot(page, screenshot_dir, f"{lang}-2-uploaded-typing-kept")

    # 3. Submit without typing anything again.
    submit = page.get_by_role("button", name=words["submit"], exact=True)
    assert click_and_wait(page, submit).status == 302
    expect(page.locator("ul.messages")).to_contain_text(words["submitted"])
    expect(page.locator("#progress-status")).to_have_text(words["status"])
    progress.refresh_from_db()
    assert progress.status == ReviewStatus.SUBMITTED
    assert progress.items.get(pk=custom.pk).actual == 3
    shot(page, screenshot_dir, f"{lang}-3-submitted")
