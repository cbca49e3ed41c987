"""demo.assessment.seed_assessment: entered figures, a survey with a few hundred responses and
problems, built through the services; idempotent."""

from __future__ import annotations

import pytest

from assessment.models import ItemEntry, Problem, Survey, SurveyResponse
from demo.assessment import DEMO_FIGURES, seed_assessment
from indicators.services import balance_recompute
from schools import services as school_services
from schools.models import District, School
from tests.factories import YEAR, save_statistics

pytestmark = pytest.mark.django_db


def test_seed_assessment_builds_a_plausible_county_once(
    district_a: District, school_a1: School, school_a2: School
) -> None:
    for school, kind in ((school_a1, "primary"), (school_a2, "junior")):
        stats = save_statistics(school, school_type=kind)
        school_services.statistics_approve(stats=school_services.statistics_submit(stats=stats, user=None), user=None)
    district_a.resident_population = 412_600
    district_a.save()
    balance_recompute(districts=[district_a], year=YEAR)
    seed_assessment(district_a)
    assert ItemEntry.objects.filter(district=district_a, year=YEAR).count() == len(DEMO_FIGURES)
    survey = Survey.objects.get(district=district_a, year=YEAR)
    responses = SurveyResponse.objects.filter(survey=survey)
    assert 600 <= responses.count() <= 700
    assert responses.filter(group="parent").count() >= 310
    assert Problem.objects.filter(district=district_a, source="manual").count() == 3
    assert Problem.objects.filter(district=district_a, key="item:G11").exists()  # 骨干 17.7 % < 20 %
    counts = (ItemEntry.objects.count(), SurveyResponse.objects.count(), Problem.objects.count())
    seed_assessment(district_a)
    assert (ItemEntry.objects.count(), SurveyResponse.objects.count(), Problem.objects.count()) == counts
