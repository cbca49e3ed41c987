"""A district's current assessment profile: its pages and forms open on it (issue #14, item 1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import User
from indicators import selectors
from indicators.models import CurrentProfile, RuleProfile
from schools.models import District, School
from tests.conftest import login
from tests.factories import YEAR, make_school, save_statistics

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(school_a1: School, school_a2: School, django_capture_on_commit_callbacks: Any) -> District:
    with django_capture_on_commit_callbacks(execute=True):
        third = make_school(school_a1.district, "1101010009", "甲县第三小学", "primary")
        save_statistics(school_a1)
        save_statistics(school_a2, school_type="junior")
        save_statistics(third, students_primary=300, teaching_area=900)
    return school_a1.district


def test_the_balance_page_opens_on_the_2017_profile_although_2012_sorts_first(
    county: District, bureau_client: Client
) -> None:
    names = [p.name for p in selectors.profiles_for_district(county)]
    assert names.index("basic-2012") < names.index("quality-2017")  # the old default took the first
    response = bureau_client.get(reverse("indicators:balance_home", args=[county.code]))
    assert response.status_code == 302 and response["Location"].endswith("/quality-2017/")


def test_the_2012_view_says_what_it_shows_and_judges_no_school(county: District, bureau_client: Client) -> None:
    page = bureau_client.get(reverse("indicators:balance_page", args=[county.code, YEAR, "basic-2012"])).content
    text = page.decode()
    assert 'id="profile-note"' in text and "不设学校达标标准" in text and "本规则不设学校标准" in text
    assert "0/0" not in text
    current = bureau_client.get(reverse("indicators:balance_page", args=[county.code, YEAR, "quality-2017"]))
    assert 'id="profile-note"' not in current.content.decode()


def test_whoever_configures_sets_the_current_profile_and_everything_follows(
    county: District, admin_user: User, bureau_client: Client
) -> None:
    url = reverse("indicators:district_profiles", args=[county.code])
    assert bureau_client.post(url, {"current": "basic-2012"}).status_code == 403  # bureau staff do not configure
    assert not CurrentProfile.objects.exists()
    admin = login(admin_user)
    assert admin.post(url, {"current": "no-such"}).status_code == 302
    assert not CurrentProfile.objects.exists()
    admin.post(url, {"current": "basic-2012"})
    assert CurrentProfile.objects.get(district=county).profile.name == "basic-2012"
    assert bureau_client.get(reverse("indicators:balance_home", args=[county.code]))["Location"].endswith(
        "/basic-2012/"
    )
    form = bureau_client.get(reverse("reports:district_reports", args=[county.code])).content.decode()
    assert '<option value="basic-2012" selected>' in form
    assessment = bureau_client.get(reverse("assessment:home", args=[county.code]))
    assert assessment.status_code == 302


def test_the_reports_form_and_the_assessment_open_on_the_current_profile(
    county: District, bureau_client: Client
) -> None:
    form = bureau_client.get(reverse("reports:district_reports", args=[county.code])).content.decode()
    assert '<option value="quality-2017" selected>' in form
    assert bureau_client.get(reverse("assessment:home", args=[county.code]))["Location"].endswith("/quality-2017/")


def test_a_current_profile_the_district_no_longer_uses_falls_back(county: District) -> None:
    CurrentProfile.objects.create(district=county, profile=RuleProfile.objects.get(name="basic-2012"))
    province = RuleProfile.objects.create(name="prov-2017", label="本省优质均衡", province="测试省")
    assert selectors.current_profile(county).name == "basic-2012"
    province.districts.add(county)
    # prov-2017 has no version: the district's only profile, so it is current whatever was stored.
    assert selectors.current_profile(county).name == "prov-2017"


def test_another_countys_user_cannot_see_or_set_it(county: District, other_bureau_user: User) -> None:
    client = login(other_bureau_user)
    assert client.get(reverse("indicators:district_profiles", args=[county.code])).status_code == 404
    assert client.post(reverse("indicators:district_profiles", args=[county.code]), {"current": "x"}).status_code == 404


def test_setting_the_current_profile_is_in_the_districts_history(county: District, admin_user: User) -> None:
    from audit.models import AuditEvent

    admin = login(admin_user)
    url = reverse("indicators:district_profiles", args=[county.code])
    admin.post(url, {"current": "basic-2012"})
    admin.post(url, {"current": "basic-2012"})  # the same choice again: nothing changed, nothing recorded
    (event,) = AuditEvent.objects.filter(district=county, action="current_profile")
    assert event.user == admin_user
    basic = RuleProfile.objects.get(name="basic-2012")
    assert event.changes == {"current": [None, basic.label]}
    history = admin.get(reverse("audit:district_history", args=[county.code])).content.decode()
    assert "设定当前评估规则" in history and "current_profile" not in history
