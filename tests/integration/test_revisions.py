"""No silent overwrite (issue #12, point 5): a save that replaces a record two people can edit
names the revision it started from. Without one it is refused (428, the message on the form or in
the API body, in Chinese and English) and nothing is saved; with an older one it is refused as
stale (409) with what changed. The pages' forms send their revision, so normal use works.

One check per kind of record: school-year statistics (API and form), a plan's sections, a goal, a
target, an annual progress report, the county plan and its targets, a checklist entry.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessment import selectors as assessment_selectors
from assessment import services as assessment_services
from assessment.models import ItemEntry
from core import revisions
from core.models import User
from indicators.models import RuleProfile
from plans import services as plan_services
from plans.models import SECTION_FIELDS, AnnualProgress, CountyPlan, PlanArea, PlanGoal, PlanTarget, SchoolPlan
from schools.models import AnnualStatistics, District, School
from tests.factories import YEAR, primary_values, save_statistics

pytestmark = pytest.mark.django_db

REQUIRED = "保存时必须注明所依据的版本号"
REQUIRED_EN = "A save must name the revision it started from"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def refused(response: Any) -> bool:
    return response.status_code == 428 and REQUIRED in text(response)


# --- statistics ---------------------------------------------------------------------------------


def api_body(school: School, **values: Any) -> dict[str, Any]:
    return {"school_code": school.code, "year": YEAR, **primary_values(), **values}


def test_an_api_save_without_revision_is_refused_and_saves_nothing(school_a1: School, bureau_client: Client) -> None:
    stats = save_statistics(school_a1)
    url = reverse("api:statistics-list")
    missing = bureau_client.post(url, api_body(school_a1, books=25000), content_type="application/json")
    assert missing.status_code == 428 and REQUIRED in missing.json()["detail"]
    english = bureau_client.post(
        url, api_body(school_a1, books=25000), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 428 and REQUIRED_EN in english.json()["detail"]
    assert AnnualStatistics.objects.get(pk=stats.pk).books == 20000  # nothing saved
    stale = bureau_client.post(url, api_body(school_a1, books=25000, revision=0), content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current_revision"] == 1
    saved = bureau_client.post(url, api_body(school_a1, books=25000, revision=1), content_type="application/json")
    assert saved.status_code == 200 and saved.json()["revision"] == 2
    created = bureau_client.post(
        url, {**api_body(school_a1), "year": YEAR + 1}, content_type="application/json"
    )  # a new record needs no revision
    assert created.status_code == 201


def test_the_statistics_form_without_its_revision_is_refused_on_the_form(
    school_a1: School, bureau_client: Client
) -> None:
    save_statistics(school_a1)
    url = reverse("schools:statistics_edit", args=[school_a1.code, YEAR])
    page = bureau_client.get(url)
    assert re.search(r'name="revision" value="1"', page.content.decode())  # the form carries it
    form = {k: str(v) for k, v in primary_values(books=21000).items()}
    response = bureau_client.post(url, form)
    assert refused(response)
    assert 'value="21000"' in response.content.decode()  # what was typed is kept
    assert AnnualStatistics.objects.get(school=school_a1, year=YEAR).books == 20000
    assert bureau_client.post(url, {**form, "revision": "1"}).status_code == 302
    assert AnnualStatistics.objects.get(school=school_a1, year=YEAR).books == 21000


# --- plans --------------------------------------------------------------------------------------


@pytest.fixture
def plan(school_a1: School, principal: User) -> SchoolPlan:
    draft = plan_services.plan_create(school=school_a1, start_year=YEAR, title="三年发展规划", user=principal)
    goal = plan_services.goal_save(plan=draft, area=PlanArea.objects.order_by("order", "id")[0], title="提升师资")
    plan_services.target_save(goal=goal, name="骨干教师数", values={str(y): 10 for y in draft.years}, unit="人")
    return draft


def test_plan_sections_goals_and_targets_without_revision_are_refused(
    plan: SchoolPlan, principal_client: Client
) -> None:
    url = reverse("plans:plan_edit", args=[plan.pk])
    page = text(principal_client.get(url))
    goal, target = PlanGoal.objects.get(plan=plan), PlanTarget.objects.get(goal__plan=plan)
    assert f'name="goal" value="{goal.pk}"><input type="hidden" name="revision" value="1">' in page
    sections = {"action": "sections", "title": plan.title, **dict.fromkeys(SECTION_FIELDS, "新内容")}
    assert refused(principal_client.post(url, sections))
    goal_edit = {"action": "goal_edit", "goal": goal.pk, "area": goal.area_id, "title": "改写", "measures": ""}
    assert refused(principal_client.post(url, goal_edit))
    assert refused(principal_client.post(url, {"action": "target_delete", "target": target.pk}))
    assert refused(principal_client.post(url, {"action": "goal_delete", "goal": goal.pk}))
    plan.refresh_from_db()
    assert (plan.strengths, PlanGoal.objects.get().title, PlanTarget.objects.count()) == ("", "提升师资", 1)
    # With the revisions the page carries, each goes through.
    assert principal_client.post(url, {**sections, "revision": "1"}).status_code == 302
    assert principal_client.post(url, {**goal_edit, "revision": "1"}).status_code == 302
    assert (
        principal_client.post(url, {"action": "target_delete", "target": target.pk, "revision": "1"}).status_code == 302
    )
    assert PlanGoal.objects.get().title == "改写" and not PlanTarget.objects.exists()
    # A goal edited by someone else meanwhile: stale, with what differs.
    stale = principal_client.post(url, {**goal_edit, "title": "我的改写", "revision": "1"})
    assert stale.status_code == 409 and "已被他人修改" in text(stale)
    assert PlanGoal.objects.get().title == "改写"


def test_a_progress_report_without_revision_is_refused(
    plan: SchoolPlan, principal: User, bureau_user: User, principal_client: Client
) -> None:
    plan_services.plan_save_sections(
        plan=plan, data=dict.fromkeys(SECTION_FIELDS, "规划内容"), user=principal, expected_revision=1
    )
    plan = plan_services.plan_approve(plan=plan_services.plan_submit(plan=plan, user=principal), user=bureau_user)
    url = reverse("plans:progress", args=[plan.pk, YEAR])
    page = text(principal_client.get(url))
    progress = AnnualProgress.objects.get(plan=plan, year=YEAR)
    assert f'name="revision" value="{progress.revision}"' in page
    assert refused(principal_client.post(url, {"action": "save", "summary": "他人的旧副本"}))
    assert AnnualProgress.objects.get(pk=progress.pk).summary == ""
    saved = principal_client.post(url, {"action": "save", "summary": "本年自评", "revision": str(progress.revision)})
    assert saved.status_code == 302 and AnnualProgress.objects.get(pk=progress.pk).summary == "本年自评"


def test_the_county_plan_and_its_targets_without_revision_are_refused(
    district_a: District, bureau_client: Client
) -> None:
    url = reverse("plans:county_plan", args=[district_a.code])
    plan = {"action": "plan", "start_year": YEAR, "title": "推进计划", "inspection_date": "", "notes": ""}
    assert bureau_client.post(url, plan).status_code == 302  # a new plan needs none
    county = CountyPlan.objects.get(district=district_a)
    assert f'name="revision" value="{county.revision}"' in text(bureau_client.get(url))
    again = bureau_client.post(url, {**plan, "title": "旧副本的标题"}, follow=True)
    assert REQUIRED in text(again)
    target = {"action": "target", "kind": "compliance_share", "year": YEAR, "value": "80"}
    assert REQUIRED in text(bureau_client.post(url, target, follow=True))
    county.refresh_from_db()
    assert (county.title, county.targets.count(), county.revision) == ("推进计划", 0, 1)
    bureau_client.post(url, {**plan, "title": "修订的计划", "revision": "1"})
    stale = bureau_client.post(url, {**target, "revision": "1"}, follow=True)
    assert "已被他人修改" in text(stale)
    county.refresh_from_db()
    assert (county.title, county.targets.count(), county.revision) == ("修订的计划", 0, 2)


def test_a_checklist_entry_without_revision_is_refused(district_a: District, bureau_user: User) -> None:
    profile = RuleProfile.objects.get(name="quality-2017")
    checklist = assessment_selectors.checklist_of(assessment_selectors.checklist_version_for(profile))  # type: ignore[arg-type]
    item = next(i for i in checklist.items if i.judge == "entered" and all(x.type == "number" for x in i.inputs))
    client = Client()
    client.force_login(bureau_user)
    url = reverse("assessment:entry", args=[district_a.code, YEAR, profile.name, item.key])
    assert 'name="revision" value="0"' in text(client.get(url))  # no entry yet: 0
    raw = {f"in_{spec.key}": "1" for spec in item.inputs}
    assert client.post(url, {**raw, "note": "首次填报", "revision": "0"}).status_code == 302
    entry = ItemEntry.objects.get(district=district_a, year=YEAR, item_key=item.key)
    assert refused(client.post(url, {**raw, "note": "旧副本"}))
    stale = client.post(url, {**raw, "note": "另一人", "revision": "0"})
    assert stale.status_code == 409
    assert ItemEntry.objects.get(pk=entry.pk).note == "首次填报"
    with pytest.raises(revisions.RevisionRequired):
        assessment_services.item_entry_save(
            district=district_a, year=YEAR, item=item, raw={s.key: "2" for s in item.inputs}, user=bureau_user
        )
