"""History pages read as sentences (issue #14, item 4): action names, field labels from the data
dictionary, readable values, the person's name and role, in Chinese and English; the API keeps its
machine keys and adds the labels."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.models import User
from plans import services as plan_services
from plans.models import PlanTarget, SchoolPlan
from schools import services
from schools.models import School
from tests.factories import YEAR, primary_values, save_statistics
from tests.integration.plans.test_services import SECTIONS, START, approved_plan, approved_statistics

pytestmark = pytest.mark.django_db

MACHINE_WORDS = ("target_save", "goal_save", "progress_approve", "progress_save", "direction:", "None", "{}", "{'")
CJK = re.compile(r"[\u4e00-\u9fff]")


def text(response: Any) -> str:
    body = response.content.decode()
    text = html.unescape(re.sub(r"<[^>]+>", " ", body[body.index('id="audit-table"') :]))
    return text.replace("：", ":")  # the label-and-value separator, full width in Chinese


@pytest.fixture
def history(school_a1: School, principal: User, bureau_user: User) -> SchoolPlan:
    """Statistics saved, changed with a reason and approved; a plan with goals and targets, changed
    after approval by a revision; a progress report saved, submitted and approved."""
    principal.display_name, bureau_user.display_name = "李校长", "王科长"
    principal.save()
    bureau_user.save()
    save_statistics(school_a1, user=principal)
    services.statistics_save(
        school=school_a1,
        year=YEAR,
        raw=primary_values(books=30000),
        user=principal,
        reasons={"books": "新建图书室"},
        expected_revision=1,
    )
    approved_statistics(school_a1)
    plan = approved_plan(school_a1, principal, bureau_user)
    progress = plan_services.progress_open(plan=plan, year=START, user=principal)
    custom = progress.items.get(target__name="校本德育课程数")
    items = {i.pk: {"actual": None, "status": "", "narrative": "按计划推进。"} for i in progress.items.all()}
    items[custom.pk] = {"actual": "3", "status": "", "narrative": "开设三门课程。"}
    plan_services.progress_save(
        progress=progress, items=items, summary="总体按期推进。", user=principal, expected_revision=progress.revision
    )
    plan_services.progress_submit(progress=progress, user=principal)
    plan_services.progress_review(progress=progress, user=bureau_user, approve=True)
    return plan


@pytest.mark.parametrize("url_name", ["district", "school"])
def test_the_history_reads_as_sentences(
    history: SchoolPlan, school_a1: School, bureau_client: Client, url_name: str
) -> None:
    url = (
        reverse("audit:district_history", args=[school_a1.district.code])
        if url_name == "district"
        else reverse("audit:school_history", args=[school_a1.code])
    )
    page = text(bureau_client.get(url))
    for word in MACHINE_WORDS:
        assert word not in page, word
    assert "→" in page  # a change shows its old and new values
    for words in (
        "添加指标",  # a new target
        "年度自评审核通过",
        "审核通过",
        "图书:新建图书室",  # a statistics reason, by the field's label
        "方向 :越低越好",
        "各年目标值 :2025 年:45、2026 年:45、2027 年:45",
        "基线值 :48",
        "校本德育课程数 · 实际值 :3",
        "李校长",
        "王科长",
        "校长",
        "教育局工作人员",
    ):
        assert words.replace(" :", ":") in page.replace(" :", ":"), words


def test_the_history_in_english_has_no_chinese_but_names_and_typed_text(
    history: SchoolPlan, school_a1: School, bureau_client: Client
) -> None:
    bureau_client.cookies["django_language"] = "en"
    page = text(bureau_client.get(reverse("audit:district_history", args=[school_a1.district.code])))
    for words in ("Indicator added", "Annual self-assessment approved", "Approved", "Direction", "Lower is better"):
        assert words in page, words
    # What is left in Chinese is what people typed or named: school, plan, goal and target names,
    # display names, notes and reasons.
    typed = {
        school_a1.versions.get().name,
        "李校长",
        "王科长",
        "新建图书室",
        "总体按期推进。",
        "开设三门课程。",
        "按计划推进。",
        *PlanTarget.objects.values_list("name", flat=True),
        *PlanTarget.objects.values_list("unit", flat=True),  # 门: typed by the school
        *history.goals.values_list("area__name", flat=True),  # the bureau's list of areas
        *history.goals.values_list("title", flat=True),
        *history.goals.values_list("measures", flat=True),
        *SchoolPlan.objects.values_list("title", flat=True),
        *SECTIONS.values(),
    }
    rest = page
    for words in sorted(typed, key=len, reverse=True):
        rest = rest.replace(words, "")
    assert CJK.findall(rest) == [], re.sub(r"\s+", " ", rest)


def test_the_api_keeps_machine_keys_and_adds_labels(history: SchoolPlan, bureau_user: User) -> None:
    client = Client()
    client.force_login(bureau_user)
    rows = client.get(reverse("api:audit-list"), {"object_type": "plan"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    target = next(r for r in rows["results"] if r["action"] == "target_save" and r["reason"] == "最大班额")
    assert target["changes"]["direction"] == [None, "lower"]  # the stored keys and values
    assert target["action_label"] == "添加指标" and target["object_type_label"] == "三年发展规划"
    labelled = {c["field"]: c for c in target["changes_labelled"]}
    assert labelled["direction"] == {"field": "direction", "label": "方向", "old": "", "new": "越低越好"}
    assert labelled["values"]["new"] == "2025 年:45、2026 年:45、2027 年:45"
    approve = next(r for r in rows["results"] if r["action"] == "approve")
    assert (approve["user_display"], approve["user_role"]) == ("王科长", "教育局工作人员")
    with translation.override("en"):
        english = client.get(reverse("api:audit-list"), {"object_type": "plan"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert {r["action_label"] for r in english["results"]} >= {"Indicator added", "Approved"}
