"""The cheap identity the reports use to reuse a rendered file (assessment part)."""

from __future__ import annotations

import pytest

from assessment import selectors, services
from assessment.problems import services as problem_services
from assessment.survey import services as survey_services
from core.models import User
from indicators.models import RuleProfile
from schools.models import School
from tests.factories import YEAR

pytestmark = pytest.mark.django_db
PROFILE = "quality-2017"


def test_identity_is_stable_and_changes_with_entered_figures_problems_and_surveys(
    school_a1: School, bureau_user: User
) -> None:
    district = school_a1.district
    first = selectors.report_identity(district, YEAR, PROFILE)
    assert selectors.report_identity(district, YEAR, PROFILE) == first

    version = selectors.checklist_version_for(RuleProfile.objects.get(name=PROFILE))
    assert version is not None
    item = next(i for i in selectors.checklist_of(version).items if i.judge == "entered" and i.inputs)
    services.item_entry_save(district=district, year=YEAR, item=item, raw={}, user=bureau_user)
    after_entry = selectors.report_identity(district, YEAR, PROFILE)
    assert after_entry != first

    problem_services.problem_create(
        district=district,
        year=YEAR,
        title="运动场地不足",
        detail="",
        owner="",
        deadline=None,
        school=None,
        user=bureau_user,
    )
    after_problem = selectors.report_identity(district, YEAR, PROFILE)
    assert after_problem != after_entry

    survey_services.survey_open(district=district, year=YEAR, user=bureau_user)
    assert selectors.report_identity(district, YEAR, PROFILE) != after_problem
    assert selectors.report_identity(district, YEAR + 1, PROFILE) != selectors.report_identity(district, YEAR, PROFILE)
