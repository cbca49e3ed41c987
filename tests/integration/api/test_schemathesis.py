"""Schemathesis against the OpenAPI schema the application serves: no request may end in a 5xx.

The schema is loaded from the running WSGI application (/api/v1/schema/) and every operation in
it (GET, POST and PUT) is fuzzed through the same WSGI application, in all of schemathesis's
non-stateful phases (examples, coverage, fuzzing), authenticated with a bureau user's token
(an administrator's for PUT, the rule profiles, where a bureau user only ever gets 403), over a
small dataset built through the services: district A with its schools, statistics in every
workflow state, plans in every review state with a progress report and evidence, stored balance
results and the audit trail they leave. Any 5xx fails the test.

Path parameters are the generated ones half of the time and real objects of the dataset the
other half, so the detail views and workflow actions run on data, not only into 404s.

The test runs inside the test's transaction: the WSGI requests share the test's database
connection (same thread), and, as Django's test client does, the request signals no longer
close that connection after each request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from assessment.models import Problem, Survey
from assessment.survey import services as survey_services
from audit.models import AuditEvent
from balance.wsgi import application
from core.models import User
from indicators.models import BalanceResult
from indicators.whatif import Change
from plans import services as plan_services
from plans.models import SECTION_FIELDS, AnnualProgress, PlanArea, SchoolPlan
from reports import services as report_services
from reports.models import ReportJob
from scenarios.models import Scenario
from scenarios.services import scenario_create
from schools import services
from schools.models import AnnualStatistics, School
from tests.factories import YEAR, make_problem, make_school, save_statistics

MAX_EXAMPLES = 15
DATA_ENTRY_EXAMPLES = 60
# Years the dataset's schools are registered in (a body's "year" is one of them half of the time).
BODY_VALUES: dict[str, list[Any]] = {"year": [YEAR, YEAR + 1, YEAR + 2], "profile": ["quality-2017", "basic-2012"]}

CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        # The data-entry operations have the most input behind the scope check: more examples.
        "operations": [
            {
                "include-operation-id": ["schools_create", "statistics_create", "profiles_update"],
                "generation": {"max-examples": DATA_ENTRY_EXAMPLES},
            }
        ],
    }
)


@pytest.fixture
def connection_kept() -> Iterator[None]:
    """The WSGI handler closes "old" connections at the start and end of each request; inside
    the test's transaction that would close the test's own connection (Django's test client
    disconnects the same receiver)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def build_plan(school: School, start_year: int, user: User, *, complete: bool = True) -> SchoolPlan:
    plan = plan_services.plan_create(school=school, start_year=start_year, title=f"{start_year} 三年规划", user=user)
    if not complete:
        return plan
    plan = plan_services.plan_save_sections(
        expected_revision=plan.revision, plan=plan, data=dict.fromkeys(SECTION_FIELDS, "规划内容"), user=user
    )
    goal = plan_services.goal_save(plan=plan, area=PlanArea.objects.order_by("order", "id")[0], title="提升师资")
    plan_services.target_save(goal=goal, name="骨干教师数", values={str(y): 10 for y in plan.years}, unit="人")
    return plan


@pytest.fixture
def dataset(
    school_a1: School,
    school_a2: School,
    school_b1: School,
    bureau_user: User,
    principal: User,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> dict[str, list[str]]:
    """District A's objects in every state, and the real path parameters of each resource."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with django_capture_on_commit_callbacks(execute=True):
        point = make_school(school_a1.district, "1101010031", "甲县后沟教学点", "teaching_point", parent=school_a1)
        save_statistics(school_a1, YEAR, user=bureau_user)
        save_statistics(point, YEAR, students_primary=60, classes_primary=2, max_class_size_primary=30)
        junior = save_statistics(school_a2, YEAR, school_type="junior")
        junior = services.statistics_submit(stats=junior, user=bureau_user)
        services.statistics_approve(stats=junior, user=bureau_user)
        submitted = save_statistics(school_a1, YEAR + 1, user=principal)
        services.statistics_submit(stats=submitted, user=principal)
        save_statistics(school_b1, YEAR)
    approved = plan_services.plan_approve(
        plan=plan_services.plan_submit(plan=build_plan(school_a1, YEAR, principal), user=principal), user=bureau_user
    )
    progress = plan_services.progress_open(plan=approved, year=YEAR, user=principal)
    plan_services.evidence_add(
        progress=progress, upload=SimpleUploadedFile("证明.pdf", b"%PDF-1.4\n% evidence\n"), user=principal
    )
    plan_services.plan_submit(plan=build_plan(school_a1, YEAR + 3, principal), user=principal)
    build_plan(school_a1, YEAR + 6, principal)
    build_plan(school_a2, YEAR, principal, complete=False)
    assert BalanceResult.objects.filter(district=school_a1.district, is_current=True).exists()
    # The county assessment: a problem, an open survey, and a finished report job with its file.
    make_problem(school_a1.district, "运动场地不足", school=school_a1, user=bureau_user)
    survey_services.survey_open(district=school_a1.district, year=YEAR, user=bureau_user)
    ReportJob.objects.create(
        kind="county",
        fmt="pdf",
        district=school_a1.district,
        year=YEAR,
        profile_name="quality-2017",
        fingerprint="0" * 64,
        status="done",
        file=report_services.store_file("0" * 64, "pdf", b"%PDF-1.4\n% report\n"),
    )

    # A what-if scenario with a change, so that its detail, evaluation and edits run on data.
    scenario_create(
        district=school_a1.district,
        year=YEAR,
        profile_name="quality-2017",
        name="运动场扩建试算",
        changes=[Change(school_a1.code, "sports_area", None, 9000.0)],
        user=bureau_user,
    )

    def ids(queryset: Any) -> list[str]:
        return [str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True)]

    return {
        "/api/v1/statistics/": ids(AnnualStatistics.objects.all()),
        "/api/v1/plans/": ids(SchoolPlan.objects.all()),
        "/api/v1/progress/": ids(AnnualProgress.objects.all()),
        "/api/v1/results/": ids(BalanceResult.objects.all()),
        "/api/v1/audit/": ids(AuditEvent.objects.all()),
        "/api/v1/problems/": ids(Problem.objects.all()),
        "/api/v1/surveys/": ids(Survey.objects.all()),
        "/api/v1/reports/": ids(ReportJob.objects.all()),
        "/api/v1/scenarios/": ids(Scenario.objects.all()),
        "district_code": [school_a1.district.code, school_b1.district.code],
        "school_code": [school_a1.code, school_a2.code, point.code, school_b1.code],
        "name": ["quality-2017", "basic-2012"],
    }


@pytest.fixture
def api_schema(db: None, connection_kept: None, dataset: dict[str, list[str]]) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application, config=CONFIG)

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        """Half of the cases address a real object of the dataset."""
        if not path_parameters:
            return st.just(path_parameters)
        path = context.operation.path
        real: dict[str, st.SearchStrategy[str]] = {}
        for key in path_parameters:
            if key == "id":
                prefix = next((p for p in dataset if p.startswith("/") and path.startswith(p)), None)
                if prefix and dataset[prefix]:
                    real[key] = st.sampled_from(dataset[prefix])
            elif dataset.get(key):
                real[key] = st.sampled_from(dataset[key])
        if not real:
            return st.just(path_parameters)
        return st.one_of(st.just(path_parameters), st.fixed_dictionaries(real).map(lambda r: {**path_parameters, **r}))

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        """Half of the bodies that name a school or a district name a real one (and a registered
        year), so that creating schools and saving statistics reach the checks behind the scope."""
        if not isinstance(body, dict):
            return st.just(body)
        real = {key: st.sampled_from(values) for key, values in BODY_VALUES.items() if key in body}
        if "school_code" in body or "district_code" in body:
            real.update({key: st.sampled_from(dataset[key]) for key in ("school_code", "district_code") if key in body})
        if not real:
            return st.just(body)
        return st.one_of(st.just(body), st.fixed_dictionaries(real).map(lambda r: {**body, **r}))

    return schema


@pytest.fixture
def tokens(bureau_user: User, admin_user: User) -> dict[str, str]:
    return {
        "bureau": Token.objects.create(user=bureau_user).key,
        "admin": Token.objects.create(user=admin_user).key,
    }


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case: Any, tokens: dict[str, str]) -> None:
    # Rule profiles are the administrator's: the bureau user would only ever get 403 there.
    who = "admin" if case.operation.method.upper() == "PUT" else "bureau"
    response = case.call(headers={"Authorization": f"Token {tokens[who]}"})
    case.validate_response(response, checks=[not_a_server_error])
