"""Access: every URL pattern of balance.urls, walked with users who must not see district A.

For a bureau user of district B, a principal of another school of district A, an inspector and a
city supervision office assigned only to district B (and an anonymous visitor), every page filled
with district A's objects must answer 404, 403, 405 or a redirect to the login page, never show
district A's data, and no POST may change anything.

The walker knows each URL pattern by name (WALK). A new pattern fails
`test_walker_knows_every_url_pattern` until it is added there, so no page escapes the check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assessment import selectors as assessment_selectors
from assessment import services as assessment_services
from assessment.models import ItemEvidence, Problem, Survey
from assessment.survey import services as survey_services
from audit.models import AuditEvent
from core import access
from core.models import Role, User
from indicators.models import BalanceResult, BalanceState, RuleProfile
from indicators.selectors import profiles_for_district
from indicators.whatif import Change
from plans import services as plan_services
from plans.models import SECTION_FIELDS, AnnualProgress, Evidence, PlanArea, SchoolPlan
from reports import services as report_services
from reports.models import ReportJob
from scenarios.models import Scenario
from scenarios.services import scenario_create
from schools import exchange, services
from schools.models import AnnualStatistics, District, ImportJob, School, Status
from schools.selectors import district_school_rows
from schools.spreadsheet import write_workbook
from tests.factories import YEAR, make_problem, make_school, make_user, primary_values, save_statistics

pytestmark = pytest.mark.django_db

SKIPPED_PREFIXES = ("admin/", "i18n/")
SKIPPED_NAMES = {"login", "logout"}
PROFILE = "quality-2017"


@dataclass
class Target:
    """District A's objects the walker fills URLs with."""

    district: District
    school: School  # school_a1: a draft for YEAR, a submitted record for YEAR + 1
    point: School  # a teaching point under school_a1
    sibling: School  # school_a2 (other_principal's own school)
    other_profile: RuleProfile
    plan: SchoolPlan  # school_a1's approved plan, with a progress report for YEAR and evidence
    draft_plan: SchoolPlan
    submitted_plan: SchoolPlan
    evidence: Evidence
    statistics: AnnualStatistics  # school_a1, YEAR (draft)
    # The API's workflow steps, each on a record in the state it starts from (draft / submitted).
    api_draft: AnnualStatistics  # the teaching point, YEAR
    api_submitted: AnnualStatistics  # the teaching point, YEAR + 1
    api_to_reopen: AnnualStatistics  # school_a2, YEAR
    result: BalanceResult  # district A, YEAR, quality-2017
    plan_to_return: SchoolPlan  # a second submitted plan: the API approves one and returns the other
    complete_draft: SchoolPlan  # a complete draft the API submits
    entry_key: str  # an entered checklist item with a saved figure and an evidence file
    item_evidence: ItemEvidence
    survey_token: str  # a questionnaire link of district A's survey
    problem: Problem
    problems_for_api: list[Problem]  # the API updates the first and closes the second
    report_job: ReportJob  # district A's county report (XLSX), rendered
    plan_to_approve: SchoolPlan  # a submitted plan the API approves (the review page takes submitted_plan)
    scenario: Scenario  # district A's what-if, changing school_a1's sports ground
    scenario_to_delete: Scenario
    # Data exchange (issue #7): a checked import that changes school_a1's books, and another to cancel.
    import_job: ImportJob | None = None
    import_job_to_cancel: ImportJob | None = None


@dataclass
class Page:
    """How to fill one URL pattern and what to post to it.

    `scoped` pages show or change district A's data: outsiders must get 403/404/405 or the login
    page. Global pages (home, lists of the user's own things, reference data) may answer 200, but
    must not show district A's names. `owner` is the cast member for whom the page works (the
    control test); `names` is False for a page whose body is a file, not HTML.
    """

    kwargs: Callable[[Target], list[dict[str, Any]]]
    get: bool = True
    post: Callable[[Target], dict[str, Any]] | None = None
    scoped: bool = True
    owner: str = "bureau_user"
    names: bool = True
    public: bool = False  # meant for anyone holding the link (survey questionnaires): no leak check
    changes: bool = True  # the owner's POST changes data (False: idempotent, may find nothing to do)


def scenario_edit(t: Target) -> dict[str, Any]:
    """An edit of district A's scenario at its current revision (read when posting)."""
    revision = Scenario.objects.get(pk=t.scenario.pk).revision
    edit = {"kind": "facility", "school_code": t.school.code, "field": "sports_area", "amount": 10}
    return {**edit, "revision": revision}


def scenario_revision(t: Target) -> dict[str, Any]:
    return {"revision": Scenario.objects.get(pk=t.scenario_to_delete.pk).revision}


def statistics_form(**overrides: Any) -> dict[str, str]:
    return {k: str(v) for k, v in primary_values(**overrides).items()}


def school_form(code: str, name: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "school_type": "primary",
        "ownership": "public",
        "county_run": "1",
        "area_type": "town",
        "valid_from": YEAR + 1,
        "note": "改名",
    }


def district(t: Target) -> list[dict[str, Any]]:
    return [{"district_code": t.district.code}]


def school(t: Target) -> list[dict[str, Any]]:
    return [{"code": t.school.code}]


def nothing(t: Target) -> list[dict[str, Any]]:
    return [{}]


def assessed() -> Callable[[Target], list[dict[str, Any]]]:
    return lambda t: [{"district_code": t.district.code, "year": YEAR, "profile": PROFILE}]


def plan(attr: str, **extra: Any) -> Callable[[Target], list[dict[str, Any]]]:
    return lambda t: [{"pk": getattr(t, attr).pk, **extra}]


def job(attr: str) -> Callable[[Target], list[dict[str, Any]]]:
    return lambda t: [{"pk": getattr(t, attr).pk}]


def checked_import(school: School, name: str) -> ImportJob:
    """An uploaded workbook raising `school`'s books for YEAR, checked (the preview is ready)."""
    row = next(r for r in district_school_rows(school.district, YEAR) if r.school == school)
    data = write_workbook(
        [{**exchange.row_values(row, YEAR, school.district.code), "books": 20600}], sheet_title="学校统计"
    )
    uploaded = exchange.import_job_create(
        district=school.district, year=YEAR, upload=SimpleUploadedFile(name, data), user=None
    )
    checked = exchange.import_job_check(job_id=uploaded.pk)
    assert checked is not None and checked.status == ImportJob.State.CHECKED, checked.report if checked else None
    return checked


# Each workflow action on the year where it would succeed for an allowed user.
ACTION_YEARS = {"submit": YEAR, "approve": YEAR + 1, "reopen": YEAR + 1}

WALK: dict[str, Page] = {
    "home": Page(nothing, scoped=False),
    # schools
    "schools:district_list": Page(nothing, scoped=False),
    "schools:school_list": Page(district),
    "schools:school_create": Page(district, post=lambda t: school_form("1101010077", "越权登记小学")),
    "schools:school_detail": Page(school),
    "schools:school_edit": Page(school, post=lambda t: school_form(t.school.code, "越权改名小学")),
    "schools:statistics_edit": Page(
        lambda t: [{"code": t.school.code, "year": YEAR}],
        # The revision the form was opened at (its hidden field), read when posting.
        post=lambda t: {
            **statistics_form(books=20500),
            "revision": str(AnnualStatistics.objects.get(pk=t.statistics.pk).revision),
        },
    ),
    "schools:statistics_action": Page(
        lambda t: [{"code": t.school.code, "year": y, "action": a} for a, y in ACTION_YEARS.items()],
        get=False,
        post=lambda t: {"reason": "越权退回"},
    ),
    # schools: data exchange (issue #7)
    "schools:exchange_home": Page(district),
    "schools:template_download": Page(district, names=False),
    "schools:export_download": Page(district, names=False),
    "schools:import_upload": Page(
        district,
        get=False,
        post=lambda t: {"year": YEAR, "file": SimpleUploadedFile("越权.csv", "学校标识码\n".encode())},
    ),
    # YEAR + 1 starts only school_a2 (the others have that year already).
    "schools:year_start": Page(district, get=False, post=lambda t: {"year": YEAR + 1}),
    "schools:import_detail": Page(job("import_job")),
    "schools:import_status": Page(job("import_job"), names=False),
    "schools:import_confirm": Page(job("import_job"), get=False, post=lambda t: {}),
    "schools:import_cancel": Page(job("import_job_to_cancel"), get=False, post=lambda t: {}),
    "schools:import_errors": Page(job("import_job"), names=False),
    "schools:import_file": Page(job("import_job"), names=False),
    "schools:school_workbook": Page(lambda t: [{"code": t.school.code, "year": YEAR}], names=False),
    "schools:statistics_confirm": Page(
        lambda t: [{"code": t.school.code, "year": YEAR}], get=False, post=lambda t: {"next": "/"}
    ),
    # indicators
    "indicators:balance_home": Page(district),
    "indicators:balance_page": Page(lambda t: [{"district_code": t.district.code, "year": YEAR, "profile": PROFILE}]),
    "indicators:balance_recompute": Page(
        lambda t: [{"district_code": t.district.code, "year": YEAR}], get=False, post=lambda t: {}
    ),
    # Choosing both national profiles explicitly: a change, and later pages still find quality-2017.
    "indicators:district_profiles": Page(
        district, post=lambda t: {"profiles": [t.other_profile.pk, RuleProfile.objects.get(name=PROFILE).pk]}
    ),
    "indicators:profile_list": Page(nothing, scoped=False),
    "indicators:profile_create": Page(
        nothing,
        scoped=False,
        post=lambda t: {"name": "walker-copy", "label": "越权规则", "province": "测试省", "base": t.other_profile.pk},
    ),
    "indicators:profile_edit": Page(
        lambda t: [{"name": PROFILE}], scoped=False, post=lambda t: {"definition": "{}", "note": "越权修改"}
    ),
    # plans
    "plans:my_school": Page(nothing, scoped=False),  # the principal's own school, else 404
    "plans:school_standing": Page(school),
    "plans:plan_list": Page(nothing, scoped=False),
    "plans:plan_create": Page(nothing, scoped=False),  # always for the user's own school
    "plans:notifications": Page(nothing, scoped=False),  # the user's own messages
    "plans:plan_detail": Page(plan("plan")),
    "plans:plan_edit": Page(
        plan("draft_plan"),
        post=lambda t: {
            "action": "sections",
            "title": "越权修改的规划",
            "revision": str(SchoolPlan.objects.get(pk=t.draft_plan.pk).revision),
        },
        owner="principal",
    ),
    "plans:plan_review": Page(plan("submitted_plan"), get=False, post=lambda t: {"action": "approve"}),
    "plans:plan_revise": Page(plan("plan"), get=False, post=lambda t: {}, owner="principal"),
    "plans:progress": Page(
        plan("plan", year=YEAR),
        post=lambda t: {
            "action": "save",
            "summary": "越权填写",
            "revision": str(AnnualProgress.objects.get(plan=t.plan, year=YEAR).revision),
        },
        owner="principal",
    ),
    "plans:evidence_download": Page(lambda t: [{"pk": t.evidence.pk}], names=False),
    "plans:progress_overview": Page(
        lambda t: [{"district_code": t.district.code, "year": YEAR}],
        post=lambda t: {"action": "deadline", "due": f"{YEAR + 1}-06-30"},
    ),
    "plans:county_plan": Page(district, post=lambda t: {"action": "plan", "start_year": YEAR, "title": "越权推进计划"}),
    # API (/api/v1/): lists answer with the caller's own scope; details and actions are scoped.
    "api:api-root": Page(nothing, scoped=False),
    "api:token": Page(nothing, scoped=False, get=False),  # POST username/password: no district data
    "api:schema": Page(nothing, scoped=False, names=False),
    "api:docs": Page(nothing, scoped=False),
    "api:district-list": Page(nothing, scoped=False),
    "api:district-detail": Page(district),
    "api:school-list": Page(
        nothing,
        scoped=False,
        post=lambda t: {
            "district_code": t.district.code,
            "school_code": "1101010078",
            "school_name": "越权登记小学",
            "school_type": "primary",
        },
    ),
    "api:school-detail": Page(lambda t: [{"school_code": t.school.code}]),
    "api:statistics-list": Page(
        nothing, scoped=False, post=lambda t: {"school_code": t.school.code, "year": YEAR, "books": 20500}
    ),
    "api:statistics-detail": Page(lambda t: [{"pk": t.statistics.pk}]),
    "api:statistics-submit": Page(lambda t: [{"pk": t.api_draft.pk}], get=False, post=lambda t: {}),
    "api:statistics-approve": Page(lambda t: [{"pk": t.api_submitted.pk}], get=False, post=lambda t: {}),
    "api:statistics-reopen": Page(
        lambda t: [{"pk": t.api_to_reopen.pk}], get=False, post=lambda t: {"reason": "越权退回"}
    ),
    "api:profile-list": Page(nothing, scoped=False),
    "api:profile-detail": Page(lambda t: [{"name": PROFILE}], scoped=False),
    "api:result-list": Page(nothing, scoped=False),
    "api:result-detail": Page(lambda t: [{"pk": t.result.pk}]),
    "api:plan-list": Page(nothing, scoped=False),
    "api:plan-detail": Page(plan("plan")),
    "api:plan-submit": Page(plan("complete_draft"), get=False, post=lambda t: {}, owner="principal"),
    "api:plan-approve": Page(plan("plan_to_approve"), get=False, post=lambda t: {}),
    "api:plan-return-plan": Page(
        plan("plan_to_return"), get=False, post=lambda t: {"comments": [{"anchor": "", "text": "越权退回"}]}
    ),
    "api:progress-list": Page(nothing, scoped=False),
    "api:audit-list": Page(nothing, scoped=False),
    "api:audit-detail": Page(
        lambda t: [{"pk": AuditEvent.objects.filter(school=t.school).order_by("id").first().pk}]  # type: ignore[union-attr]
    ),
    # audit trail pages
    "audit:school_history": Page(school),
    "audit:district_history": Page(district),
    "api:progress-detail": Page(lambda t: [{"pk": t.plan.progress_reports.get().pk}], names=False),
    "api:report-list": Page(
        nothing,
        scoped=False,
        post=lambda t: {
            "kind": "county",
            "fmt": "pdf",
            "district_code": t.district.code,
            "year": YEAR,
            "profile": profiles_for_district(t.district)[0].name,
        },
    ),
    "api:report-detail": Page(lambda t: [{"pk": t.report_job.pk}], names=False),  # JSON of codes, no names
    "api:problem-list": Page(
        nothing, scoped=False, post=lambda t: {"district_code": t.district.code, "year": YEAR, "title": "越权问题"}
    ),
    "api:problem-detail": Page(lambda t: [{"pk": t.problem.pk}]),
    "api:problem-update-problem": Page(
        lambda t: [{"pk": t.problems_for_api[0].pk}],
        get=False,
        post=lambda t: {"owner": "越权", "deadline": None, "state": "in_progress"},
    ),
    "api:problem-close": Page(
        lambda t: [{"pk": t.problems_for_api[1].pk}], get=False, post=lambda t: {"note": "越权关闭"}
    ),
    "api:survey-list": Page(nothing, scoped=False),
    "api:survey-detail": Page(lambda t: [{"pk": Survey.objects.get(district=t.district, year=YEAR).pk}], names=False),
    "api:report-download": Page(lambda t: [{"pk": t.report_job.pk}], names=False),
    # county assessment (issue #6)
    "assessment:home": Page(district),
    "assessment:overview": Page(assessed()),
    "assessment:checklist": Page(assessed()),
    "assessment:entry": Page(lambda t: [{**assessed()(t)[0], "key": t.entry_key}]),
    "assessment:evidence": Page(lambda t: [{"pk": t.item_evidence.pk}], names=False),
    "assessment:checklist_edit": Page(
        lambda t: [{"profile": PROFILE}], scoped=False, post=lambda t: {"definition": "{}", "note": "越权修改"}
    ),
    "assessment:survey": Page(lambda t: [{"district_code": t.district.code, "year": YEAR}]),
    "assessment:survey_live": Page(lambda t: [{"district_code": t.district.code, "year": YEAR}], names=False),
    "assessment:survey_links": Page(lambda t: [{"district_code": t.district.code, "year": YEAR}]),
    "assessment:problems": Page(
        district, post=lambda t: {"title": "越权登记的问题", "detail": "", "owner": "", "deadline": ""}
    ),
    # Idempotent: the problems were already synced after the fixture's recompute.
    "assessment:problems_sync": Page(
        lambda t: [{"district_code": t.district.code, "year": YEAR}], get=False, post=lambda t: {}, changes=False
    ),
    "assessment:problem": Page(
        lambda t: [{"pk": t.problem.pk}], post=lambda t: {"action": "close", "note": "越权关闭"}
    ),
    # reports (issue #5)
    "reports:district_reports": Page(
        district,
        # The district's own profile at posting time (an earlier page of the walk changes the choice).
        post=lambda t: {
            "kind": "school",
            "school": t.school.code,
            "year": YEAR,
            "fmt": "xlsx",
            "profile": profiles_for_district(t.district)[0].name,
        },
    ),
    "reports:school_reports": Page(lambda t: [{"school_code": t.school.code}]),
    "reports:job_status": Page(lambda t: [{"pk": t.report_job.pk}], names=False),
    "reports:job_download": Page(lambda t: [{"pk": t.report_job.pk}], names=False),
    # The questionnaire itself is public: whoever holds the link answers (no account, by design).
    "assessment:survey_public": Page(lambda t: [{"token": t.survey_token}], scoped=False, public=True),
    "assessment:survey_thanks": Page(lambda t: [{"token": t.survey_token}], scoped=False, public=True),
    "assessment:survey_qr": Page(lambda t: [{"token": t.survey_token}], scoped=False, public=True, names=False),
    # the multi-county overview (issue #17): the user's own counties only; files and API alike
    "city:overview": Page(nothing, scoped=False),
    "city:overview_xlsx": Page(nothing, scoped=False, names=False),
    "city:overview_pdf": Page(nothing, scoped=False, names=False),
    "city:district": Page(district),
    "api:city-list": Page(nothing, scoped=False),
    "api:city-detail": Page(district),
    # annual work summaries (issue #17): the bureau writes the county's, the principal the school's
    "summaries:county_home": Page(district),
    "summaries:county": Page(
        lambda t: [{"district_code": t.district.code, "year": YEAR}],
        post=lambda t: {"action": "save", "base": "0", "block-intro": "越权修改的总结"},
    ),
    "summaries:county_file": Page(
        lambda t: [{"district_code": t.district.code, "year": YEAR, "fmt": f} for f in ("docx", "pdf")], names=False
    ),
    "summaries:school": Page(
        lambda t: [{"code": t.school.code, "year": YEAR}],
        post=lambda t: {"action": "save", "base": "0", "block-intro": "越权修改的自评"},
        owner="principal",
    ),
    "summaries:school_file": Page(
        lambda t: [{"code": t.school.code, "year": YEAR, "fmt": f} for f in ("docx", "pdf")], names=False
    ),
    # what-if scenarios (issue #15): the bureau and inspectors read, the bureau changes
    "scenarios:list": Page(district, post=lambda t: {"name": "越权方案", "year": YEAR, "profile": PROFILE}),
    "scenarios:detail": Page(plan("scenario"), post=scenario_edit),
    "scenarios:delete": Page(plan("scenario_to_delete"), get=False, post=scenario_revision),
    "api:scenario-list": Page(
        nothing,
        scoped=False,
        post=lambda t: {"district_code": t.district.code, "year": YEAR, "profile_name": PROFILE, "name": "越权方案"},
    ),
    "api:scenario-detail": Page(plan("scenario")),
    "api:scenario-evaluate": Page(plan("scenario")),
    "api:scenario-edit": Page(plan("scenario"), get=False, post=scenario_edit),
}
PROJECT_APPS = ("core", "schools", "indicators", "plans", "reports", "audit", "assessment", "summaries", "scenarios")


def url_patterns() -> Iterator[tuple[str, str, set[str]]]:
    """(name, route, path kwargs) of every pattern the walker must cover."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str, set[str]]]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace or "") if n)
                yield from walk(entry.url_patterns, route, inner)
            elif isinstance(entry, URLPattern):
                if entry.name in SKIPPED_NAMES and not namespace:
                    continue
                name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
                yield name, route, set(entry.pattern.regex.groupindex)

    yield from walk(get_resolver().url_patterns, "", "")


def known_urls(target: Target) -> list[tuple[str, Page, str]]:
    """Every (name, page, url) to walk; fails if a pattern is unknown or has other kwargs."""
    unknown = []
    urls = []
    for name, route, kwargs in url_patterns():
        page = WALK.get(name)
        if page is None:
            unknown.append(f"{name} ({route})")
            continue
        for filled in page.kwargs(target):
            if set(filled) != kwargs:
                unknown.append(f"{name} ({route}): walker fills {sorted(filled)}, route takes {sorted(kwargs)}")
                continue
            urls.append((name, page, reverse(name, kwargs=filled)))
    assert not unknown, "URL patterns the access walker cannot fill; add them to WALK:\n" + "\n".join(unknown)
    return urls


def snapshot() -> dict[str, Any]:
    """Every row of every table of the project's apps: anything a forbidden request could change."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in PROJECT_APPS
    }


def build_draft(school: School, start_year: int, user: User) -> SchoolPlan:
    """A complete three-year plan, not yet submitted (through the plans services)."""
    draft = plan_services.plan_create(school=school, start_year=start_year, title="城关一小三年发展规划", user=user)
    draft = plan_services.plan_save_sections(
        expected_revision=draft.revision, plan=draft, data=dict.fromkeys(SECTION_FIELDS, "规划内容"), user=user
    )
    goal = plan_services.goal_save(plan=draft, area=PlanArea.objects.order_by("order", "id")[0], title="提升师资")
    plan_services.target_save(goal=goal, name="骨干教师数", values={str(y): 10 for y in draft.years}, unit="人")
    return draft


def build_plan(school: School, start_year: int, user: User) -> SchoolPlan:
    """A complete three-year plan, submitted for review."""
    return plan_services.plan_submit(plan=build_draft(school, start_year, user), user=user)


@pytest.fixture
def target(
    school_a1: School,
    school_a2: School,
    school_b1: School,
    bureau_user: User,
    principal: User,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> Target:
    settings.MEDIA_ROOT = tmp_path / "media"
    with django_capture_on_commit_callbacks(execute=True):
        point = make_school(school_a1.district, "1101010031", "甲县后沟教学点", "teaching_point", parent=school_a1)
        save_statistics(school_a1, YEAR)
        save_statistics(point, YEAR, students_primary=60, classes_primary=2, max_class_size_primary=30)
        save_statistics(school_a2, YEAR, school_type="junior")
        save_statistics(school_b1, YEAR)
        submitted = save_statistics(school_a1, YEAR + 1)
        services.statistics_submit(stats=submitted, user=bureau_user)
        point_next = save_statistics(point, YEAR + 1, students_primary=61, classes_primary=2, max_class_size_primary=31)
        services.statistics_submit(stats=point_next, user=bureau_user)
        services.statistics_submit(stats=AnnualStatistics.objects.get(school=school_a2, year=YEAR), user=bureau_user)
    assert BalanceResult.objects.filter(district=school_a1.district, year=YEAR, is_current=True).exists()

    approved = plan_services.plan_approve(plan=build_plan(school_a1, YEAR, principal), user=bureau_user)
    progress = plan_services.progress_open(plan=approved, year=YEAR, user=principal)
    evidence = plan_services.evidence_add(
        progress=progress, upload=SimpleUploadedFile("证明.pdf", b"%PDF-1.4\n% evidence\n"), user=principal
    )
    # A record carried over into the year, which a person confirms (statistics_confirm).
    AnnualStatistics.objects.filter(school=school_a1, year=YEAR).update(unconfirmed=True)
    checklist = assessment_selectors.checklist_of(
        assessment_selectors.checklist_version_for(RuleProfile.objects.get(name=PROFILE))  # type: ignore[arg-type]
    )
    entered = next(i for i in checklist.items if i.judge == "entered" and all(x.type == "number" for x in i.inputs))
    entry = assessment_services.item_entry_save(
        district=school_a1.district,
        year=YEAR,
        item=entered,
        raw={},
        user=bureau_user,
        uploads=[SimpleUploadedFile("佐证.pdf", b"%PDF-1.4\n% item evidence\n")],
    )
    survey = survey_services.survey_open(district=school_a1.district, year=YEAR, user=bureau_user)
    problem = make_problem(school_a1.district, "运动场地不足", owner="基建科", school=school_a1, user=bureau_user)
    titles = ("图书不足", "围墙破损")
    problems_for_api = [make_problem(school_a1.district, t, school=school_a1, user=bureau_user) for t in titles]
    with django_capture_on_commit_callbacks(execute=True):  # the render runs (Celery is eager here)
        report_job = report_services.report_request(
            user=bureau_user,
            kind="county",
            fmt="xlsx",
            district=school_a1.district,
            school=None,
            year=YEAR,
            profile_name=PROFILE,
        )
    report_job.refresh_from_db()
    scenarios = [
        scenario_create(
            district=school_a1.district,
            year=YEAR,
            profile_name=PROFILE,
            name=name,
            changes=[Change(school_a1.code, "sports_area", None, 6000.0)],
            user=bureau_user,
        )
        for name in ("城关一小扩建运动场", "待删除的方案")
    ]
    return Target(
        scenario=scenarios[0],
        scenario_to_delete=scenarios[1],
        report_job=report_job,
        entry_key=entered.key,
        item_evidence=entry.evidence.get(),
        survey_token=survey.links.order_by("id").first().token,  # type: ignore[union-attr]
        problem=problem,
        problems_for_api=problems_for_api,
        district=school_a1.district,
        school=school_a1,
        point=point,
        sibling=school_a2,
        other_profile=RuleProfile.objects.get(name="basic-2012"),
        plan=approved,
        draft_plan=plan_services.plan_create(school=school_a1, start_year=YEAR + 3, title="下一轮规划", user=principal),
        submitted_plan=build_plan(school_a1, YEAR + 6, principal),
        evidence=evidence,
        statistics=AnnualStatistics.objects.get(school=school_a1, year=YEAR),
        api_draft=AnnualStatistics.objects.get(school=point, year=YEAR),
        api_submitted=AnnualStatistics.objects.get(school=point, year=YEAR + 1),
        api_to_reopen=AnnualStatistics.objects.get(school=school_a2, year=YEAR),
        plan_to_return=build_plan(school_a1, YEAR + 9, principal),
        complete_draft=build_draft(school_a1, YEAR + 12, principal),
        plan_to_approve=build_plan(school_a1, YEAR + 15, principal),
        result=BalanceResult.objects.get(district=school_a1.district, year=YEAR, profile_name=PROFILE, is_current=True),
        import_job=checked_import(school_a1, "甲县统计.xlsx"),
        import_job_to_cancel=checked_import(school_a1, "甲县统计-作废.xlsx"),
    )


def secrets(target: Target, user: User | None) -> list[str]:
    """District A text the user must never receive."""
    hidden = [
        target.school.code,
        target.school.versions.get().name,
        target.point.code,
        target.point.versions.get().name,
        target.plan.title,
        target.draft_plan.title,
    ]
    if user is None or user.school_id != target.sibling.pk:
        hidden += [target.sibling.code, target.sibling.versions.get().name, target.district.name]
    return hidden


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    """Pages take form posts; the API takes JSON."""
    if url.startswith("/api/"):
        return client.post(url, data, content_type="application/json")
    return client.post(url, data)


def forbidden(response: Any) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    return bool(response.status_code == 302 and response["Location"].startswith(reverse("login")))


def leaks(response: Any, hidden: list[str], url: str = "") -> list[str]:
    """Which hidden texts the response carries (apart from echoing the URL the user asked for,
    as the language switch of every page does)."""
    if response.streaming:
        body = b"".join(response.streaming_content).decode(errors="replace")
    else:
        body = response.content.decode(errors="replace")
    location = response.get("Location", "")
    # A login redirect only echoes the requested path in ?next=.
    where = body if location.startswith(reverse("login")) else f"{body} {location}"
    if url:
        where = where.replace(url, "")
    return [text for text in hidden if text in where]


@pytest.fixture(params=["other_bureau_user", "other_principal", "outsider_inspector", "outsider_city", "anonymous"])
def outsider(request: pytest.FixtureRequest) -> User | None:
    if request.param == "anonymous":
        return None
    user: User = request.getfixturevalue(request.param)
    return user


def test_walker_knows_every_url_pattern(target: Target) -> None:
    names = {name for name, _page, _url in known_urls(target)}
    assert names == set(WALK), f"WALK names patterns that no longer exist: {sorted(set(WALK) - names)}"


def test_outsiders_get_nothing_from_district_a(target: Target, outsider: User | None) -> None:
    client = Client()
    if outsider is not None:
        client.force_login(outsider)
    hidden = secrets(target, outsider)
    before = snapshot()
    problems = []
    for name, page, url in known_urls(target):
        responses = []
        if page.get:
            responses.append(("GET", client.get(url)))
        if page.post is not None:
            responses.append(("POST", post(client, url, page.post(target))))
        for method, response in responses:
            if page.scoped and not forbidden(response):
                problems.append(f"{method} {url} ({name}): {response.status_code} {response.get('Location', '')}")
            leaked = [] if page.public else leaks(response, hidden, url)
            if leaked:
                problems.append(f"{method} {url} ({name}): {response.status_code} shows {leaked}")
            if not page.scoped and method == "POST" and response.status_code not in (302, 403, 404, 405):
                problems.append(f"{method} {url} ({name}): {response.status_code}")
        after = snapshot()
        if after != before and not page.public:  # a public questionnaire issues respondent tokens
            problems.append(f"{url} ({name}) changed the database")
        before = after  # what a public page issued is not charged to the pages after it
    assert not problems, "\n".join(problems)


def test_the_owners_see_each_page_and_each_post_takes_effect(target: Target, request: pytest.FixtureRequest) -> None:
    """The control: with the same URLs and payloads the users who may (district A's bureau user,
    school_a1's principal) get district A's data and change things, so the outsiders' answers
    and the unchanged database above are not an accident of bad URLs or payloads."""
    hidden = secrets(target, None)
    clients: dict[str, Client] = {}
    for name, page, url in known_urls(target):
        if not page.scoped:
            continue
        if page.owner not in clients:
            clients[page.owner] = Client()
            clients[page.owner].force_login(request.getfixturevalue(page.owner))
        client = clients[page.owner]
        if page.get:
            response = client.get(url, follow=True)
            assert response.status_code == 200, (name, url)
            if page.names:
                assert leaks(response, hidden, url), f"{name}: the page shows none of district A's names"
        if page.post is not None:
            before = snapshot()
            response = post(client, url, page.post(target))
            assert response.status_code in (200, 201, 302), (name, url, response.status_code)
            if page.changes:
                assert snapshot() != before, f"POST {url} ({name}) changed nothing for {page.owner}"
    statuses = dict(AnnualStatistics.objects.filter(school=target.school).values_list("year", "status"))
    assert statuses == {YEAR: Status.SUBMITTED, YEAR + 1: Status.REOPENED}


def test_recompute_url_reaches_the_recompute_view(target: Target, bureau_client: Client) -> None:
    BalanceState.objects.filter(district=target.district, year=YEAR).update(stale=False, queued_at=None)
    url = reverse("indicators:balance_recompute", args=[target.district.code, YEAR])
    response = bureau_client.post(url)
    assert response.status_code == 302
    assert BalanceState.objects.get(district=target.district, year=YEAR).queued_at is not None


# --- the scope helpers themselves -----------------------------------------------------------


def test_scope_of_each_role(
    school_a1: School,
    school_a2: School,
    school_b1: School,
    admin_user: User,
    bureau_user: User,
    principal: User,
    inspector: User,
    outsider_inspector: User,
) -> None:
    from django.contrib.auth.models import AnonymousUser

    a, b = school_a1.district, school_b1.district

    def scope(user: Any) -> tuple[set[str], set[str]]:
        return (
            set(access.district_scope(user).values_list("code", flat=True)),
            set(access.school_scope(user).values_list("code", flat=True)),
        )

    everything = {a.code, b.code}, {school_a1.code, school_a2.code, school_b1.code}
    assert scope(admin_user) == everything
    assert scope(bureau_user) == ({a.code}, {school_a1.code, school_a2.code})
    assert scope(inspector) == ({a.code}, {school_a1.code, school_a2.code})
    assert scope(outsider_inspector) == ({b.code}, {school_b1.code})
    assert scope(principal)[1] == {school_a1.code}
    assert scope(AnonymousUser()) == (set(), set())
    inspector.inspected_districts.add(b)
    assert scope(inspector) == everything


def test_actions_of_each_role(
    school_a1: School, school_a2: School, bureau_user: User, principal: User, inspector: User, admin_user: User
) -> None:
    a = school_a1.district
    assert access.can(admin_user, "configure", a)
    assert access.can(bureau_user, "review", a, school_a1) and access.can(bureau_user, "manage", a)
    assert not access.can(bureau_user, "configure", a)
    assert access.can(principal, "edit_statistics", a, school_a1) and access.can(principal, "submit", a, school_a1)
    assert not access.can(principal, "edit_statistics", a, school_a2)
    assert not access.can(principal, "review", a, school_a1)
    assert not access.can(principal, "manage", a)
    assert access.can(inspector, "view", a, school_a1)
    for action in ("edit_statistics", "submit", "review", "manage", "configure"):
        assert not access.can(inspector, action, a, school_a1)


def test_a_bureau_user_without_a_district_sees_nothing(school_a1: School) -> None:
    user = make_user("bureau_nowhere", Role.BUREAU)
    assert not access.district_scope(user).exists()
    assert not access.school_scope(user).exists()


def test_global_actions_are_the_administrators_and_need_no_district(
    school_a1: School, bureau_user: User, principal: User, inspector: User, admin_user: User
) -> None:
    from django.contrib.auth.models import AnonymousUser

    for action in ("configure", "view_all"):
        assert access.can(admin_user, action)
        for user in (bureau_user, principal, inspector, AnonymousUser()):
            assert not access.can(user, action)
            assert not access.can(user, action, school_a1.district, school_a1)
    # An action on a district asked without one is refused, never granted by default.
    assert not access.can(bureau_user, "manage")
    assert access.can(bureau_user, "manage", school_a1.district)


def test_own_school_is_a_principals_school_only(
    school_a1: School, bureau_user: User, principal: User, inspector: User, admin_user: User
) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert access.own_school(principal) == school_a1
    for user in (bureau_user, inspector, admin_user, AnonymousUser()):
        assert access.own_school(user) is None
    admin_user.school = school_a1  # a school on an administrator's account does not make a principal
    assert access.own_school(admin_user) is None


def test_notifications_go_to_active_principals_and_bureau_staff_of_their_place(
    school_a1: School, school_b1: School, bureau_user: User, other_bureau_user: User, principal: User
) -> None:
    assert list(access.principals_of(school_a1.pk)) == [principal]
    assert list(access.bureau_staff_of(school_a1.district_id)) == [bureau_user]
    principal.is_active = False
    principal.save(update_fields=["is_active"])
    assert not access.principals_of(school_a1.pk).exists()
    assert not access.principals_of(school_b1.pk).exists()
