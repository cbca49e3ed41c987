"""A principal lands on the school's own standing ("我的学校", issue #14 item 2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import User
from indicators.models import BalanceResult
from indicators.presentation import gap_text
from schools.models import District, School
from tests.conftest import login
from tests.factories import make_school, save_statistics

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(school_a1: School, school_a2: School, django_capture_on_commit_callbacks: Any) -> District:
    with django_capture_on_commit_callbacks(execute=True):
        third = make_school(school_a1.district, "1101010009", "甲县第三小学", "primary")
        save_statistics(school_a1, students_primary=600, teaching_area=1500)
        save_statistics(school_a2, school_type="junior")
        save_statistics(third, students_primary=300, teaching_area=2400)
    return school_a1.district


def test_the_principal_lands_on_the_schools_standing(county: District, principal: User, school_a1: School) -> None:
    client = login(principal)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("plans:school_standing", args=[school_a1.code])
    page = response.content.decode()
    result = BalanceResult.objects.get(district=county, profile_name="quality-2017", is_current=True)
    unit = result.outcome.units_of(school_a1.code)[0]
    assert "甲县城关第一小学" in page
    verdict = {True: "达标", False: "未达标", None: "无法判定"}[unit.passes]
    assert f'id="school-verdict">{verdict}<' in page
    assert f"{unit.met}/{unit.assessed}" in page
    assert f"至少 {result.outcome.profile.school_rule.min_met} 项达到标准" in page  # the rule, from the profile
    for gap in unit.gaps.values():
        assert gap_text(gap) in page  # the gap in real units, as stored
    share = next(
        t.share
        for t in result.outcome.cv("primary", "teaching_area_per_student").terms
        if t.school_code == school_a1.code
    )
    assert f"{share * 100:.1f}%" in page  # the school's part in the county CV
    assert "我的学校" in page  # in the principal's navigation


def test_the_standing_lists_what_is_due_with_dates(county: District, principal: User, school_a1: School) -> None:
    from core.years import current_school_year

    year = current_school_year()
    page = login(principal).get(reverse("plans:school_standing", args=[school_a1.code])).content.decode()
    assert f"{year}-09-20" in page and f"{year}—{year + 1}学年统计数据" in page


def test_the_standing_in_english(county: District, principal: User, school_a1: School) -> None:
    client = login(principal)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("plans:school_standing", args=[school_a1.code]), HTTP_ACCEPT_LANGUAGE="en").content
    text = page.decode()
    assert "My school" in text and "met" in text
    assert "学年待办" not in text and "本校所占份额" not in text


def test_only_who_may_see_the_school_sees_its_standing(
    county: District, other_principal: User, other_bureau_user: User, bureau_client: Client, school_a1: School
) -> None:
    url = reverse("plans:school_standing", args=[school_a1.code])
    assert login(other_principal).get(url).status_code == 404
    assert login(other_bureau_user).get(url).status_code == 404
    assert bureau_client.get(url).status_code == 200
    assert bureau_client.get(reverse("plans:my_school")).status_code == 404
