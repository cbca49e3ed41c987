"""Integration tests for plans.services (and the board in plans.selectors) on PostgreSQL: the plan
workflow and its rules, annual progress with values filled in from approved statistics and stored
results, evidence files, deadlines and reminders, and the county plan.

Every piece of data is built through the services (schools.services for the registry and the
statistics, plans.services for plans), so each object obeys the same rules as real data.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import User
from indicators.services import balance_recompute
from plans import files, services
from plans.models import (
    SECTION_FIELDS,
    AnnualProgress,
    CountyTarget,
    Evidence,
    Notification,
    PlanArea,
    PlanComment,
    PlanGoal,
    PlanTarget,
    ProgressItem,
    ReviewStatus,
    SchoolPlan,
)
from plans.selectors import county_plan_board
from schools import services as school_services
from schools.models import AnnualStatistics, District, School
from tests.factories import make_school, save_statistics
from tests.unit.plans.test_files import ACCEPTED, docx_bytes, exe_bytes, pdf_bytes, plain_zip_bytes, text_bytes

pytestmark = pytest.mark.django_db

START = 2025
YEARS = [2025, 2026, 2027]
SECTIONS = {
    "strengths": "办学历史悠久,校风正、学风浓;骨干教师占比逐年提高。",
    "weaknesses": "功能教室不足;体育运动场地生均面积偏小。",
    "opportunities": "县域推进义务教育优质均衡发展,加大投入。",
    "challenges": "城区学位需求持续增加,大班额压力仍在。",
    "philosophy": "以人为本,全面发展。",
    "overall_goal": "用三年时间,办学条件全面达到优质均衡标准。",
    "safeguards": "成立规划实施领导小组,分解年度任务,责任到人。",
}
SECTION_LABELS = {
    "strengths": "优势",
    "weaknesses": "不足与问题",
    "opportunities": "机遇",
    "challenges": "挑战",
    "philosophy": "办学理念",
    "overall_goal": "总体目标",
    "safeguards": "保障措施",
}


# --- helpers ----------------------------------------------------------------------------------


def area(name: str) -> PlanArea:
    return PlanArea.objects.get(name=name)


def text_of(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


def draft_plan(school: School, user: User | None = None, start: int = START) -> SchoolPlan:
    return services.plan_create(school=school, start_year=start, title="三年发展规划(2025—2027)", user=user)


def complete_plan(school: School, user: User | None = None, start: int = START) -> SchoolPlan:
    """A plan with every section, three goals and four targets (three linked, one custom)."""
    plan = draft_plan(school, user, start)
    plan = services.plan_save_sections(expected_revision=plan.revision, plan=plan, data=SECTIONS, user=user)
    teaching = services.goal_save(
        plan=plan, area=area("教学"), title="控制班额,提高课堂效率", measures="严格按标准班额招生。"
    )
    services.target_save(
        goal=teaching,
        name="最大班额",
        metric="stat:max_class_size",
        level="primary",
        values={"2025": 45, "2026": 45, "2027": 45},
        baseline=48,
    )
    teachers = services.goal_save(plan=plan, area=area("教师队伍"), title="提高教师学历层次")
    services.target_save(
        goal=teachers,
        name="高于规定学历教师比例",
        metric="stat:qualified_rate",
        level="primary",
        values={"2025": 80, "2026": 85, "2027": 90},
        baseline=70,
    )
    conditions = services.goal_save(plan=plan, area=area("办学条件"), title="改善办学条件")
    services.target_save(
        goal=conditions,
        name="生均教学及辅助用房面积",
        metric="indicator:teaching_area_per_student",
        level="primary",
        values={"2025": 5.0, "2026": 5.2, "2027": 5.4},
    )
    moral = services.goal_save(plan=plan, area=area("德育"), title="深化养成教育特色")
    services.target_save(
        goal=moral, name="校本德育课程数", unit="门", values={"2025": 3, "2026": 4, "2027": 5}, baseline=2
    )
    return plan


def submitted_plan(school: School, user: User | None = None) -> SchoolPlan:
    return services.plan_submit(plan=complete_plan(school, user), user=user)


def approved_plan(school: School, user: User | None = None, reviewer: User | None = None) -> SchoolPlan:
    return services.plan_approve(plan=submitted_plan(school, user), user=reviewer)


def target(plan: SchoolPlan, name: str) -> PlanTarget:
    return PlanTarget.objects.get(goal__plan=plan, name=name)


def item(progress: AnnualProgress, name: str) -> ProgressItem:
    return progress.items.select_related("target").get(target__name=name)


def approved_statistics(school: School, year: int = START, **overrides: Any) -> AnnualStatistics:
    stats = save_statistics(school, year, **overrides)
    stats = school_services.statistics_submit(stats=stats, user=None)
    return school_services.statistics_approve(stats=stats, user=None)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


EDITS = ("goal_save", "goal_delete", "target_save", "target_delete")


def actions(plan: SchoolPlan) -> list[str]:
    """The plan's workflow events (goal and target edits are recorded too, but left out here)."""
    return [a for a in plan.events.order_by("at", "id").values_list("action", flat=True) if a not in EDITS]


def test_goal_and_target_edits_are_recorded_with_their_changes(school_a1: School, principal: User) -> None:
    plan = services.plan_create(school=school_a1, start_year=START, title="规划", user=principal)
    goal = services.goal_save(plan=plan, area=area("教学"), title="控制班额", user=principal)
    services.target_save(goal=goal, name="最大班额", values={str(START): 45}, unit="人", user=principal)
    events = list(plan.events.order_by("id").values_list("action", "changes"))
    assert events[1] == ("goal_save", {"area": ["", "教学"], "title": ["", "控制班额"]})
    assert events[2][0] == "target_save" and events[2][1]["values"] == [None, {str(START): 45.0}]


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


# --- creating and editing ---------------------------------------------------------------------


def test_plan_create_starts_a_three_year_draft(school_a1: School, principal: User) -> None:
    plan = draft_plan(school_a1, principal)
    assert (plan.start_year, plan.end_year, plan.years) == (2025, 2027, YEARS)
    assert (plan.status, plan.version, plan.revision, plan.created_by) == (ReviewStatus.DRAFT, 1, 1, principal)
    assert actions(plan) == ["create"]


def test_plan_create_refuses_a_second_plan_for_the_same_period(school_a1: School, school_a2: School) -> None:
    first = draft_plan(school_a1)
    with pytest.raises(ValidationError) as error:
        services.plan_create(school=school_a1, start_year=START, title="另一份规划", user=None)
    assert "该校 2025 年起的规划已存在" in text_of(error)
    assert list(SchoolPlan.objects.filter(school=school_a1)) == [first]
    # The same period at another school, and another period at this school, are fine.
    draft_plan(school_a2)
    draft_plan(school_a1, start=2028)
    assert SchoolPlan.objects.count() == 3


def test_plan_create_needs_a_title(school_a1: School) -> None:
    with pytest.raises(ValidationError) as error:
        services.plan_create(school=school_a1, start_year=START, title="   ", user=None)
    assert "请填写规划名称" in text_of(error)
    assert not SchoolPlan.objects.exists()


def test_sections_are_saved_and_the_revision_moves_on(school_a1: School, principal: User) -> None:
    plan = draft_plan(school_a1, principal)
    saved = services.plan_save_sections(
        plan=plan,
        data={**SECTIONS, "strengths": "  有留白的文字  "},
        user=principal,
        expected_revision=1,
    )
    saved.refresh_from_db()
    assert saved.revision == 2
    assert saved.strengths == "有留白的文字"
    assert saved.safeguards == SECTIONS["safeguards"]
    assert actions(saved) == ["create", "save"]


def test_a_stale_revision_is_refused_and_nothing_is_lost(school_a1: School, principal: User) -> None:
    plan = draft_plan(school_a1, principal)
    # Two editors open revision 1; the first one saves.
    services.plan_save_sections(
        plan=plan,
        data={"strengths": "甲老师写的优势"},
        user=principal,
        expected_revision=1,
    )
    with pytest.raises(ValidationError) as error:
        services.plan_save_sections(
            plan=plan,
            data={"strengths": "乙老师写的优势", "weaknesses": "乙老师写的不足"},
            user=principal,
            expected_revision=1,
        )
    assert "该记录已被他人修改,请查看最新数据后再保存" in text_of(error) and "优势" in text_of(error)
    plan.refresh_from_db()
    assert (plan.strengths, plan.weaknesses, plan.revision) == ("甲老师写的优势", "", 2)
    assert actions(plan) == ["create", "save"]
    # With the current revision the second editor's save goes through.
    services.plan_save_sections(
        plan=plan,
        data={"weaknesses": "乙老师写的不足"},
        user=principal,
        expected_revision=2,
    )
    plan.refresh_from_db()
    assert (plan.strengths, plan.weaknesses, plan.revision) == ("甲老师写的优势", "乙老师写的不足", 3)


def test_sections_cannot_blank_the_title(school_a1: School) -> None:
    plan = draft_plan(school_a1)
    with pytest.raises(ValidationError) as error:
        services.plan_save_sections(
            expected_revision=plan.revision, plan=plan, data={"title": " ", "strengths": "新文字"}, user=None
        )
    assert "请填写规划名称" in text_of(error)
    plan.refresh_from_db()
    assert (plan.title, plan.strengths, plan.revision) == ("三年发展规划(2025—2027)", "", 1)


def test_a_linked_target_takes_unit_and_direction_from_its_metric(school_a1: School) -> None:
    plan = draft_plan(school_a1)
    goal = services.goal_save(plan=plan, area=area("教学"), title="控制班额")
    saved = services.target_save(
        goal=goal,
        name="最大班额",
        metric="stat:max_class_size",
        level="primary",
        unit="个",
        direction="higher",
        values={"2025": "45", "2026": "1,200", "2027": ""},
    )
    saved.refresh_from_db()
    assert (saved.unit, saved.direction, saved.linked) == ("人", "lower", True)
    assert saved.values == {"2025": 45.0, "2026": 1200.0}  # thousands separators accepted, blanks dropped


@pytest.mark.parametrize("year", ["2024", "2028"])
def test_a_target_year_outside_the_plan_is_refused_naming_the_year(school_a1: School, year: str) -> None:
    plan = draft_plan(school_a1)
    goal = services.goal_save(plan=plan, area=area("德育"), title="养成教育")
    with pytest.raises(ValidationError) as error:
        services.target_save(goal=goal, name="校本课程数", unit="门", values={"2025": 3, year: 4})
    assert f"“校本课程数”的目标年份 {year} 不在规划期 2025—2027 内" in text_of(error)
    assert not PlanTarget.objects.exists()


@pytest.mark.parametrize("raw", ["三门", "4.5.1", "NaN", "Infinity", "5%"])
def test_a_non_numeric_target_value_is_refused(school_a1: School, raw: str) -> None:
    plan = draft_plan(school_a1)
    goal = services.goal_save(plan=plan, area=area("德育"), title="养成教育")
    with pytest.raises(ValidationError) as error:
        services.target_save(goal=goal, name="校本课程数", unit="门", values={"2025": 3, "2026": raw})
    assert "“校本课程数” 2026 年目标值应为数字" in text_of(error)
    assert not PlanTarget.objects.exists()


def test_a_non_numeric_baseline_is_refused(school_a1: School) -> None:
    plan = draft_plan(school_a1)
    goal = services.goal_save(plan=plan, area=area("德育"), title="养成教育")
    with pytest.raises(ValidationError) as error:
        services.target_save(goal=goal, name="校本课程数", unit="门", values={"2025": 3}, baseline="两门")
    assert "基线值应为数字" in text_of(error)
    assert not PlanTarget.objects.exists()


@pytest.mark.parametrize("level", ["", "senior", "小学"])
def test_a_linked_metric_needs_a_level(school_a1: School, level: str) -> None:
    plan = draft_plan(school_a1)
    goal = services.goal_save(plan=plan, area=area("教学"), title="控制班额")
    with pytest.raises(ValidationError) as error:
        services.target_save(goal=goal, name="最大班额", metric="stat:max_class_size", level=level, values={})
    assert "关联系统指标时请选择学段(小学或初中)" in text_of(error)
    assert not PlanTarget.objects.exists()


def test_an_unknown_metric_is_refused(school_a1: School) -> None:
    plan = draft_plan(school_a1)
    goal = services.goal_save(plan=plan, area=area("教学"), title="控制班额")
    with pytest.raises(ValidationError) as error:
        services.target_save(goal=goal, name="最大班额", metric="stat:nonsense", level="primary", values={})
    assert "未知的系统指标" in text_of(error)
    assert not PlanTarget.objects.exists()


def test_a_custom_target_needs_a_unit(school_a1: School) -> None:
    plan = draft_plan(school_a1)
    goal = services.goal_save(plan=plan, area=area("德育"), title="养成教育")
    with pytest.raises(ValidationError) as error:
        services.target_save(goal=goal, name="校本课程数", unit="  ", values={"2025": 3})
    assert "自定义指标请填写单位" in text_of(error)
    assert not PlanTarget.objects.exists()


def test_a_bad_change_to_a_target_keeps_what_was_saved(school_a1: School) -> None:
    plan = draft_plan(school_a1)
    goal = services.goal_save(plan=plan, area=area("德育"), title="养成教育")
    saved = services.target_save(goal=goal, name="校本课程数", unit="门", values={"2025": 3, "2026": 4})
    for bad in ({"2026": "很多"}, {"2029": 6}):
        with pytest.raises(ValidationError):
            services.target_save(
                goal=goal, target=saved, name="校本德育课程数", unit="个", values=bad, expected_revision=saved.revision
            )
    saved.refresh_from_db()
    assert (saved.name, saved.unit, saved.values) == ("校本课程数", "门", {"2025": 3.0, "2026": 4.0})


def test_a_goal_needs_a_title_and_belongs_to_its_plan(school_a1: School, school_a2: School) -> None:
    plan = draft_plan(school_a1)
    with pytest.raises(ValidationError) as error:
        services.goal_save(plan=plan, area=area("德育"), title=" ")
    assert "请填写目标" in text_of(error)
    assert not PlanGoal.objects.exists()
    other_goal = services.goal_save(plan=draft_plan(school_a2), area=area("德育"), title="别校的目标")
    with pytest.raises(ValidationError) as error:
        services.goal_save(plan=plan, goal=other_goal, area=area("安全"), title="改写别校的目标")
    assert "目标不属于该规划" in text_of(error)
    other_goal.refresh_from_db()
    assert other_goal.title == "别校的目标"


# --- submission and review --------------------------------------------------------------------


def test_submit_refuses_an_empty_plan_and_lists_what_is_missing(school_a1: School) -> None:
    plan = draft_plan(school_a1)
    with pytest.raises(ValidationError) as error:
        services.plan_submit(plan=plan, user=None)
    expected = [f"请填写“{SECTION_LABELS[f]}”" for f in SECTION_FIELDS] + ["至少需要一个发展目标"]
    assert error.value.messages == expected
    assert services.plan_missing_parts(plan) == expected
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.DRAFT
    assert actions(plan) == ["create"]


def test_submit_names_goals_without_targets_and_targets_without_every_year(school_a1: School) -> None:
    plan = draft_plan(school_a1)
    services.plan_save_sections(
        expected_revision=plan.revision, plan=plan, data={**SECTIONS, "challenges": "  "}, user=None
    )
    services.goal_save(plan=plan, area=area("安全"), title="创建平安校园")
    goal = services.goal_save(plan=plan, area=area("德育"), title="养成教育")
    services.target_save(goal=goal, name="校本课程数", unit="门", values={"2025": 3, "2027": 5})
    with pytest.raises(ValidationError) as error:
        services.plan_submit(plan=plan, user=None)
    assert error.value.messages == [
        "请填写“挑战”",
        "目标“创建平安校园”还没有可衡量的指标",
        "指标“校本课程数”缺少 2026 年的目标值",
    ]
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.DRAFT


def test_a_complete_plan_is_submitted_and_the_bureau_is_told(
    school_a1: School, principal: User, bureau_user: User, other_bureau_user: User
) -> None:
    plan = complete_plan(school_a1, principal)
    assert services.plan_missing_parts(plan) == []
    services.plan_submit(plan=plan, user=principal)
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.SUBMITTED
    assert actions(plan) == ["create", "save", "submit"]
    (note,) = Notification.objects.filter(user=bureau_user)
    assert "提交了规划" in note.text and note.link == f"/plans/{plan.pk}/"
    assert not Notification.objects.filter(user=other_bureau_user).exists()
    # Submitted plans are not edited, nor submitted twice.
    with pytest.raises(ValidationError):
        services.plan_save_sections(
            expected_revision=plan.revision, plan=plan, data={"strengths": "改"}, user=principal
        )
    with pytest.raises(ValidationError) as error:
        services.plan_submit(plan=plan, user=principal)
    assert "当前状态不能提交" in text_of(error)


@pytest.mark.parametrize("comments", [[], [("", "")], [("", "   "), ("section:strengths", "\n")]])
def test_return_needs_at_least_one_comment(school_a1: School, bureau_user: User, comments) -> None:
    plan = submitted_plan(school_a1)
    with pytest.raises(ValidationError) as error:
        services.plan_return(plan=plan, user=bureau_user, comments=comments)
    assert "退回时至少填写一条意见" in text_of(error)
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.SUBMITTED
    assert not PlanComment.objects.exists()


def test_return_pins_comments_to_sections_goals_and_targets(
    school_a1: School, principal: User, bureau_user: User
) -> None:
    plan = submitted_plan(school_a1, principal)
    goal = PlanGoal.objects.get(plan=plan, title="改善办学条件")
    tgt = target(plan, "最大班额")
    services.plan_return(
        plan=plan,
        user=bureau_user,
        comments=[
            ("", "总体目标较笼统,请细化。"),
            ("section:weaknesses", "请补充运动场地的具体数据。"),
            (f"goal:{goal.pk}", "措施过于简单。"),
            (f"target:{tgt.pk}", "2027 年目标应不高于 45 人。"),
            ("section:strengths", "  "),  # blank: ignored
        ],
    )
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.RETURNED
    pinned = {c.anchor: (c.text, c.author, c.resolved) for c in plan.comments.all()}
    assert pinned == {
        "": ("总体目标较笼统,请细化。", bureau_user, False),
        "section:weaknesses": ("请补充运动场地的具体数据。", bureau_user, False),
        f"goal:{goal.pk}": ("措施过于简单。", bureau_user, False),
        f"target:{tgt.pk}": ("2027 年目标应不高于 45 人。", bureau_user, False),
    }
    assert actions(plan)[-1] == "return"
    assert Notification.objects.filter(user=principal, text__contains="被退回修改").count() == 1
    # A returned plan can be edited again.
    services.plan_save_sections(
        expected_revision=plan.revision, plan=plan, data={"weaknesses": "运动场地生均 3.2 平方米。"}, user=principal
    )


@pytest.mark.parametrize(
    "anchor",
    [
        "section:title",
        "section:nonsense",
        "goal:999999",
        "goal:abc",
        "target:999999",
        "target:",
        "page:1",
        "weaknesses",
    ],
)
def test_return_refuses_a_comment_pinned_nowhere(school_a1: School, bureau_user: User, anchor: str) -> None:
    plan = submitted_plan(school_a1)
    with pytest.raises(ValidationError) as error:
        services.plan_return(plan=plan, user=bureau_user, comments=[("", "总体意见"), (anchor, "意见")])
    assert "意见所指的位置无效" in text_of(error)
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.SUBMITTED
    assert not PlanComment.objects.exists()  # not even the valid general comment


def test_return_refuses_anchors_of_another_plan(school_a1: School, school_a2: School, bureau_user: User) -> None:
    plan = submitted_plan(school_a1)
    other = complete_plan(school_a2)
    other_goal = other.goals.first()
    for anchor in (f"goal:{other_goal.pk}", f"target:{target(other, '最大班额').pk}"):
        with pytest.raises(ValidationError):
            services.plan_return(plan=plan, user=bureau_user, comments=[(anchor, "意见")])
    assert not PlanComment.objects.exists()


def test_return_and_approve_need_a_submitted_plan(school_a1: School, bureau_user: User) -> None:
    plan = complete_plan(school_a1)
    with pytest.raises(ValidationError) as error:
        services.plan_return(plan=plan, user=bureau_user, comments=[("", "意见")])
    assert "只有待审核的规划可以退回" in text_of(error)
    with pytest.raises(ValidationError) as error:
        services.plan_approve(plan=plan, user=bureau_user)
    assert "只有待审核的规划可以通过" in text_of(error)
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.DRAFT


def test_resubmitting_marks_the_comments_resolved(school_a1: School, principal: User, bureau_user: User) -> None:
    plan = submitted_plan(school_a1, principal)
    services.plan_return(plan=plan, user=bureau_user, comments=[("section:weaknesses", "请补充数据。")])
    services.plan_save_sections(
        expected_revision=plan.revision, plan=plan, data={"weaknesses": "运动场地生均 3.2 平方米。"}, user=principal
    )
    assert list(plan.comments.values_list("resolved", flat=True)) == [False]
    services.plan_submit(plan=plan, user=principal)
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.SUBMITTED
    assert list(plan.comments.values_list("resolved", flat=True)) == [True]
    assert actions(plan)[-3:] == ["return", "save", "resubmit"]


def test_approval_locks_the_plan(school_a1: School, principal: User, bureau_user: User) -> None:
    plan = approved_plan(school_a1, principal, bureau_user)
    plan.refresh_from_db()
    assert plan.status == ReviewStatus.APPROVED and not plan.editable
    goal = plan.goals.first()
    tgt = target(plan, "最大班额")
    attempts = [
        lambda: services.plan_save_sections(
            expected_revision=plan.revision, plan=plan, data={"strengths": "改"}, user=principal
        ),
        lambda: services.goal_save(plan=plan, area=area("安全"), title="新目标"),
        lambda: services.goal_save(plan=plan, goal=goal, area=goal.area, title="改目标"),
        lambda: services.goal_delete(goal=goal),
        lambda: services.target_save(goal=goal, name="新指标", unit="个", values={}),
        lambda: services.target_save(
            goal=goal, target=tgt, name="最大班额", unit="", metric=tgt.metric, level="primary", values={"2025": 40}
        ),
        lambda: services.target_delete(target=tgt),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as error:
            attempt()
        assert "已通过的规划请“修订”生成新版本" in text_of(error)
    with pytest.raises(ValidationError):
        services.plan_submit(plan=plan, user=principal)
    plan.refresh_from_db()
    assert plan.strengths == SECTIONS["strengths"]
    assert plan.goals.count() == 4 and PlanTarget.objects.filter(goal__plan=plan).count() == 4
    assert target(plan, "最大班额").values == {"2025": 45, "2026": 45, "2027": 45}
    assert Notification.objects.filter(user=principal, text__contains="已审核通过").count() == 1


# --- versions ---------------------------------------------------------------------------------


def test_revise_makes_version_2_as_a_copy(school_a1: School, principal: User, bureau_user: User) -> None:
    v1 = approved_plan(school_a1, principal, bureau_user)
    v2 = services.plan_revise(plan=v1, user=principal)
    v1.refresh_from_db()
    assert (v2.version, v2.previous, v2.status, v2.start_year, v2.end_year) == (2, v1, ReviewStatus.DRAFT, 2025, 2027)
    assert v1.status == ReviewStatus.APPROVED
    assert {f: getattr(v2, f) for f in SECTION_FIELDS} == SECTIONS
    assert v2.title == v1.title

    def shape(plan: SchoolPlan) -> list[tuple[Any, ...]]:
        return [
            (
                t.goal.area.name,
                t.goal.title,
                t.goal.measures,
                t.name,
                t.metric,
                t.level,
                t.unit,
                t.direction,
                t.baseline,
                t.values,
            )
            for t in PlanTarget.objects.filter(goal__plan=plan)
            .select_related("goal__area")
            .order_by("goal__order", "order")
        ]

    assert shape(v2) == shape(v1) and len(shape(v2)) == 4
    assert not set(v2.goals.values_list("pk", flat=True)) & set(v1.goals.values_list("pk", flat=True))
    assert services.current_plan(school_a1, START) == v2
    assert actions(v2) == ["revise"]
    # The copy is editable; the approved version is not touched by editing it.
    services.plan_save_sections(
        expected_revision=v2.revision, plan=v2, data={"strengths": "新版本的优势"}, user=principal
    )
    v1.refresh_from_db()
    assert v1.strengths == SECTIONS["strengths"]
    # One revision per version; drafts are edited directly.
    with pytest.raises(ValidationError) as error:
        services.plan_revise(plan=v1, user=principal)
    assert "该版本已有修订稿" in text_of(error)
    with pytest.raises(ValidationError) as error:
        services.plan_revise(plan=v2, user=principal)
    assert "草稿可直接修改" in text_of(error)
    assert SchoolPlan.objects.filter(school=school_a1).count() == 2


def test_plan_diff_lists_exactly_the_changed_parts(school_a1: School, principal: User, bureau_user: User) -> None:
    v1 = approved_plan(school_a1, principal, bureau_user)
    v2 = services.plan_revise(plan=v1, user=principal)
    assert services.plan_diff(v1, v2) == []

    services.plan_save_sections(
        expected_revision=v2.revision, plan=v2, data={"weaknesses": "运动场地生均 3.2 平方米。"}, user=principal
    )
    class_size = target(v2, "最大班额")
    services.target_save(
        goal=class_size.goal,
        target=class_size,
        expected_revision=class_size.revision,
        name="最大班额",
        metric="stat:max_class_size",
        level="primary",
        values={"2025": 45, "2026": 45, "2027": 42},
        baseline=48,
    )
    moral = v2.goals.get(title="深化养成教育特色")
    services.goal_save(
        plan=v2, goal=moral, area=moral.area, title=moral.title, measures="建设家长学校。", expected_revision=1
    )
    services.target_delete(target=target(v2, "高于规定学历教师比例"), expected_revision=1)
    services.goal_save(plan=v2, area=area("安全"), title="创建平安校园")

    v2.refresh_from_db()
    changes = {(c.where, c.before, c.after) for c in services.plan_diff(v1, v2)}
    assert changes == {
        ("不足与问题", SECTIONS["weaknesses"], "运动场地生均 3.2 平方米。"),
        ("指标“最大班额”的目标值", "2025: 45;2026: 45;2027: 45", "2025: 45;2026: 45;2027: 42"),
        ("目标“深化养成教育特色”的措施", "", "建设家长学校。"),
        ("指标", "高于规定学历教师比例", "(删除)"),
        ("目标", "(新增)", "创建平安校园"),
    }


def test_plan_diff_reports_changed_target_definitions_and_goal_areas(
    school_a1: School, principal: User, bureau_user: User
) -> None:
    v1 = approved_plan(school_a1, principal, bureau_user)
    v2 = services.plan_revise(plan=v1, user=principal)
    class_size = target(v2, "最大班额")
    services.target_save(
        goal=class_size.goal,
        target=class_size,
        expected_revision=class_size.revision,
        name="最大班额",
        metric="stat:max_class_size",
        level="junior",  # was primary
        values=class_size.values,
        baseline=class_size.baseline,
    )
    moral = v2.goals.get(title="深化养成教育特色")
    services.goal_save(
        plan=v2, goal=moral, area=area("安全"), title=moral.title, measures=moral.measures, expected_revision=1
    )

    changes = {c.where: (c.before, c.after) for c in services.plan_diff(v1, v2)}
    before, after = changes["指标“最大班额”的定义"]
    assert "primary" in before and "junior" in after
    assert changes["目标“深化养成教育特色”的领域"][1] == "安全"
    assert len(changes) == 2


# --- annual progress --------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["draft", "submitted", "returned"])
def test_progress_opens_only_for_approved_plans(school_a1: School, bureau_user: User, stage: str) -> None:
    plan = complete_plan(school_a1)
    if stage != "draft":
        plan = services.plan_submit(plan=plan, user=None)
    if stage == "returned":
        plan = services.plan_return(plan=plan, user=bureau_user, comments=[("", "请修改")])
    with pytest.raises(ValidationError) as error:
        services.progress_open(plan=plan, year=START, user=None)
    assert "规划审核通过后才能填报年度自评" in text_of(error)
    assert not AnnualProgress.objects.exists()


@pytest.mark.parametrize("year", [2024, 2028])
def test_progress_opens_only_for_plan_years(school_a1: School, year: int) -> None:
    plan = approved_plan(school_a1)
    with pytest.raises(ValidationError) as error:
        services.progress_open(plan=plan, year=year, user=None)
    assert f"{year} 年不在规划期内" in text_of(error)
    assert not AnnualProgress.objects.exists()


def test_progress_open_makes_one_item_per_target_once(school_a1: School, principal: User) -> None:
    plan = approved_plan(school_a1, principal)
    progress = services.progress_open(plan=plan, year=2026, user=principal)
    assert (progress.year, progress.status) == (2026, ReviewStatus.DRAFT)
    targets = set(PlanTarget.objects.filter(goal__plan=plan).values_list("pk", flat=True))
    assert set(progress.items.values_list("target_id", flat=True)) == targets and len(targets) == 4
    again = services.progress_open(plan=plan, year=2026, user=principal)
    assert again.pk == progress.pk
    assert ProgressItem.objects.count() == 4
    assert actions(plan).count("progress_open") == 1


def test_autofill_takes_linked_values_from_approved_statistics_and_stored_results(
    district_a: District, school_a1: School, principal: User
) -> None:
    # 600 pupils, largest class 44, 30 of 40 teachers above the required degree, 3000.5 m².
    approved_statistics(school_a1)
    balance_recompute(districts=[district_a], year=START)
    plan = approved_plan(school_a1, principal)
    progress = services.progress_open(plan=plan, year=START, user=principal)

    class_size = item(progress, "最大班额")
    assert (class_size.actual, class_size.auto_filled) == (Decimal("44"), True)
    assert class_size.source == "2025 学年已审核统计数据"
    assert class_size.status == "achieved"  # 44 ≤ 45, lower is better

    qualified = item(progress, "高于规定学历教师比例")
    assert (qualified.actual, qualified.auto_filled) == (Decimal("75"), True)
    assert qualified.status == "partial"  # below the 80 % target, above the 70 % baseline

    area_item = item(progress, "生均教学及辅助用房面积")
    assert (area_item.actual, area_item.auto_filled) == (Decimal("5.0008"), True)  # 3000.5 / 600
    assert area_item.source == "2025 学年均衡计算结果(quality-2017 v1)"
    assert area_item.status == "achieved"

    custom = item(progress, "校本德育课程数")
    assert (custom.actual, custom.auto_filled, custom.source, custom.status) == (None, False, "", "")


def test_autofill_leaves_values_empty_with_a_reason_until_statistics_are_approved(
    district_a: District, school_a1: School, principal: User
) -> None:
    plan = approved_plan(school_a1, principal)
    progress = services.progress_open(plan=plan, year=START, user=principal)
    for name in ("最大班额", "高于规定学历教师比例", "生均教学及辅助用房面积"):
        entry = item(progress, name)
        assert (entry.actual, entry.auto_filled, entry.source) == (None, False, "2025 学年尚无统计数据")

    stats = school_services.statistics_submit(stats=save_statistics(school_a1, START), user=None)
    assert services.progress_autofill(progress) == 0
    for name in ("最大班额", "高于规定学历教师比例", "生均教学及辅助用房面积"):
        entry = item(progress, name)
        assert (entry.actual, entry.auto_filled, entry.source) == (None, False, "2025 学年统计数据尚未审核")

    # Approved, but the balance result is not computed yet: statistics fill in, the indicator waits.
    school_services.statistics_approve(stats=stats, user=None)
    assert services.progress_autofill(progress) == 2
    assert item(progress, "最大班额").actual == Decimal("44")
    waiting = item(progress, "生均教学及辅助用房面积")
    assert (waiting.actual, waiting.source) == (None, "2025 学年尚无该指标的计算结果")

    balance_recompute(districts=[district_a], year=START)
    assert services.progress_autofill(progress) == 3
    assert item(progress, "生均教学及辅助用房面积").actual == Decimal("5.0008")


def test_progress_save_stores_entries_of_custom_targets(school_a1: School, principal: User) -> None:
    plan = approved_plan(school_a1, principal)
    progress = services.progress_open(plan=plan, year=START, user=principal)
    custom = item(progress, "校本德育课程数")
    services.progress_save(
        expected_revision=progress.revision,
        progress=progress,
        items={custom.pk: {"actual": " 3 ", "status": "", "narrative": "开设三门校本课程。"}},
        summary="  总体按计划推进。 ",
        user=principal,
    )
    custom.refresh_from_db()
    progress.refresh_from_db()
    assert (custom.actual, custom.status, custom.narrative) == (Decimal("3"), "achieved", "开设三门校本课程。")
    assert (progress.summary, progress.revision) == ("总体按计划推进。", 2)


def test_progress_save_with_a_non_numeric_actual_saves_nothing(school_a1: School, principal: User) -> None:
    plan = approved_plan(school_a1, principal)
    progress = services.progress_open(plan=plan, year=START, user=principal)
    custom = item(progress, "校本德育课程数")
    linked = item(progress, "最大班额")
    services.progress_save(
        expected_revision=progress.revision,
        progress=progress,
        items={custom.pk: {"actual": "3", "narrative": "开设三门。"}, linked.pk: {"narrative": "控制良好。"}},
        summary="第一次保存",
        user=principal,
    )
    with pytest.raises(ValidationError) as error:
        services.progress_save(
            expected_revision=progress.revision + 1,  # the editor reloaded after the first save
            progress=progress,
            items={
                custom.pk: {"actual": "四门", "narrative": "改写的说明"},
                linked.pk: {"narrative": "也改写了", "status": "missed"},
            },
            summary="第二次保存",
            user=principal,
        )
    assert "“校本德育课程数”实际值应为数字,收到“四门”" in text_of(error)
    custom.refresh_from_db()
    linked.refresh_from_db()
    progress.refresh_from_db()
    assert (custom.actual, custom.narrative) == (Decimal("3"), "开设三门。")
    assert (linked.narrative, linked.status) == ("控制良好。", "")
    assert (progress.summary, progress.revision) == ("第一次保存", 2)


def test_progress_save_refuses_an_unknown_status(school_a1: School, principal: User) -> None:
    plan = approved_plan(school_a1, principal)
    progress = services.progress_open(plan=plan, year=START, user=principal)
    custom = item(progress, "校本德育课程数")
    with pytest.raises(ValidationError) as error:
        services.progress_save(
            expected_revision=progress.revision,
            progress=progress,
            items={custom.pk: {"actual": "3", "status": "done"}},
            summary="",
            user=None,
        )
    assert "“校本德育课程数”的达成情况无效" in text_of(error)
    custom.refresh_from_db()
    assert custom.actual is None


def test_progress_save_does_not_overwrite_a_linked_value(
    district_a: District, school_a1: School, principal: User
) -> None:
    approved_statistics(school_a1)
    plan = approved_plan(school_a1, principal)
    progress = services.progress_open(plan=plan, year=START, user=principal)
    linked = item(progress, "最大班额")
    services.progress_save(
        expected_revision=progress.revision,
        progress=progress,
        items={linked.pk: {"actual": "30"}},
        summary="",
        user=principal,
    )
    linked.refresh_from_db()
    assert (linked.actual, linked.auto_filled) == (Decimal("44"), True)


def test_progress_submit_lists_missing_parts_then_locks(school_a1: School, principal: User, bureau_user: User) -> None:
    plan = approved_plan(school_a1, principal)
    progress = services.progress_open(plan=plan, year=START, user=principal)
    with pytest.raises(ValidationError) as error:
        services.progress_submit(progress=progress, user=principal)
    assert error.value.messages[0] == "请填写总体自评"
    assert "请填写“校本德育课程数”的实际值或说明" in error.value.messages
    assert len(error.value.messages) == 5  # the summary and each of the four targets

    entries = {i.pk: {"narrative": "统计数据待审核。"} for i in progress.items.all()}
    entries[item(progress, "校本德育课程数").pk] = {"actual": "3"}
    services.progress_save(
        expected_revision=progress.revision,
        progress=progress,
        items=entries,
        summary="总体按计划推进。",
        user=principal,
    )
    services.progress_submit(progress=progress, user=principal)
    progress.refresh_from_db()
    assert progress.status == ReviewStatus.SUBMITTED and progress.submitted_at is not None
    assert Notification.objects.filter(user=bureau_user, text__contains="2025 学年自评").count() == 1
    with pytest.raises(ValidationError) as error:
        services.progress_save(
            expected_revision=progress.revision, progress=progress, items={}, summary="改", user=principal
        )
    assert "年度自评已提交或已通过,不能修改" in text_of(error)
    with pytest.raises(ValidationError) as error:
        services.progress_review(progress=progress, user=bureau_user, approve=False, comment=" ")
    assert "退回时请填写意见" in text_of(error)
    services.progress_review(progress=progress, user=bureau_user, approve=True)
    progress.refresh_from_db()
    assert progress.status == ReviewStatus.APPROVED


# --- evidence ---------------------------------------------------------------------------------


@pytest.fixture
def open_progress(school_a1: School, principal: User) -> AnnualProgress:
    return services.progress_open(plan=approved_plan(school_a1, principal), year=START, user=principal)


@pytest.mark.parametrize("kind", sorted(ACCEPTED))
def test_evidence_add_accepts_real_files_and_stores_them_by_checksum(
    open_progress: AnnualProgress, principal: User, media: Path, kind: str
) -> None:
    data = ACCEPTED[kind]()
    evidence = services.evidence_add(progress=open_progress, upload=upload(f"佐证材料.{kind}", data), user=principal)
    digest = hashlib.sha256(data).hexdigest()
    evidence.refresh_from_db()
    assert (evidence.kind, evidence.size, evidence.sha256) == (kind, len(data), digest)
    assert (evidence.original_name, evidence.uploaded_by, evidence.progress) == (
        f"佐证材料.{kind}",
        principal,
        open_progress,
    )
    stored = media / "evidence" / digest
    assert stored.read_bytes() == data
    assert [p.name for p in (media / "evidence").iterdir()] == [digest]


@pytest.mark.parametrize(
    ("name", "build", "message"),
    [
        ("自评报告.pdf", exe_bytes, "不是允许的类型(PDF、图片、Word、Excel);系统按文件内容判断,而不是扩展名"),
        ("校园照片.png", text_bytes, "不是允许的类型"),
        ("工作总结.docx", plain_zip_bytes, "不是允许的类型"),
        ("空文件.pdf", bytes, "是空文件"),
    ],
    ids=["exe-as-pdf", "text-as-png", "zip-as-docx", "empty"],
)
def test_evidence_add_refuses_files_by_their_content(
    open_progress: AnnualProgress, principal: User, media: Path, name: str, build, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        services.evidence_add(progress=open_progress, upload=upload(name, build()), user=principal)
    assert f"文件“{name}”" in text_of(error) and message in text_of(error)
    assert not Evidence.objects.exists()
    assert not (media / "evidence").exists() or not any((media / "evidence").iterdir())


def test_evidence_add_refuses_a_file_over_the_limit(
    open_progress: AnnualProgress, principal: User, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_EVIDENCE_BYTES", 1024 * 1024)  # 1 MB instead of 20 MB
    base = pdf_bytes()
    exact = base + b"%" * (files.MAX_EVIDENCE_BYTES - len(base))
    too_big = exact + b"%"
    with pytest.raises(ValidationError) as error:
        services.evidence_add(progress=open_progress, upload=upload("扫描件.pdf", too_big), user=principal)
    assert "文件“扫描件.pdf”超过 1 MB 上限" in text_of(error)
    # A size the upload does not report is found by reading (one byte past the limit at most).
    unsized = upload("扫描件.pdf", too_big)
    unsized.size = None
    with pytest.raises(ValidationError) as error:
        services.evidence_add(progress=open_progress, upload=unsized, user=principal)
    assert "文件“扫描件.pdf”超过上限" in text_of(error)
    assert not Evidence.objects.exists()
    # Exactly at the limit is fine.
    evidence = services.evidence_add(progress=open_progress, upload=upload("扫描件.pdf", exact), user=principal)
    assert evidence.size == files.MAX_EVIDENCE_BYTES


def test_the_real_limit_is_20_mb() -> None:
    assert files.MAX_EVIDENCE_BYTES == 20 * 1024 * 1024


def test_evidence_add_refuses_a_submitted_report(open_progress: AnnualProgress, principal: User, media: Path) -> None:
    entries = {i.pk: {"actual": "3", "narrative": "说明"} for i in open_progress.items.all()}
    services.progress_save(
        expected_revision=open_progress.revision,
        progress=open_progress,
        items=entries,
        summary="总体按计划推进。",
        user=principal,
    )
    services.progress_submit(progress=open_progress, user=principal)
    with pytest.raises(ValidationError) as error:
        services.evidence_add(progress=open_progress, upload=upload("补交.docx", docx_bytes()), user=principal)
    assert "年度自评已提交或已通过,不能再上传佐证材料" in text_of(error)
    assert not Evidence.objects.exists()


# --- deadlines and reminders ------------------------------------------------------------------


@pytest.fixture
def district_plans(
    district_a: District,
    school_a1: School,
    school_a2: School,
    school_b1: School,
    principal: User,
    other_principal: User,
) -> dict[str, SchoolPlan]:
    """Approved plans at a1 (no report), a2 (report submitted) and b1 (another district); a3 has
    only a draft plan."""
    late = approved_plan(school_a1, principal)
    done = approved_plan(school_a2, other_principal)
    progress = services.progress_open(plan=done, year=START, user=other_principal)
    entries = {i.pk: {"narrative": "按计划推进。"} for i in progress.items.all()}
    services.progress_save(
        expected_revision=progress.revision,
        progress=progress,
        items=entries,
        summary="总体按计划推进。",
        user=other_principal,
    )
    services.progress_submit(progress=progress, user=other_principal)
    elsewhere = approved_plan(school_b1)
    draft = complete_plan(make_school(district_a, "1101010003", "甲县第三小学", "primary"))
    return {"late": late, "done": done, "elsewhere": elsewhere, "draft": draft}


def test_late_progress_lists_schools_only_after_the_due_date(
    district_a: District, district_b: District, district_plans: dict[str, SchoolPlan]
) -> None:
    assert services.late_progress(district_a, START, today=date(2026, 7, 1)) == []  # no deadline yet
    services.deadline_set(district=district_a, year=START, due=date(2026, 6, 30))
    assert services.late_progress(district_a, START, today=date(2026, 6, 1)) == []
    assert services.late_progress(district_a, START, today=date(2026, 6, 30)) == []  # due today: not late
    assert services.late_progress(district_a, START, today=date(2026, 7, 1)) == [district_plans["late"]]
    assert services.late_progress(district_b, START, today=date(2026, 7, 1)) == []  # B has no deadline

    # A report opened but still a draft is late too; a year without a deadline has nobody late.
    services.progress_open(plan=district_plans["late"], year=START, user=None)
    assert services.late_progress(district_a, START, today=date(2026, 7, 1)) == [district_plans["late"]]
    assert services.late_progress(district_a, 2026, today=date(2027, 7, 1)) == []


def test_send_reminders_notifies_the_principals_of_late_schools(
    district_a: District,
    district_plans: dict[str, SchoolPlan],
    principal: User,
    other_principal: User,
    bureau_user: User,
) -> None:
    services.deadline_set(district=district_a, year=START, due=timezone.localdate() + timedelta(days=1))
    assert services.send_reminders(district=district_a, year=START, user=bureau_user) == 0
    assert not Notification.objects.filter(text__contains="已过截止日期").exists()

    services.deadline_set(district=district_a, year=START, due=timezone.localdate() - timedelta(days=1))
    assert services.send_reminders(district=district_a, year=START, user=bureau_user) == 1
    reminders = Notification.objects.filter(text__contains="已过截止日期")
    assert [(n.user, n.text, n.link) for n in reminders] == [
        (principal, "请尽快提交 2025 学年规划自评(已过截止日期)", f"/plans/{district_plans['late'].pk}/")
    ]
    assert not Notification.objects.filter(user=other_principal, text__contains="截止日期").exists()


# --- county plan ------------------------------------------------------------------------------


@pytest.fixture
def county(district_a: District) -> Any:
    return services.county_plan_save(
        district=district_a,
        start_year=START,
        title="甲测试县义务教育优质均衡发展推进计划",
        inspection_date=date(2028, 5, 20),
    )


@pytest.mark.parametrize("year", [2024, 2028])
def test_county_target_outside_the_plan_is_refused(county: Any, year: int) -> None:
    with pytest.raises(ValidationError) as error:
        services.county_target_set(
            expected_revision=county.revision, plan=county, kind="compliance_share", year=year, value=80
        )
    assert f"目标年份 {year} 不在计划期内" in text_of(error)
    assert not CountyTarget.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "compliance_share", "value": "八成"}, "目标值应为数字"),
        ({"kind": "compliance_share", "value": ""}, "请填写目标值"),
        ({"kind": "happiness", "value": "80"}, "未知的目标类型"),
        ({"kind": "cv", "value": "0.4", "indicator": "", "level": "primary"}, "差异系数目标请填写系统指标并选择学段"),
        ({"kind": "cv", "value": "0.4", "indicator": "sports_area_per_student", "level": ""}, "差异系数目标"),
        ({"kind": "cv", "value": "0.4", "indicator": "no_such_indicator", "level": "primary"}, "差异系数目标"),
    ],
    ids=["non-numeric", "empty", "unknown-kind", "cv-without-indicator", "cv-without-level", "cv-unknown-indicator"],
)
def test_county_target_bad_input_is_refused(county: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        services.county_target_set(expected_revision=county.revision, plan=county, year=START, **kwargs)
    assert message in text_of(error)
    assert not CountyTarget.objects.exists()


def test_county_target_set_replaces_the_year_value(county: Any) -> None:
    services.county_target_set(
        expected_revision=county.revision, plan=county, kind="compliance_share", year=START, value="60"
    )
    services.county_target_set(
        expected_revision=county.revision, plan=county, kind="compliance_share", year=START, value="70"
    )
    (saved,) = CountyTarget.objects.all()
    assert saved.value == Decimal("70")


def test_county_figure_of_an_unknown_kind_is_refused(district_a: District) -> None:
    with pytest.raises(ValidationError):
        services.county_figure_set(district=district_a, year=START, kind="compliance_share", value="80")
    with pytest.raises(ValidationError) as error:
        services.county_figure_set(district=district_a, year=START, kind="dropout_rate", value="零点五")
    assert "数值应为数字" in text_of(error)


def test_county_plan_board_compares_targets_with_stored_results_and_figures(
    district_a: District, school_a1: School, school_a2: School, county: Any
) -> None:
    # Primary a1 meets every standard; primary a3 has far too little space; junior a2 meets them.
    # Sports area per pupil: a1 5000/600 = 8.33, a3 1000/600 = 1.67 → CV (equal weights) = 2/3.
    a3 = make_school(district_a, "1101010003", "甲县第三小学", "primary")
    approved_statistics(school_a1)
    approved_statistics(a3, teaching_area="1200", sports_area="1000")
    stats = save_statistics(school_a2, START, school_type="junior")
    school_services.statistics_approve(stats=school_services.statistics_submit(stats=stats, user=None), user=None)
    balance_recompute(districts=[district_a], year=START)

    set_target = services.county_target_set
    set_target(plan=county, expected_revision=county.revision, kind="compliance_share", year=2025, value=60)
    set_target(plan=county, expected_revision=county.revision, kind="compliance_share", year=2026, value=80)
    set_target(
        plan=county, expected_revision=county.revision, kind="compliance_share", year=2025, value=60, level="primary"
    )
    set_target(
        plan=county,
        expected_revision=county.revision,
        kind="cv",
        year=2025,
        value="0.7",
        indicator="sports_area_per_student",
        level="primary",
    )
    set_target(
        plan=county,
        expected_revision=county.revision,
        kind="cv",
        year=2025,
        value="0.4",
        indicator="teaching_area_per_student",
        level="primary",
    )
    set_target(plan=county, expected_revision=county.revision, kind="dropout_rate", year=2025, value="0.6")
    set_target(plan=county, expected_revision=county.revision, kind="dropout_rate", year=2026, value="0.6")
    set_target(plan=county, expected_revision=county.revision, kind="retention_rate", year=2025, value="97")
    services.county_figure_set(district=district_a, year=2025, kind="dropout_rate", value="0.5")
    services.county_figure_set(district=district_a, year=2026, kind="dropout_rate", value="0.8")
    services.county_figure_set(district=district_a, year=2025, kind="retention_rate", value="98")

    board = county_plan_board(county)
    rows = {(r["kind"], r["indicator"], r["level"]): r for r in board}
    assert list(rows) == [
        ("compliance_share", "", ""),
        ("compliance_share", "", "primary"),
        ("cv", "sports_area_per_student", "primary"),
        ("cv", "teaching_area_per_student", "primary"),
        ("dropout_rate", "", ""),
        ("retention_rate", "", ""),
    ]
    assert [r["label"] for r in board] == [
        "达标学校比例",
        "达标学校比例",
        "校际差异系数",
        "校际差异系数",
        "辍学率",
        "巩固率",
    ]

    def cells(key: tuple[str, str, str]) -> list[tuple[Any, Any, Any]]:
        return [
            (c["target"], None if c["actual"] is None else round(c["actual"], 4), c["met"]) for c in rows[key]["cells"]
        ]

    assert [c["year"] for c in board[0]["cells"]] == YEARS
    # Share of units meeting the standard: 2 of 3 in the county, 1 of 2 primary; no results for 2026.
    assert cells(("compliance_share", "", "")) == [(60, 66.6667, True), (80, None, None), (None, None, None)]
    assert cells(("compliance_share", "", "primary")) == [(60, 50.0, False), (None, None, None), (None, None, None)]
    # CV and dropout: lower is better.
    assert cells(("cv", "sports_area_per_student", "primary")) == [
        (0.7, 0.6667, True),
        (None, None, None),
        (None, None, None),
    ]
    teaching_cv = cells(("cv", "teaching_area_per_student", "primary"))[0]
    assert teaching_cv[1] > 0.4 and teaching_cv[2] is False
    assert cells(("dropout_rate", "", "")) == [(0.6, 0.5, True), (0.6, 0.8, False), (None, None, None)]
    # Retention: higher is better.
    assert cells(("retention_rate", "", "")) == [(97, 98.0, True), (None, None, None), (None, None, None)]


def test_several_plans_target_rows_in_three_queries_as_each_alone(
    school_a1: School, school_a2: School, principal: User, django_assert_num_queries: Any
) -> None:
    """A county report lists every school's plan: their targets and actuals are read in three
    queries whatever the number of plans, and are what each plan alone would give."""
    from plans.selectors import plan_target_rows, plans_target_rows

    first, second = approved_plan(school_a1, principal), approved_plan(school_a2)
    progress = services.progress_open(plan=first, year=START, user=principal)
    custom = item(progress, "校本德育课程数")
    services.progress_save(
        expected_revision=progress.revision,
        progress=progress,
        items={custom.pk: {"actual": "3", "status": "", "narrative": ""}},
        summary="",
        user=principal,
    )
    with django_assert_num_queries(3):  # progress reports, their items, the targets
        together = plans_target_rows([first, second])

    def view(rows: list[Any]) -> list[tuple[str, list[dict[str, Any]]]]:
        return [(row.target.name, row.cells) for row in rows]

    for plan in (first, second):
        assert view(together[plan.pk]) == view(plan_target_rows(plan))
    cells = next(row.cells for row in together[first.pk] if row.target.name == "校本德育课程数")
    assert cells[0]["actual"] == 3.0 and cells[0]["met"] is True
    assert [row.target.name for row in together[second.pk]] == [row.target.name for row in together[first.pk]]
