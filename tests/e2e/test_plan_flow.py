"""Browser test of issue #4: a principal writes the school's three-year plan and submits it; bureau
staff return it with a comment pinned to a section; the principal fixes and resubmits; the bureau
approves; then the principal reports the first year's progress with an evidence file, the linked
target filled in from the approved statistics.

Headless Chromium (tests/e2e/conftest.py) against pytest-django's `live_server`; the county, the
users and the approved statistics are built through the services and committed
(`transactional_db`) so the server thread sees them. Celery runs in-process (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, Response, expect

from core.models import Role, User
from indicators.services import profile_install_defaults
from plans.models import (
    SECTION_FIELDS,
    AnnualProgress,
    Evidence,
    PlanArea,
    PlanComment,
    PlanTarget,
    ReviewStatus,
    SchoolPlan,
)
from schools import services
from schools.models import AnnualStatistics, Status
from tests.e2e.conftest import LOCALE, VIEWPORT
from tests.factories import primary_values
from tests.unit.plans.test_files import pdf_bytes

YEAR = 2025
PASSWORD = "e2e-plan-7788"
DISTRICT = ("130998", "清河测试县")
SCHOOL = ("1309980001", "清河县实验小学")
MAX_CLASS_SIZE = 42  # the school's largest primary class in the approved 2025 statistics
AREAS = ["德育", "教学", "教师队伍", "教科研", "体育卫生艺术", "办学条件", "信息化", "安全"]

SECTIONS = {
    "strengths": "学校创办于1958年,校风正、学风浓;骨干教师占专任教师的两成。",
    "weaknesses": "功能教室不足。",
    "opportunities": "县域推进义务教育优质均衡发展,加大办学条件投入。",
    "challenges": "城区学位需求持续增加,大班额压力仍在。",
    "philosophy": "以人为本,全面发展;让每一个孩子都得到适合的教育。",
    "overall_goal": "用三年时间,办学条件全面达到优质均衡标准。",
    "safeguards": "成立以校长为组长的规划实施领导小组,分解年度任务,责任到人。",
}
FIXED_WEAKNESSES = "功能教室不足:音乐、美术专用教室各缺一间;体育运动场地生均 4.1 平方米,低于标准。"
REVIEW_COMMENT = "请补充功能教室和运动场地的具体缺口数据。"


# --- data and helpers -------------------------------------------------------------------------


def _user(username: str, role: str, **links: Any) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role, **links)


@pytest.fixture
def county(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """A county with one primary school whose 2025 statistics are approved; users to log in."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    profile_install_defaults()  # flushed by earlier transactional tests, like the plan areas
    for order, name in enumerate(AREAS):
        PlanArea.objects.get_or_create(name=name, defaults={"order": order})
    district = services.district_get_or_create(code=DISTRICT[0], name=DISTRICT[1], province="河北省")
    school = services.school_create(
        district=district,
        code=SCHOOL[0],
        year=YEAR - 1,
        name=SCHOOL[1],
        school_type="primary",
        ownership="public",
        county_run=True,
        area_type="urban",
    )
    bureau = _user("bureau-plan-e2e", Role.BUREAU, district=district, display_name="王科长")
    principal = _user("principal-plan-e2e", Role.PRINCIPAL, school=school, display_name="李校长")
    raw = primary_values(max_class_size_primary=MAX_CLASS_SIZE)
    stats = services.statistics_save(school=school, year=YEAR, raw=raw, user=principal).statistics
    stats = services.statistics_submit(stats=stats, user=principal)
    services.statistics_approve(stats=stats, user=bureau)
    return {"district": district, "school": school, "bureau": bureau, "principal": principal}


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"login failed for {username}"


def click_and_wait(page: Page, button: Any) -> Response:
    """Click a submit button and return the response to the POST it sends."""
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        button.click()
    page.wait_for_load_state()
    return posted.value


def shot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"suspiciously small screenshot {path}"
    return path


EDITS = ("goal_save", "goal_delete", "target_save", "target_delete")


def actions(plan: SchoolPlan) -> list[str]:
    """The plan's workflow events (goal and target edits are recorded too, but left out here)."""
    return [a for a in plan.events.order_by("at", "id").values_list("action", flat=True) if a not in EDITS]


def add_target(page: Page, goal_id: int, fields: dict[str, str], selects: dict[str, str]) -> Response:
    goal = page.locator(f"#goal-{goal_id}")
    goal.locator("details.addtarget > summary").click()
    form = goal.locator("form.targetform")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    for name, value in selects.items():
        form.locator(f"select[name={name}]").select_option(value)
    return click_and_wait(page, form.get_by_role("button", name="添加指标"))


# --- the flow ---------------------------------------------------------------------------------


def test_plan_review_and_progress_flow(
    page: Page, browser: Browser, live_server: Any, county: dict[str, Any], screenshot_dir: Path, settings: Any
) -> None:
    base = live_server.url
    school = county["school"]
    assert AnnualStatistics.objects.get(school=school, year=YEAR).status == Status.APPROVED

    # 1. The principal creates the plan for 2025—2027.
    login(page, base, "principal-plan-e2e")
    page.goto(f"{base}{reverse('plans:plan_create')}")
    expect(page.locator("h1")).to_have_text("编制三年发展规划")
    page.locator("#id_title").fill("清河县实验小学三年发展规划(2025—2027)")
    page.locator("#id_start_year").fill(str(YEAR))
    response = click_and_wait(page, page.get_by_role("button", name="创建并开始编写"))
    assert response.status == 302
    plan = SchoolPlan.objects.get(school=school)
    assert page.url == f"{base}{reverse('plans:plan_edit', args=[plan.pk])}"
    assert (plan.start_year, plan.end_year, plan.status, plan.created_by) == (
        2025,
        2027,
        ReviewStatus.DRAFT,
        county["principal"],
    )
    expect(page.locator("h1")).to_contain_text("2025—2027")

    # 2. The sections (现状分析, 办学理念与总体目标, 保障措施).
    sections = page.locator("#sections-form")
    for field, text in SECTIONS.items():
        sections.locator(f"textarea[name={field}]").fill(text)
    response = click_and_wait(page, sections.get_by_role("button", name="保存", exact=True))
    assert response.status == 302
    expect(page.locator("ul.messages")).to_contain_text("已保存")
    plan.refresh_from_db()
    assert {f: getattr(plan, f) for f in SECTION_FIELDS} == SECTIONS and plan.revision == 2

    # 3. A goal, with a linked target and a custom one.
    goal_form = page.locator("#goal-add")
    goal_form.locator("select[name=area]").select_option(label="教学")
    goal_form.locator("input[name=title]").fill("控制班额,落实“双减”,提高课堂效率")
    goal_form.locator("textarea[name=measures]").fill("严格按标准班额招生;推进大单元教学和作业设计改革。")
    assert click_and_wait(page, goal_form.get_by_role("button", name="添加目标")).status == 302
    goal = plan.goals.get()
    assert (goal.area.name, goal.title) == ("教学", "控制班额,落实“双减”,提高课堂效率")

    response = add_target(
        page,
        goal.pk,
        {"name": "最大班额", "value_2025": "45", "value_2026": "44", "value_2027": "42"},
        {"metric": "stat:max_class_size", "level": "primary"},
    )
    assert response.status == 302
    response = add_target(
        page,
        goal.pk,
        {"name": "校本课程数", "unit": "门", "baseline": "2", "value_2025": "3", "value_2026": "4", "value_2027": "5"},
        {"metric": "", "direction": "higher"},
    )
    assert response.status == 302
    linked = PlanTarget.objects.get(goal=goal, name="最大班额")
    custom = PlanTarget.objects.get(goal=goal, name="校本课程数")
    assert (linked.metric, linked.level, linked.unit, linked.direction, linked.values) == (
        "stat:max_class_size",
        "primary",
        "人",
        "lower",
        {"2025": 45.0, "2026": 44.0, "2027": 42.0},
    )
    assert (custom.metric, custom.unit, custom.direction, custom.baseline, custom.values) == (
        "",
        "门",
        "higher",
        2,
        {"2025": 3.0, "2026": 4.0, "2027": 5.0},
    )
    expect(page.locator(f"#target-{linked.pk}")).to_contain_text("最大班额 · 小学")
    expect(page.locator(f"#target-{custom.pk} td.num")).to_have_text(["3", "4", "5"])
    expect(page.locator("ul.missing")).to_have_count(0)
    shot(page, screenshot_dir, "1-editor-complete")

    # 4. Submit: the plan page shows 待审核.
    response = click_and_wait(page, page.get_by_role("button", name="提交教育局审核"))
    assert response.status == 302
    assert page.url == f"{base}{reverse('plans:plan_detail', args=[plan.pk])}"
    expect(page.locator("#plan-status")).to_have_text("待审核")
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.SUBMITTED
    assert actions(plan) == ["create", "save", "submit"]

    # 5. Bureau staff (another browser context) return it with a comment pinned to 不足与问题.
    bureau_context = browser.new_context(viewport=VIEWPORT, locale=LOCALE)
    bureau = bureau_context.new_page()
    try:
        login(bureau, base, "bureau-plan-e2e")
        bureau.goto(f"{base}{reverse('plans:plan_detail', args=[plan.pk])}")
        expect(bureau.locator("#plan-status")).to_have_text("待审核")
        review = bureau.locator("#review")
        review.get_by_text("针对具体部分的意见").click()
        pinned_box = review.locator('textarea[name="comment__section:weaknesses"]')
        expect(pinned_box).to_be_visible()
        pinned_box.fill(REVIEW_COMMENT)
        shot(bureau, screenshot_dir, "2-bureau-review-form")
        response = click_and_wait(bureau, review.get_by_role("button", name="退回修改"))
        assert response.status == 302
        expect(bureau.locator("ul.messages")).to_contain_text("规划已退回,并通知学校")
        expect(bureau.locator("#plan-status")).to_have_text("已退回")
        expect(bureau.locator("#section-weaknesses .comment")).to_contain_text(REVIEW_COMMENT)
        plan.refresh_from_db()
        assert plan.status == ReviewStatus.RETURNED
        comment = PlanComment.objects.get(plan=plan)
        assert (comment.anchor, comment.text, comment.author, comment.resolved) == (
            "section:weaknesses",
            REVIEW_COMMENT,
            county["bureau"],
            False,
        )

        # 6. The principal sees the comment at the section, fixes the text and resubmits.
        page.goto(f"{base}{reverse('plans:plan_edit', args=[plan.pk])}")
        expect(page.locator("#field-weaknesses .comment")).to_contain_text(REVIEW_COMMENT)
        expect(page.locator("#field-strengths .comment")).to_have_count(0)
        page.locator("#field-weaknesses").scroll_into_view_if_needed()
        shot(page, screenshot_dir, "3-principal-sees-pinned-comment")
        sections = page.locator("#sections-form")
        sections.locator("textarea[name=weaknesses]").fill(FIXED_WEAKNESSES)
        assert click_and_wait(page, sections.get_by_role("button", name="保存", exact=True)).status == 302
        plan.refresh_from_db()
        assert (plan.weaknesses, plan.strengths) == (FIXED_WEAKNESSES, SECTIONS["strengths"])
        response = click_and_wait(page, page.get_by_role("button", name="提交教育局审核"))
        assert response.status == 302
        expect(page.locator("#plan-status")).to_have_text("待审核")
        plan.refresh_from_db()
        assert plan.status == ReviewStatus.SUBMITTED
        assert PlanComment.objects.get(plan=plan).resolved is True
        assert actions(plan) == ["create", "save", "submit", "return", "save", "resubmit"]

        # 7. The bureau approves: the plan is locked.
        bureau.goto(f"{base}{reverse('plans:plan_detail', args=[plan.pk])}")
        expect(bureau.locator("#section-weaknesses")).to_contain_text(FIXED_WEAKNESSES)
        response = click_and_wait(bureau, bureau.locator("#review").get_by_role("button", name="审核通过"))
        assert response.status == 302
        expect(bureau.locator("#plan-status")).to_have_text("已通过")
        expect(bureau.locator("#review")).to_have_count(0)
        plan.refresh_from_db()
        assert plan.status == ReviewStatus.APPROVED
    finally:
        bureau_context.close()

    page.goto(f"{base}{reverse('plans:plan_edit', args=[plan.pk])}")
    assert page.url == f"{base}{reverse('plans:plan_detail', args=[plan.pk])}"  # locked: no editor
    expect(page.locator("ul.messages")).to_contain_text("不能修改")

    # 8. First year's progress: the linked target comes from the approved statistics.
    page.locator("tr", has_text="2025—2026学年").get_by_role("link", name="填报").click()
    page.wait_for_load_state()
    assert page.url == f"{base}{reverse('plans:progress', args=[plan.pk, YEAR])}"
    expect(page.locator("h1")).to_contain_text("2025—2026学年自评")
    progress = AnnualProgress.objects.get(plan=plan, year=YEAR)
    linked_item = progress.items.get(target=linked)
    custom_item = progress.items.get(target=custom)
    assert (linked_item.actual, linked_item.auto_filled) == (MAX_CLASS_SIZE, True)
    expect(page.locator(f"#item-{linked_item.pk} strong.actual")).to_have_text(str(MAX_CLASS_SIZE))
    expect(page.locator(f"#item-{linked_item.pk}")).to_contain_text("系统填入:2025 学年已审核统计数据")
    expect(page.locator(f"#item-{linked_item.pk} input")).to_have_count(0)  # not typed in by the school

    # The custom target's actual, a narrative, the summary; then an evidence file (a small PDF,
    # from memory) in the same form: uploading it saves what was typed and keeps it on the page.
    page.locator(f"input[name=actual_{custom_item.pk}]").fill("3")
    page.locator(f"textarea[name=narrative_{custom_item.pk}]").fill("开设“经典诵读”“劳动实践”“科技创客”三门课程。")
    page.locator("textarea[name=summary]").fill("本学年规划任务总体按期推进,班额得到有效控制。")
    evidence_pdf = pdf_bytes("2025 学年校本课程开设情况")
    page.locator("#progress-form input[type=file]").set_input_files(
        {"name": "校本课程开设情况.pdf", "mimeType": "application/pdf", "buffer": evidence_pdf}
    )
    response = click_and_wait(page, page.locator("#evidence").get_by_role("button", name="保存并上传"))
    assert response.status == 302
    expect(page.locator("ul.messages")).to_contain_text("佐证材料已上传")
    expect(page.get_by_role("link", name="校本课程开设情况.pdf")).to_be_visible()
    expect(page.locator(f"input[name=actual_{custom_item.pk}]")).to_have_value(re.compile(r"^3(\.0*)?$"))
    expect(page.locator("textarea[name=summary]")).to_have_value("本学年规划任务总体按期推进,班额得到有效控制。")
    evidence = Evidence.objects.get(progress=progress)
    digest = hashlib.sha256(evidence_pdf).hexdigest()
    assert (evidence.kind, evidence.size, evidence.sha256) == ("pdf", len(evidence_pdf), digest)
    assert (Path(settings.MEDIA_ROOT) / "evidence" / digest).read_bytes() == evidence_pdf

    shot(page, screenshot_dir, "4-progress-filled")
    response = click_and_wait(page, page.get_by_role("button", name="保存并提交", exact=True))
    assert response.status == 302
    expect(page.locator("ul.messages")).to_contain_text("年度自评已提交")
    expect(page.locator("#progress-status")).to_have_text("待审核")
    progress.refresh_from_db()
    custom_item.refresh_from_db()
    linked_item.refresh_from_db()
    assert progress.status == ReviewStatus.SUBMITTED and progress.submitted_at is not None
    assert progress.summary == "本学年规划任务总体按期推进,班额得到有效控制。"
    assert (custom_item.actual, custom_item.status) == (3, "achieved")
    assert (linked_item.actual, linked_item.status) == (MAX_CLASS_SIZE, "achieved")  # 42 ≤ 45
    shot(page, screenshot_dir, "5-progress-submitted")

    # The plan page shows targets against actuals for 2025, with the chart.
    page.goto(f"{base}{reverse('plans:plan_detail', args=[plan.pk])}")
    expect(page.locator(f"#targets-table #target-{linked.pk}")).to_contain_text(str(MAX_CLASS_SIZE))
    chart = page.locator(".echart[data-chart=chart-achievement]")
    expect(chart).to_have_attribute("data-ready", "true")  # drawn by ECharts (static/js/charts.js)
    expect(chart.locator("canvas")).to_have_count(1)
    expect(page.locator("tr", has_text="2025—2026学年")).to_contain_text("待审核")
    shot(page, screenshot_dir, "6-plan-with-actuals")

    # The evidence link downloads the file (an attachment, never shown inline).
    with page.expect_download() as download_info:
        page.goto(f"{base}{reverse('plans:progress', args=[plan.pk, YEAR])}")
        page.get_by_role("link", name="校本课程开设情况.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "校本课程开设情况.pdf"
    assert Path(download.path()).read_bytes() == evidence_pdf
    assert re.fullmatch(r"[0-9a-f]{64}", evidence.sha256)
