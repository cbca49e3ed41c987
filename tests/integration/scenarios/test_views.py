"""Scenario pages: open one from the balance page, edit it, see the figures side by side; who may
see and change what (other county 404, inspector reads but cannot edit, city office 403)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import Role, User
from scenarios.models import Scenario
from scenarios.services import scenario_create
from tests.conftest import login
from tests.factories import YEAR, make_user
from tests.integration.scenarios.conftest import County

pytestmark = pytest.mark.django_db
PROFILE = "quality-2017"
A1, A3 = "1101010001", "1101010003"
MOVE = {
    "kind": "move",
    "school_code": A1,
    "to_school_code": A3,
    "level": "primary",
    "teacher_kind": "backbone_teachers",
    "count": "2",
}


@pytest.fixture
def scenario(county: County, bureau_user: User) -> Scenario:
    return scenario_create(
        district=county.district, year=YEAR, profile_name=PROFILE, name="轮岗试算", changes=[], user=bureau_user
    )


def detail(scenario: Scenario) -> str:
    return reverse("scenarios:detail", args=[scenario.pk])


def test_the_balance_page_links_to_scenarios_for_bureau_and_inspectors(
    county: County, bureau_client: Client, inspector_client: Client, district_a: Any
) -> None:
    url = reverse("indicators:balance_page", args=[district_a.code, YEAR, PROFILE])
    for client in (bureau_client, inspector_client):
        assert 'id="open-scenarios"' in client.get(url).content.decode()
    city = make_user("city_a", Role.CITY)
    city.inspected_districts.add(district_a)
    assert 'id="open-scenarios"' not in login(city).get(url).content.decode()


def test_a_clerk_opens_a_scenario_and_moves_two_backbone_teachers(county: County, bureau_client: Client) -> None:
    listing = reverse("scenarios:list", args=[county.district.code])
    assert bureau_client.get(f"{listing}?year={YEAR}&profile={PROFILE}").status_code == 200
    response = bureau_client.post(listing, {"name": "城关一小骨干交流", "year": YEAR, "profile": PROFILE})
    assert response.status_code == 302
    scenario = Scenario.objects.get(name="城关一小骨干交流")
    page = bureau_client.get(detail(scenario)).content.decode()
    assert 'data-changed="1"' not in page
    response = bureau_client.post(detail(scenario), {**MOVE, "revision": "1"})
    assert response.status_code == 302 and response["Location"].endswith("#result")
    page = bureau_client.get(detail(scenario)).content.decode()
    assert 'id="cv-primary-backbone_teachers_per100" data-changed="1"' in page
    assert page.count('data-changed="1"') == 1  # only the backbone CV moved (teachers_primary is not a 2017 term)


def test_a_refused_edit_shows_why_and_changes_nothing(scenario: Scenario, bureau_client: Client) -> None:
    response = bureau_client.post(detail(scenario), {**MOVE, "count": "50", "revision": "1"})
    assert response.status_code == 400
    assert "不能调出 50 名" in response.content.decode()
    response = bureau_client.post(detail(scenario), {**MOVE, "to_school_code": "1101010002", "revision": "1"})
    assert response.status_code == 400 and "同一学段" in response.content.decode()
    response = bureau_client.post(detail(scenario), {**MOVE, "school_code": "0000000000", "revision": "1"})
    assert response.status_code == 400 and "0000000000" in response.content.decode()
    response = bureau_client.post(
        detail(scenario), {"kind": "facility", "school_code": A3, "field": "sports_area", "amount": "-3", "revision": 1}
    )
    assert response.status_code == 400 and "大于 0" in response.content.decode()
    assert bureau_client.post(detail(scenario), MOVE).status_code == 428  # no revision named
    scenario.refresh_from_db()
    assert (scenario.revision, scenario.changes) == (1, [])


def test_a_refusal_is_in_english_in_english_mode(scenario: Scenario, bureau_client: Client) -> None:
    bureau_client.cookies["django_language"] = "en"
    response = bureau_client.post(detail(scenario), {**MOVE, "count": "50", "revision": "1"})
    assert response.status_code == 400
    assert "has only 14 Key teachers" in response.content.decode()


def test_an_inspector_reads_but_cannot_edit(scenario: Scenario, inspector_client: Client) -> None:
    assert inspector_client.get(detail(scenario)).status_code == 200
    page = inspector_client.get(reverse("scenarios:list", args=[scenario.district.code])).content.decode()
    assert "轮岗试算" in page and 'id="scenario-create"' not in page
    assert inspector_client.post(detail(scenario), {**MOVE, "revision": "1"}).status_code == 403
    listing = reverse("scenarios:list", args=[scenario.district.code])
    assert inspector_client.post(listing, {"name": "x", "year": YEAR, "profile": PROFILE}).status_code == 403
    delete = reverse("scenarios:delete", args=[scenario.pk])
    assert inspector_client.post(delete, {"revision": "1"}).status_code == 403
    scenario.refresh_from_db()
    assert scenario.revision == 1 and Scenario.objects.count() == 1


def test_other_counties_and_other_roles_get_nothing(
    scenario: Scenario, other_bureau_user: User, outsider_inspector: User, principal: User, district_a: Any
) -> None:
    city = make_user("city_a", Role.CITY)
    city.inspected_districts.add(district_a)
    listing = reverse("scenarios:list", args=[scenario.district.code])
    for user, status in ((other_bureau_user, 404), (outsider_inspector, 404), (principal, 404), (city, 403)):
        client = login(user)
        assert client.get(detail(scenario)).status_code == status, user
        assert client.get(listing).status_code == status, user
        assert client.post(detail(scenario), {**MOVE, "revision": "1"}).status_code == status, user
    scenario.refresh_from_db()
    assert scenario.revision == 1


def test_the_bureau_deletes_a_scenario(scenario: Scenario, bureau_client: Client) -> None:
    response = bureau_client.post(reverse("scenarios:delete", args=[scenario.pk]), {"revision": "1"})
    assert response.status_code == 302
    assert not Scenario.objects.exists()


def test_in_english_the_pages_show_no_chinese_but_names(
    county: County, scenario: Scenario, bureau_client: Client
) -> None:
    import re

    from schools.models import SchoolVersion

    bureau_client.cookies["django_language"] = "en"
    bureau_client.post(detail(scenario), {**MOVE, "revision": "1"})
    bureau_client.post(
        detail(scenario), {"kind": "merge_point", "school_code": "1101010031", "to_school_code": "", "revision": "2"}
    )
    # Names are data; so is the language menu's 简体中文.
    names = ["简体中文", county.district.name, scenario.name, *SchoolVersion.objects.values_list("name", flat=True)]
    for url in (detail(scenario), reverse("scenarios:list", args=[county.district.code])):
        text = bureau_client.get(url).content.decode()
        for name in sorted(names, key=len, reverse=True):
            text = text.replace(name, "")
        chinese = sorted(set(re.findall(r"[\u4e00-\u9fff]+", text)))
        assert chinese == [], (url, chinese)
