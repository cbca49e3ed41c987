"""Integration tests for the plan pages (Django test client, PostgreSQL): who may see and change
which plan, bad input answered with a Chinese message and nothing saved, evidence served only as a
download, progress oversight and the county plan board.

Scope rules (core/access.py): principals write their own school's plan; bureau staff review the
plans of their district; inspectors read their districts' plans. Outside the scope a page answers
404 (nothing leaks); a visible object with a forbidden action answers 403.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import User
from indicators.services import balance_recompute
from plans import services
from plans.models import (
    AnnualProgress,
    Evidence,
    Notification,
    PlanComment,
    PlanGoal,
    PlanTarget,
    ReviewStatus,
    SchoolPlan,
)
from schools.models import District, School
from tests.conftest import login
from tests.factories import make_school
from tests.integration.plans.test_services import (
    SECTIONS,
    START,
    approved_plan,
    approved_statistics,
    complete_plan,
    draft_plan,
    target,
)
from tests.unit.plans.test_files import exe_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


def detail_url(plan: SchoolPlan) -> str:
    return reverse("plans:plan_detail", args=[plan.pk])


def edit_url(plan: SchoolPlan) -> str:
    return reverse("plans:plan_edit", args=[plan.pk])


def review_url(plan: SchoolPlan) -> str:
    return reverse("plans:plan_review", args=[plan.pk])


def progress_url(plan: SchoolPlan, year: int = START) -> str:
    return reverse("plans:progress", args=[plan.pk, year])


def page_text(response: Any) -> str:
    """The page's HTML with entities decoded (Django escapes quotes such as “” only as text)."""
    return html.unescape(response.content.decode())


def messages_of(response: Any) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<li class="msg [^"]*">(.*?)</li>', response.content.decode())]


def row(response: Any, element_id: str) -> str:
    match = re.search(rf'<tr id="{element_id}">(.*?)</tr>', response.content.decode(), re.S)
    assert match, f"no row #{element_id} on the page"
    return html.unescape(match.group(1))


def sections_post(plan: SchoolPlan, **changes: str) -> dict[str, Any]:
    return {"action": "sections", "title": plan.title, **SECTIONS, "revision": str(plan.revision), **changes}


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def other_bureau_client(other_bureau_user: User) -> Client:
    return login(other_bureau_user)


@pytest.fixture
def own(school_a1: School, principal: User) -> SchoolPlan:
    """The principal's own school's plan, a complete draft."""
    return complete_plan(school_a1, principal)


@pytest.fixture
def neighbour(school_a2: School, other_principal: User) -> SchoolPlan:
    """Another school of the same district."""
    return complete_plan(school_a2, other_principal)


@pytest.fixture
def far(school_b1: School) -> SchoolPlan:
    """A school of another district."""
    return complete_plan(school_b1)


# --- creating a plan --------------------------------------------------------------------------


def test_a_principal_creates_a_plan_for_their_own_school(
    principal_client: Client, school_a1: School, principal: User
) -> None:
    page = principal_client.get(reverse("plans:plan_create"))
    assert page.status_code == 200
    assert "编制三年发展规划" in page_text(page) and school_a1.code in page_text(page)

    response = principal_client.post(reverse("plans:plan_create"), {"title": "城关一小三年规划", "start_year": "2025"})
    plan = SchoolPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == edit_url(plan)
    assert (plan.school, plan.start_year, plan.end_year, plan.created_by) == (school_a1, 2025, 2027, principal)


def test_creating_a_second_plan_for_the_period_shows_the_chinese_message(
    principal_client: Client, school_a1: School
) -> None:
    draft_plan(school_a1)
    response = principal_client.post(reverse("plans:plan_create"), {"title": "又一份", "start_year": "2025"})
    assert response.status_code == 400
    assert "该校 2025 年起的规划已存在" in page_text(response)
    assert SchoolPlan.objects.count() == 1


def test_a_plan_overlapping_an_existing_period_is_refused(principal_client: Client, school_a1: School) -> None:
    draft_plan(school_a1)  # 2025—2027
    response = principal_client.post(reverse("plans:plan_create"), {"title": "交叉的规划", "start_year": "2026"})
    assert response.status_code == 400
    assert "重叠" in page_text(response)
    assert SchoolPlan.objects.count() == 1


@pytest.mark.parametrize("client_fixture", ["bureau_client", "inspector_client"])
def test_only_principals_create_plans(request: pytest.FixtureRequest, client_fixture: str, school_a1: School) -> None:
    client: Client = request.getfixturevalue(client_fixture)
    assert client.get(reverse("plans:plan_create")).status_code == 403
    response = client.post(reverse("plans:plan_create"), {"title": "代写的规划", "start_year": "2025"})
    assert response.status_code == 403
    assert not SchoolPlan.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(own: SchoolPlan) -> None:
    response = Client().get(detail_url(own))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- who may edit -----------------------------------------------------------------------------


def test_a_principal_edits_their_own_plan(principal_client: Client, own: SchoolPlan) -> None:
    page = principal_client.get(edit_url(own))
    assert page.status_code == 200
    assert own.title in page_text(page)
    response = principal_client.post(edit_url(own), sections_post(own, strengths="新写的优势"))
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.strengths, own.revision) == ("新写的优势", 3)


def test_the_editor_shows_each_target_value_by_year(principal_client: Client, own: SchoolPlan) -> None:
    page = principal_client.get(edit_url(own))
    qualified = row(page, f"target-{target(own, '高于规定学历教师比例').pk}")
    cells = re.findall(r'<td class="num">([^<]*)</td>', qualified)
    assert cells == ["80", "85", "90"]
    area_cells = re.findall(
        r'<td class="num">([^<]*)</td>', row(page, f"target-{target(own, '生均教学及辅助用房面积').pk}")
    )
    assert area_cells == ["5", "5.2", "5.4"]


@pytest.mark.parametrize("plan_fixture", ["neighbour", "far"])
def test_a_principal_gets_404_for_another_schools_plan(
    request: pytest.FixtureRequest, principal_client: Client, plan_fixture: str
) -> None:
    plan: SchoolPlan = request.getfixturevalue(plan_fixture)
    for url in (detail_url(plan), edit_url(plan), progress_url(plan)):
        assert principal_client.get(url).status_code == 404, url
    response = principal_client.post(edit_url(plan), sections_post(plan, strengths="改别校的规划"))
    assert response.status_code == 404
    assert principal_client.post(reverse("plans:plan_revise", args=[plan.pk])).status_code == 404
    plan.refresh_from_db()
    assert plan.strengths == SECTIONS["strengths"] and plan.revision == 2


def test_bureau_staff_cannot_edit_a_plan(bureau_client: Client, own: SchoolPlan) -> None:
    assert bureau_client.get(edit_url(own)).status_code == 403
    response = bureau_client.post(edit_url(own), sections_post(own, strengths="教育局改写"))
    assert response.status_code == 403
    assert bureau_client.post(edit_url(own), {"action": "submit"}).status_code == 403
    own.refresh_from_db()
    assert (own.strengths, own.status) == (SECTIONS["strengths"], ReviewStatus.DRAFT)


def test_inspectors_read_but_do_not_write(inspector_client: Client, own: SchoolPlan, bureau_user: User) -> None:
    page = inspector_client.get(detail_url(own))
    assert page.status_code == 200
    assert own.title in page_text(page) and SECTIONS["weaknesses"] in page_text(page)
    assert "编辑规划" not in page_text(page) and 'id="review"' not in page_text(page)
    assert own.title in page_text(inspector_client.get(reverse("plans:plan_list")))

    assert inspector_client.post(edit_url(own), sections_post(own, strengths="督学改写")).status_code == 403
    services.plan_submit(plan=own, user=None)
    response = inspector_client.post(review_url(own), {"action": "return", "comment": "督学的意见"})
    assert response.status_code == 403
    assert inspector_client.post(review_url(own), {"action": "approve"}).status_code == 403
    own.refresh_from_db()
    assert (own.status, own.strengths) == (ReviewStatus.SUBMITTED, SECTIONS["strengths"])
    assert not PlanComment.objects.exists()


def test_an_inspector_of_another_district_sees_nothing(
    outsider_inspector: User, own: SchoolPlan, far: SchoolPlan
) -> None:
    client = login(outsider_inspector)
    assert client.get(detail_url(own)).status_code == 404
    assert client.get(detail_url(far)).status_code == 200
    listing = page_text(client.get(reverse("plans:plan_list")))
    assert far.school.code in listing and own.school.code not in listing


# --- review -----------------------------------------------------------------------------------


def test_bureau_staff_return_a_plan_with_a_pinned_comment(
    bureau_client: Client, own: SchoolPlan, principal: User
) -> None:
    services.plan_submit(plan=own, user=principal)
    page = bureau_client.get(detail_url(own))
    assert "针对具体部分的意见" in page_text(page) and 'name="comment__section:weaknesses"' in page_text(page)
    goal = own.goals.get(title="改善办学条件")
    response = bureau_client.post(
        review_url(own),
        {
            "action": "return",
            "comment": "",
            "comment__section:weaknesses": "请补充运动场地的具体数据。",
            f"comment__goal:{goal.pk}": "措施过于简单。",
            "comment__section:strengths": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == detail_url(own)
    own.refresh_from_db()
    assert own.status == ReviewStatus.RETURNED
    assert sorted(own.comments.values_list("anchor", "text")) == [
        (f"goal:{goal.pk}", "措施过于简单。"),
        ("section:weaknesses", "请补充运动场地的具体数据。"),
    ]

    # The principal sees the comment next to the section in the editor.
    editor = page_text(login(principal).get(edit_url(own)))
    weaknesses = editor.split('id="field-weaknesses"', 1)[1].split('<div class="field', 1)[0]
    assert "请补充运动场地的具体数据。" in weaknesses
    assert "措施过于简单。" in editor.split(f'id="goal-{goal.pk}"', 1)[1]


def test_returning_without_a_comment_is_refused_with_a_message(bureau_client: Client, own: SchoolPlan) -> None:
    services.plan_submit(plan=own, user=None)
    response = bureau_client.post(review_url(own), {"action": "return", "comment": "  "}, follow=True)
    assert "退回时至少填写一条意见" in messages_of(response)
    own.refresh_from_db()
    assert own.status == ReviewStatus.SUBMITTED


def test_bureau_staff_approve_and_the_plan_is_locked(
    bureau_client: Client, principal_client: Client, own: SchoolPlan
) -> None:
    services.plan_submit(plan=own, user=None)
    assert bureau_client.post(review_url(own), {"action": "approve"}).status_code == 302
    own.refresh_from_db()
    assert own.status == ReviewStatus.APPROVED
    # The editor sends the principal back to the plan page; a POST changes nothing.
    response = principal_client.post(edit_url(own), sections_post(own, strengths="通过后改写"), follow=True)
    assert "规划已提交或已通过,不能修改" in messages_of(response)
    own.refresh_from_db()
    assert own.strengths == SECTIONS["strengths"]
    # Revising makes v2 and opens its editor.
    response = principal_client.post(reverse("plans:plan_revise", args=[own.pk]))
    v2 = SchoolPlan.objects.get(previous=own)
    assert response.status_code == 302 and response["Location"] == edit_url(v2)


def test_bureau_staff_of_another_district_get_404(other_bureau_client: Client, own: SchoolPlan) -> None:
    services.plan_submit(plan=own, user=None)
    assert other_bureau_client.get(detail_url(own)).status_code == 404
    assert other_bureau_client.post(review_url(own), {"action": "approve"}).status_code == 404
    response = other_bureau_client.post(review_url(own), {"action": "return", "comment": "越权的意见"})
    assert response.status_code == 404
    own.refresh_from_db()
    assert own.status == ReviewStatus.SUBMITTED
    assert not PlanComment.objects.exists()


def test_a_principal_cannot_review_their_own_plan(principal_client: Client, own: SchoolPlan) -> None:
    services.plan_submit(plan=own, user=None)
    assert principal_client.post(review_url(own), {"action": "approve"}).status_code == 403
    own.refresh_from_db()
    assert own.status == ReviewStatus.SUBMITTED


def test_the_review_queue_filters_by_status_and_school(
    bureau_client: Client, own: SchoolPlan, neighbour: SchoolPlan, far: SchoolPlan
) -> None:
    services.plan_submit(plan=own, user=None)
    everything = page_text(bureau_client.get(reverse("plans:plan_list")))
    assert own.school.code in everything and neighbour.school.code in everything
    assert far.school.code not in everything
    assert "{'" not in everything  # the status filter shows counts, not a dict
    assert '<option value="submitted">待审核(1)</option>' in everything

    submitted = page_text(bureau_client.get(reverse("plans:plan_list"), {"status": "submitted"}))
    assert own.school.code in submitted and neighbour.school.code not in submitted

    by_name = bureau_client.get(reverse("plans:plan_list"), {"q": "城关第一"})
    assert by_name.status_code == 200
    assert own.school.code in page_text(by_name) and neighbour.school.code not in page_text(by_name)
    by_code = page_text(bureau_client.get(reverse("plans:plan_list"), {"q": neighbour.school.code}))
    assert neighbour.school.code in by_code and f">{own.school.code}<" not in by_code


# --- bad input in the editor ------------------------------------------------------------------


def test_a_non_numeric_target_value_answers_400_and_saves_nothing(principal_client: Client, own: SchoolPlan) -> None:
    goal = own.goals.get(title="深化养成教育特色")
    response = principal_client.post(
        edit_url(own),
        {
            "action": "target_add",
            "goal": str(goal.pk),
            "name": "家长学校活动次数",
            "metric": "",
            "level": "",
            "unit": "次",
            "direction": "higher",
            "baseline": "",
            "value_2025": "4",
            "value_2026": "六次",
            "value_2027": "8",
        },
    )
    assert response.status_code == 400
    assert "“家长学校活动次数” 2026 年目标值应为数字,收到“六次”" in messages_of(response)
    assert not PlanTarget.objects.filter(name="家长学校活动次数").exists()
    assert PlanTarget.objects.filter(goal__plan=own).count() == 4


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metric": "stat:max_class_size", "level": ""}, "关联系统指标时请选择学段(小学或初中)"),
        ({"unit": ""}, "自定义指标请填写单位"),
        ({"baseline": "很低"}, "基线值应为数字,收到“很低”"),
        ({"name": ""}, "请检查指标的填写"),
    ],
    ids=["linked-without-level", "custom-without-unit", "bad-baseline", "no-name"],
)
def test_other_bad_targets_answer_400_with_a_chinese_message(
    principal_client: Client, own: SchoolPlan, changes: dict[str, str], message: str
) -> None:
    goal = own.goals.get(title="深化养成教育特色")
    data = {
        "action": "target_add",
        "goal": str(goal.pk),
        "name": "家长学校活动次数",
        "metric": "",
        "level": "",
        "unit": "次",
        "direction": "higher",
        "baseline": "",
        "value_2025": "4",
        "value_2026": "6",
        "value_2027": "8",
        **changes,
    }
    response = principal_client.post(edit_url(own), data)
    assert response.status_code == 400
    assert message in messages_of(response)
    assert PlanTarget.objects.filter(goal__plan=own).count() == 4


def test_a_stale_editor_answers_409_and_keeps_both_texts(principal_client: Client, own: SchoolPlan) -> None:
    opened_at = own.revision
    services.plan_save_sections(
        expected_revision=own.revision, plan=own, data={"strengths": "同事刚保存的优势"}, user=None
    )
    response = principal_client.post(
        edit_url(own), {**sections_post(own, strengths="我写的优势"), "revision": str(opened_at)}
    )
    assert response.status_code == 409
    assert "该记录已被他人修改,请查看最新数据后再保存;您的修改未保存" in messages_of(response)
    assert "有变动的项目:优势" in messages_of(response)
    assert "我写的优势" in page_text(response)  # what the user typed is still in the form
    own.refresh_from_db()
    assert own.strengths == "同事刚保存的优势"


def test_submitting_an_incomplete_plan_answers_400_and_lists_the_missing_parts(
    principal_client: Client, school_a1: School
) -> None:
    plan = draft_plan(school_a1)
    services.plan_save_sections(
        expected_revision=plan.revision, plan=plan, data={**SECTIONS, "safeguards": ""}, user=None
    )
    response = principal_client.post(edit_url(plan), {"action": "submit"})
    assert response.status_code == 400
    assert messages_of(response) == ["请填写“保障措施”", "至少需要一个发展目标"]
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.DRAFT


def test_a_goal_without_a_title_answers_400(principal_client: Client, own: SchoolPlan) -> None:
    area = own.goals.first().area
    response = principal_client.post(edit_url(own), {"action": "goal_add", "area": str(area.pk), "title": ""})
    assert response.status_code == 400
    assert "请检查目标的填写" in messages_of(response)
    assert PlanGoal.objects.filter(plan=own).count() == 4


@pytest.mark.parametrize(
    "data",
    [
        {"action": "goal_delete", "goal": "abc"},
        {"action": "goal_edit", "goal": "1 OR 1=1", "area": "1", "title": "改"},
        {"action": "target_add", "goal": "", "name": "新指标", "unit": "个", "direction": "higher"},
        {"action": "target_delete", "target": "7x"},
    ],
    ids=["goal-delete", "goal-edit", "target-add", "target-delete"],
)
def test_a_malformed_part_id_answers_404_not_a_server_error(
    principal_client: Client, own: SchoolPlan, data: dict[str, str]
) -> None:
    principal_client.raise_request_exception = False
    assert principal_client.post(edit_url(own), data).status_code == 404
    assert PlanGoal.objects.filter(plan=own).count() == 4
    assert PlanTarget.objects.filter(goal__plan=own).count() == 4


def test_parts_of_another_schools_plan_cannot_be_touched_from_ones_own_editor(
    principal_client: Client, own: SchoolPlan, neighbour: SchoolPlan
) -> None:
    their_goal = neighbour.goals.first()
    their_target = target(neighbour, "最大班额")
    assert principal_client.post(edit_url(own), {"action": "goal_delete", "goal": their_goal.pk}).status_code == 404
    response = principal_client.post(edit_url(own), {"action": "target_delete", "target": their_target.pk})
    assert response.status_code == 404
    assert PlanGoal.objects.filter(pk=their_goal.pk).exists() and PlanTarget.objects.filter(pk=their_target.pk).exists()


def test_a_complete_plan_is_submitted_from_the_editor(principal_client: Client, own: SchoolPlan) -> None:
    response = principal_client.post(edit_url(own), {"action": "submit"})
    assert response.status_code == 302 and response["Location"] == detail_url(own)
    own.refresh_from_db()
    assert own.status == ReviewStatus.SUBMITTED


# --- annual progress --------------------------------------------------------------------------


@pytest.fixture
def approved(school_a1: School, principal: User, bureau_user: User) -> SchoolPlan:
    return approved_plan(school_a1, principal, bureau_user)


def progress_post(progress: AnnualProgress, action: str = "save", summary: str = "", **actuals: str) -> dict[str, str]:
    # The revision the page was opened at, as its hidden field sends it.
    data = {"action": action, "summary": summary, "revision": str(AnnualProgress.objects.get(pk=progress.pk).revision)}
    for entry in progress.items.select_related("target"):
        data[f"actual_{entry.pk}"] = actuals.get(entry.target.name, "")
        data[f"status_{entry.pk}"] = ""
        data[f"narrative_{entry.pk}"] = "按计划推进。"
    return data


def test_the_progress_page_opens_the_report_and_fills_linked_targets(
    district_a: District, principal_client: Client, approved: SchoolPlan, school_a1: School
) -> None:
    approved_statistics(school_a1)
    page = principal_client.get(progress_url(approved))
    assert page.status_code == 200
    progress = AnnualProgress.objects.get(plan=approved, year=START)
    class_size = progress.items.get(target__name="最大班额")
    text = row(page, f"item-{class_size.pk}")
    assert '<strong class="actual">44</strong>' in text and "系统填入:2025 学年已审核统计数据" in text
    custom = progress.items.get(target__name="校本德育课程数")
    assert f'name="actual_{custom.pk}"' in row(page, f"item-{custom.pk}")


def test_a_non_numeric_actual_answers_400_and_keeps_what_was_saved(
    principal_client: Client, approved: SchoolPlan
) -> None:
    principal_client.get(progress_url(approved))
    progress = AnnualProgress.objects.get(plan=approved, year=START)
    assert (
        principal_client.post(
            progress_url(approved), progress_post(progress, summary="初稿", 校本德育课程数="3")
        ).status_code
        == 302
    )
    response = principal_client.post(
        progress_url(approved), progress_post(progress, action="submit", summary="改稿", 校本德育课程数="三门")
    )
    assert response.status_code == 400
    assert "“校本德育课程数”实际值应为数字,收到“三门”" in messages_of(response)
    progress.refresh_from_db()
    custom = progress.items.get(target__name="校本德育课程数")
    assert (progress.summary, progress.status, custom.actual) == ("初稿", ReviewStatus.DRAFT, 3)


def test_progress_is_submitted_and_reviewed(
    principal_client: Client, bureau_client: Client, inspector_client: Client, approved: SchoolPlan
) -> None:
    assert bureau_client.get(progress_url(approved)).status_code == 404  # not opened by the school yet
    principal_client.get(progress_url(approved))
    progress = AnnualProgress.objects.get(plan=approved, year=START)
    response = principal_client.post(
        progress_url(approved), progress_post(progress, action="submit", summary="总体按计划推进。", 校本德育课程数="3")
    )
    assert response.status_code == 302
    progress.refresh_from_db()
    assert progress.status == ReviewStatus.SUBMITTED

    assert inspector_client.get(progress_url(approved)).status_code == 200
    assert inspector_client.post(progress_url(approved), {"action": "approve"}).status_code == 403
    assert principal_client.post(progress_url(approved), {"action": "approve"}).status_code == 403
    assert bureau_client.post(progress_url(approved), progress_post(progress, summary="教育局改写")).status_code == 403
    progress.refresh_from_db()
    assert (progress.status, progress.summary) == (ReviewStatus.SUBMITTED, "总体按计划推进。")

    assert bureau_client.post(progress_url(approved), {"action": "approve"}).status_code == 302
    progress.refresh_from_db()
    assert progress.status == ReviewStatus.APPROVED


def test_an_evidence_upload_is_judged_by_content(principal_client: Client, approved: SchoolPlan, media: Path) -> None:
    principal_client.get(progress_url(approved))
    progress = AnnualProgress.objects.get(plan=approved, year=START)
    refused = principal_client.post(
        progress_url(approved),
        {**progress_post(progress, "upload"), "evidence": SimpleUploadedFile("自评报告.pdf", exe_bytes())},
    )
    assert refused.status_code == 400
    assert any("文件“自评报告.pdf”不是允许的类型" in m for m in messages_of(refused))
    assert not Evidence.objects.exists()

    data = pdf_bytes("自评")
    accepted = principal_client.post(
        progress_url(approved),
        {**progress_post(progress, "upload"), "evidence": SimpleUploadedFile("自评报告.pdf", data)},
    )
    assert accepted.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.kind, evidence.sha256) == ("pdf", hashlib.sha256(data).hexdigest())
    assert "自评报告.pdf" in page_text(principal_client.get(progress_url(approved)))


def test_uploading_evidence_keeps_what_was_typed(principal_client: Client, approved: SchoolPlan, media: Path) -> None:
    """Evidence belongs to the progress form: the typed values are saved with the file (issue #14)."""
    page = principal_client.get(progress_url(approved))
    form = re.search(r'<form[^>]*id="progress-form"[^>]*>(.*?)</form>', page_text(page), re.S)
    assert form and 'enctype="multipart/form-data"' in form.group(0)
    assert 'type="file" name="evidence"' in form.group(1), "the file input sits in the progress form"
    progress = AnnualProgress.objects.get(plan=approved, year=START)
    custom = progress.items.get(target__name="校本德育课程数")
    posted = {
        **progress_post(progress, "save", summary="德育课程按计划开设。", 校本德育课程数="4"),
        "evidence": [SimpleUploadedFile("课程表.pdf", pdf_bytes("课程表")), SimpleUploadedFile("照片.png", b"")],
    }
    refused = principal_client.post(progress_url(approved), posted)
    # A refused file (the empty one) saves nothing and shows back everything typed.
    assert refused.status_code == 400
    assert any("文件“照片.png”是空文件" in m for m in messages_of(refused))
    assert any("请改正后重新选择" in m for m in messages_of(refused))
    assert not Evidence.objects.exists()
    progress.refresh_from_db()
    assert progress.summary == "" and progress.items.get(pk=custom.pk).actual is None
    text = page_text(refused)
    assert f'name="actual_{custom.pk}" value="4"' in text
    assert "德育课程按计划开设。</textarea>" in text
    assert text.count("按计划推进。</textarea>") == progress.items.count()

    posted["evidence"] = [SimpleUploadedFile("课程表.pdf", pdf_bytes("课程表"))]
    assert principal_client.post(progress_url(approved), posted).status_code == 302
    progress.refresh_from_db()
    assert progress.summary == "德育课程按计划开设。"
    assert progress.items.get(pk=custom.pk).actual == 4
    assert [e.original_name for e in progress.evidence.all()] == ["课程表.pdf"]
    after = page_text(principal_client.get(progress_url(approved)))
    assert f'name="actual_{custom.pk}" value="4' in after and "课程表.pdf" in after

    # 保存并提交 then goes through without typing anything again.
    submitted = principal_client.post(progress_url(approved), progress_post_as_shown(progress))
    assert submitted.status_code == 302
    progress.refresh_from_db()
    assert progress.status == ReviewStatus.SUBMITTED


def progress_post_as_shown(progress: AnnualProgress) -> dict[str, str]:
    """What the page posts when nothing is changed: the stored values, and 保存并提交."""
    progress.refresh_from_db()
    data = {"action": "submit", "summary": progress.summary, "revision": str(progress.revision)}
    for entry in progress.items.all():
        data[f"actual_{entry.pk}"] = "" if entry.actual is None else str(entry.actual)
        data[f"status_{entry.pk}"] = entry.status
        data[f"narrative_{entry.pk}"] = entry.narrative
    return data


def test_a_failed_submit_saves_nothing_and_keeps_the_typing(principal_client: Client, approved: SchoolPlan) -> None:
    principal_client.get(progress_url(approved))
    progress = AnnualProgress.objects.get(plan=approved, year=START)
    custom = progress.items.get(target__name="校本德育课程数")
    opened_at = progress.revision
    response = principal_client.post(
        progress_url(approved), progress_post(progress, action="submit", summary="", 校本德育课程数="5")
    )
    assert response.status_code == 400
    assert "请填写总体自评" in messages_of(response)
    progress.refresh_from_db()
    assert progress.revision == opened_at and progress.items.get(pk=custom.pk).actual is None
    assert f'name="actual_{custom.pk}" value="5"' in page_text(response)


@pytest.fixture
def evidence(approved: SchoolPlan, principal: User, media: Path) -> tuple[Evidence, bytes]:
    progress = services.progress_open(plan=approved, year=START, user=principal)
    data = pdf_bytes("下载")
    upload = SimpleUploadedFile("佐证<材料>.pdf", data)
    return services.evidence_add(progress=progress, upload=upload, user=principal), data


@pytest.mark.parametrize("client_fixture", ["principal_client", "bureau_client", "inspector_client"])
def test_evidence_is_downloaded_as_an_attachment(
    request: pytest.FixtureRequest, client_fixture: str, evidence: tuple[Evidence, bytes]
) -> None:
    client: Client = request.getfixturevalue(client_fixture)
    item, data = evidence
    response = client.get(reverse("plans:evidence_download", args=[item.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == data


@pytest.mark.parametrize("user_fixture", ["other_principal", "other_bureau_user", "outsider_inspector"])
def test_evidence_is_404_outside_the_scope(
    request: pytest.FixtureRequest, user_fixture: str, evidence: tuple[Evidence, bytes]
) -> None:
    client = login(request.getfixturevalue(user_fixture))
    assert client.get(reverse("plans:evidence_download", args=[evidence[0].pk])).status_code == 404


def test_evidence_needs_a_login(evidence: tuple[Evidence, bytes]) -> None:
    response = Client().get(reverse("plans:evidence_download", args=[evidence[0].pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- oversight --------------------------------------------------------------------------------


@pytest.fixture
def late_and_done(
    district_a: District, school_a1: School, school_a2: School, principal: User, other_principal: User
) -> dict[str, SchoolPlan]:
    late = approved_plan(school_a1, principal)
    done = approved_plan(school_a2, other_principal)
    progress = services.progress_open(plan=done, year=START, user=None)
    entries = {i.pk: {"narrative": "按计划推进。"} for i in progress.items.all()}
    services.progress_save(
        expected_revision=progress.revision, progress=progress, items=entries, summary="总体按计划推进。", user=None
    )
    services.progress_submit(progress=progress, user=None)
    services.deadline_set(district=district_a, year=START, due=timezone.localdate() - timedelta(days=1))
    return {"late": late, "done": done}


def overview_url(district: District, year: int = START) -> str:
    return reverse("plans:progress_overview", args=[district.code, year])


def test_the_progress_overview_shows_late_schools(
    bureau_client: Client, district_a: District, late_and_done: dict[str, SchoolPlan]
) -> None:
    response = bureau_client.get(overview_url(district_a))
    assert response.status_code == 200
    assert re.search(r'<strong id="late-count">1</strong>', response.content.decode())
    late = page_text(response).split(late_and_done["late"].school.code, 1)[1].split("</tr>", 1)[0]
    done = page_text(response).split(late_and_done["done"].school.code, 1)[1].split("</tr>", 1)[0]
    assert "未填报" in late and "逾期" in late
    assert "待审核" in done and "逾期" not in done


def test_bureau_staff_remind_late_schools(
    bureau_client: Client,
    district_a: District,
    late_and_done: dict[str, SchoolPlan],
    principal: User,
    other_principal: User,
) -> None:
    response = bureau_client.post(overview_url(district_a), {"action": "remind"}, follow=True)
    assert "已向 1 位校长发送提醒" in messages_of(response)
    assert Notification.objects.filter(user=principal, text__contains="已过截止日期").count() == 1
    assert not Notification.objects.filter(user=other_principal, text__contains="已过截止日期").exists()
    # The principal reads it on the notifications page.
    page = page_text(login(principal).get(reverse("plans:notifications")))
    assert "请尽快提交 2025 学年规划自评(已过截止日期)" in page


def test_bureau_staff_set_the_deadline(bureau_client: Client, district_a: District) -> None:
    bureau_client.post(overview_url(district_a), {"action": "deadline", "due": "2026-06-30"})
    assert district_a.progress_deadlines.get(year=START).due == date(2026, 6, 30)
    response = bureau_client.post(overview_url(district_a), {"action": "deadline", "due": "6月30日"}, follow=True)
    assert "日期格式应为 YYYY-MM-DD" in messages_of(response)
    assert district_a.progress_deadlines.get(year=START).due == date(2026, 6, 30)


def test_the_progress_overview_is_for_the_district_only(
    principal_client: Client,
    inspector_client: Client,
    other_bureau_client: Client,
    district_a: District,
    late_and_done: dict[str, SchoolPlan],
) -> None:
    assert principal_client.get(overview_url(district_a)).status_code == 404
    assert other_bureau_client.get(overview_url(district_a)).status_code == 404
    assert inspector_client.get(overview_url(district_a)).status_code == 200
    assert inspector_client.post(overview_url(district_a), {"action": "remind"}).status_code == 403
    assert not Notification.objects.filter(text__contains="已过截止日期").exists()


# --- county plan ------------------------------------------------------------------------------


@pytest.fixture
def county_board(district_a: District, school_a1: School) -> Any:
    poor = make_school(district_a, "1101010003", "甲县第三小学", "primary")
    approved_statistics(school_a1)
    approved_statistics(poor, teaching_area="1200", sports_area="1000")
    balance_recompute(districts=[district_a], year=START)
    county = services.county_plan_save(
        district=district_a, start_year=START, title="甲测试县优质均衡推进计划", inspection_date=date(2028, 5, 20)
    )
    services.county_target_set(
        expected_revision=county.revision, plan=county, kind="compliance_share", year=START, value=80
    )
    services.county_target_set(
        expected_revision=county.revision,
        plan=county,
        kind="cv",
        year=START,
        value="0.7",
        indicator="sports_area_per_student",
        level="primary",
    )
    return county


def county_url(district: District) -> str:
    return reverse("plans:county_plan", args=[district.code])


def test_the_county_plan_page_renders_the_board(bureau_client: Client, district_a: District, county_board: Any) -> None:
    response = bureau_client.get(county_url(district_a))
    assert response.status_code == 200
    text = page_text(response)
    assert "甲测试县优质均衡推进计划" in text and "2028-05-20" in text
    assert "达标学校比例" in text and "校际差异系数 · 生均体育运动场馆面积 · 小学" in text
    rows = re.findall(r"<tr><td>2025</td>(.*?)</tr>", text)
    assert len(rows) == 2
    share, cv = rows
    assert "80.000" in share and "50.000" in share and "未达标" in share  # 1 of 2 primary schools
    assert "0.700" in cv and "0.667" in cv and "达标" in cv and "未达标" not in cv  # lower is better
    assert text.count("<svg") >= 2
    assert "设置年度目标" in text


def test_a_county_target_outside_the_plan_is_refused_on_the_page(
    bureau_client: Client, district_a: District, county_board: Any
) -> None:
    response = bureau_client.post(
        county_url(district_a),
        {
            "action": "target",
            "kind": "compliance_share",
            "year": "2029",
            "value": "100",
            "revision": str(county_board.revision),
        },
        follow=True,
    )
    assert "目标年份 2029 不在计划期内" in messages_of(response)
    assert not county_board.targets.filter(year=2029).exists()
    response = bureau_client.post(
        county_url(district_a),
        {
            "action": "target",
            "kind": "compliance_share",
            "year": "2026",
            "value": "九成",
            "revision": str(county_board.revision),
        },
        follow=True,
    )
    assert "目标值应为数字,收到“九成”" in messages_of(response)
    assert not county_board.targets.filter(year=2026).exists()


def test_the_county_plan_is_read_only_for_inspectors_and_hidden_from_principals(
    inspector_client: Client, principal_client: Client, district_a: District, county_board: Any
) -> None:
    page = inspector_client.get(county_url(district_a))
    assert page.status_code == 200 and "设置年度目标" not in page_text(page)
    response = inspector_client.post(
        county_url(district_a), {"action": "target", "kind": "compliance_share", "year": "2026", "value": "90"}
    )
    assert response.status_code == 403
    assert not county_board.targets.filter(year=2026).exists()
    assert principal_client.get(county_url(district_a)).status_code == 404


def test_a_filled_in_value_says_where_it_came_from_in_the_readers_language(
    principal_client: Client, approved: SchoolPlan, school_a1: School
) -> None:
    """Stored in Chinese whoever opened the report first (issue #14: English that is English)."""
    approved_statistics(school_a1)
    principal_client.cookies["django_language"] = "en"
    english = page_text(principal_client.get(progress_url(approved)))
    item = AnnualProgress.objects.get(plan=approved, year=START).items.get(target__name="最大班额")
    assert item.source == f"{START} 学年已审核统计数据"
    assert f"Approved statistics for school year {START}" in english
    principal_client.cookies["django_language"] = "zh-hans"
    assert f"{START} 学年已审核统计数据" in page_text(principal_client.get(progress_url(approved)))
