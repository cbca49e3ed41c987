"""API: school plans with their review workflow, and progress reports (/api/v1/, issue #8).

The school writes and submits its plan (the principal); the bureau approves it or returns it
with comments pinned to a section, goal or target. Inspectors read only.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import User
from plans import services
from plans.models import SECTION_FIELDS, PlanArea, PlanComment, PlanGoal, PlanTarget, ReviewStatus, SchoolPlan
from schools.models import School
from tests.factories import YEAR

pytestmark = pytest.mark.django_db

PLANS = reverse("api:plan-list")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, data if data is not None else {}, content_type="application/json")


def action(plan: SchoolPlan | int | str, name: str) -> str:
    route = "return-plan" if name == "return" else name  # the view method is return_plan
    return reverse(f"api:plan-{route}", args=[plan.pk if isinstance(plan, SchoolPlan) else plan])


def status_of(plan: SchoolPlan) -> str:
    return SchoolPlan.objects.get(pk=plan.pk).status


def draft(school: School, start_year: int, user: User, *, complete: bool = True) -> SchoolPlan:
    """A plan through the services: complete (sections, a goal with a target for every year) or bare."""
    plan = services.plan_create(
        school=school, start_year=start_year, title=f"{start_year}—{start_year + 2} 发展规划", user=user
    )
    if not complete:
        return plan
    plan = services.plan_save_sections(
        expected_revision=plan.revision, plan=plan, data=dict.fromkeys(SECTION_FIELDS, "规划内容"), user=user
    )
    goal = services.goal_save(plan=plan, area=PlanArea.objects.order_by("order", "id")[0], title="提升师资", user=user)
    services.target_save(goal=goal, name="骨干教师数", values={str(y): 10 for y in plan.years}, unit="人", user=user)
    return plan


def submitted(school: School, start_year: int, user: User) -> SchoolPlan:
    return services.plan_submit(plan=draft(school, start_year, user), user=user)


# --- reading ---------------------------------------------------------------------------------


def test_plans_in_scope_with_filters(
    school_a1: School,
    school_a2: School,
    school_b1: School,
    principal: User,
    other_principal: User,
    bureau_user: User,
    inspector: User,
    other_bureau_user: User,
) -> None:
    a1_draft = draft(school_a1, YEAR, principal)
    a1_next = submitted(school_a1, YEAR + 3, principal)
    a2_draft = draft(school_a2, YEAR, other_principal, complete=False)
    b1_draft = draft(school_b1, YEAR, other_bureau_user, complete=False)

    def ids(user: User, **params: Any) -> list[int]:
        data = client_for(user).get(PLANS, params).json()
        assert data["count"] == len(data["results"]) and data["next"] is None
        return [row["id"] for row in data["results"]]

    assert ids(principal) == [a1_draft.pk, a1_next.pk]
    assert ids(other_principal) == [a2_draft.pk]
    assert ids(bureau_user) == ids(inspector) == [a1_draft.pk, a1_next.pk, a2_draft.pk]
    assert ids(other_bureau_user) == [b1_draft.pk]
    assert ids(bureau_user, status="submitted") == [a1_next.pk]
    assert ids(bureau_user, school=school_a2.code) == [a2_draft.pk]
    assert ids(bureau_user, start_year=YEAR) == [a1_draft.pk, a2_draft.pk]
    assert ids(bureau_user, district="110101", start_year=YEAR + 3) == [a1_next.pk]
    assert ids(bureau_user, district="120101") == []
    assert client_for(bureau_user).get(PLANS, {"status": "nonsense"}).status_code == 400
    assert client_for(other_principal).get(reverse("api:plan-detail", args=[a1_draft.pk])).status_code == 404


def test_plan_detail_has_goals_and_targets(school_a1: School, principal: User, inspector: User) -> None:
    plan = draft(school_a1, YEAR, principal)
    data = client_for(inspector).get(reverse("api:plan-detail", args=[plan.pk])).json()
    assert (data["school_code"], data["start_year"], data["end_year"], data["status"]) == (
        school_a1.code,
        YEAR,
        YEAR + 2,
        "draft",
    )
    assert all(data[field] == "规划内容" for field in SECTION_FIELDS)
    (goal,) = data["goals"]
    assert goal["title"] == "提升师资" and goal["area"] == PlanArea.objects.order_by("order", "id")[0].name
    (target,) = goal["targets"]
    assert target["name"] == "骨干教师数" and target["values"] == {str(y): 10 for y in range(YEAR, YEAR + 3)}


# --- submit ----------------------------------------------------------------------------------


def test_a_principal_submits_their_own_complete_plan(school_a1: School, principal: User) -> None:
    plan = draft(school_a1, YEAR, principal)
    response = post(client_for(principal), action(plan, "submit"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted" == status_of(plan)
    again = post(client_for(principal), action(plan, "submit"))
    assert again.status_code == 400 and "不能提交" in again.json()["detail"][0]


def test_an_incomplete_plan_is_refused_with_what_is_missing(school_a1: School, principal: User) -> None:
    plan = draft(school_a1, YEAR, principal, complete=False)
    services.plan_save_sections(
        expected_revision=plan.revision, plan=plan, data={"strengths": "师资稳定"}, user=principal
    )
    response = post(client_for(principal), action(plan, "submit"))
    assert response.status_code == 400
    missing = response.json()["detail"]
    assert "请填写“不足与问题”" in missing and "请填写“保障措施”" in missing
    assert "请填写“优势”" not in missing
    assert "至少需要一个发展目标" in missing
    assert status_of(plan) == ReviewStatus.DRAFT


def test_a_target_without_every_years_value_is_named(school_a1: School, principal: User) -> None:
    plan = draft(school_a1, YEAR, principal)
    goal = PlanGoal.objects.get(plan=plan)
    services.target_save(goal=goal, name="生均图书", values={str(YEAR): 30}, unit="册", user=principal)
    missing = post(client_for(principal), action(plan, "submit")).json()["detail"]
    assert missing == [f"指标“生均图书”缺少 {YEAR + 1}、{YEAR + 2} 年的目标值"]


def test_who_may_submit(
    school_a1: School, principal: User, other_principal: User, bureau_user: User, inspector: User
) -> None:
    plan = draft(school_a1, YEAR, principal)
    assert post(client_for(other_principal), action(plan, "submit")).status_code == 404  # not their school
    assert post(client_for(bureau_user), action(plan, "submit")).status_code == 403  # the school writes its plan
    assert post(client_for(inspector), action(plan, "submit")).status_code == 403
    assert status_of(plan) == ReviewStatus.DRAFT


# --- approve and return ----------------------------------------------------------------------


def test_the_bureau_approves(school_a1: School, principal: User, bureau_user: User) -> None:
    plan = submitted(school_a1, YEAR, principal)
    response = post(client_for(bureau_user), action(plan, "approve"))
    assert response.status_code == 200 and response.json()["status"] == "approved" == status_of(plan)
    again = post(client_for(bureau_user), action(plan, "approve"))
    assert again.status_code == 400 and "只有待审核的规划可以通过" in again.json()["detail"][0]


def test_a_draft_cannot_be_approved_or_returned(school_a1: School, principal: User, bureau_user: User) -> None:
    plan = draft(school_a1, YEAR, principal)
    bureau = client_for(bureau_user)
    assert post(bureau, action(plan, "approve")).status_code == 400
    returned = post(bureau, action(plan, "return"), {"comments": [{"anchor": "", "text": "请完善"}]})
    assert returned.status_code == 400 and "只有待审核的规划可以退回" in returned.json()["detail"][0]
    assert status_of(plan) == ReviewStatus.DRAFT


def test_who_may_approve_or_return(
    school_a1: School, principal: User, inspector: User, other_bureau_user: User
) -> None:
    plan = submitted(school_a1, YEAR, principal)
    comments = {"comments": [{"anchor": "", "text": "请完善"}]}
    for user, code in ((principal, 403), (inspector, 403), (other_bureau_user, 404)):
        assert post(client_for(user), action(plan, "approve")).status_code == code, user
        assert post(client_for(user), action(plan, "return"), comments).status_code == code, user
    assert status_of(plan) == ReviewStatus.SUBMITTED
    assert not PlanComment.objects.exists()


def test_return_needs_comments(school_a1: School, principal: User, bureau_user: User) -> None:
    plan = submitted(school_a1, YEAR, principal)
    bureau = client_for(bureau_user)
    assert post(bureau, action(plan, "return")).status_code == 400  # no comments key at all
    empty = post(bureau, action(plan, "return"), {"comments": []})
    assert empty.status_code == 400 and "退回时至少填写一条意见" in empty.json()["detail"][0]
    blank = post(bureau, action(plan, "return"), {"comments": [{"anchor": "section:weaknesses", "text": "  "}]})
    assert blank.status_code == 400 and "退回时至少填写一条意见" in blank.json()["detail"][0]
    assert status_of(plan) == ReviewStatus.SUBMITTED


@pytest.mark.parametrize(
    "anchor", ["section:nonsense", "goal:0", "target:0", "goal:x", "somewhere", "goal:²", "target:99999999999999999999"]
)
def test_a_comment_on_an_invalid_anchor_is_refused(
    anchor: str, school_a1: School, principal: User, bureau_user: User
) -> None:
    plan = submitted(school_a1, YEAR, principal)
    response = post(client_for(bureau_user), action(plan, "return"), {"comments": [{"anchor": anchor, "text": "改"}]})
    assert response.status_code == 400
    assert "意见所指的位置无效" in response.json()["detail"][0]
    assert status_of(plan) == ReviewStatus.SUBMITTED and not PlanComment.objects.exists()


def test_a_comment_on_another_plans_goal_is_refused(school_a1: School, principal: User, bureau_user: User) -> None:
    plan = submitted(school_a1, YEAR, principal)
    other_goal = PlanGoal.objects.get(plan=draft(school_a1, YEAR + 3, principal))
    comments = {"comments": [{"anchor": f"goal:{other_goal.pk}", "text": "改"}]}
    assert post(client_for(bureau_user), action(plan, "return"), comments).status_code == 400


def test_return_with_pinned_comments(school_a1: School, principal: User, bureau_user: User) -> None:
    plan = submitted(school_a1, YEAR, principal)
    goal = PlanGoal.objects.get(plan=plan)
    target = PlanTarget.objects.get(goal=goal)
    comments = [
        {"anchor": "section:weaknesses", "text": "问题分析不够具体"},
        {"anchor": f"goal:{goal.pk}", "text": "目标过于笼统"},
        {"anchor": f"target:{target.pk}", "text": "目标值偏低"},
        {"anchor": "", "text": "整体需修改"},
    ]
    response = post(client_for(bureau_user), action(plan, "return"), {"comments": comments})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "returned" == status_of(plan)
    stored = list(PlanComment.objects.filter(plan=plan).order_by("id").values_list("anchor", "text", "author"))
    assert stored == [(c["anchor"], c["text"], bureau_user.pk) for c in comments]
    # The school can resubmit the returned plan.
    assert post(client_for(principal), action(plan, "submit")).json()["status"] == "submitted"


def test_a_plan_id_that_is_no_number_is_not_found(school_a1: School, principal: User, bureau_user: User) -> None:
    for pk in ("abc", "²", "0", "99999999999999999999"):
        assert post(client_for(principal), action(pk, "submit")).status_code == 404, pk
        assert post(client_for(bureau_user), action(pk, "approve")).status_code == 404, pk
        assert client_for(bureau_user).get(reverse("api:plan-detail", args=[pk])).status_code == 404, pk


# --- progress reports ------------------------------------------------------------------------


def test_progress_reports_in_scope(
    school_a1: School, principal: User, other_principal: User, bureau_user: User
) -> None:
    plan = services.plan_approve(plan=submitted(school_a1, YEAR, principal), user=bureau_user)
    progress = services.progress_open(plan=plan, year=YEAR, user=principal)
    url = reverse("api:progress-list")
    listing = client_for(bureau_user).get(url, {"year": YEAR}).json()
    assert [row["id"] for row in listing["results"]] == [progress.pk]
    row = listing["results"][0]
    assert row["plan"] == plan.pk and row["year"] == YEAR
    assert [item["target"] for item in row["items"]] == ["骨干教师数"]
    assert client_for(bureau_user).get(url, {"year": YEAR + 1}).json()["count"] == 0
    assert client_for(other_principal).get(url).json()["count"] == 0
    assert client_for(other_principal).get(reverse("api:progress-detail", args=[progress.pk])).status_code == 404
    assert client_for(principal).get(reverse("api:progress-detail", args=[progress.pk])).status_code == 200
