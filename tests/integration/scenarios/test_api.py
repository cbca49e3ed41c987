"""/api/v1/scenarios/: list, create (with the planner's changes), read, evaluate, edit with the
revision rule; the same scope as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from core.models import Role, User
from indicators.selectors import balance_result_get
from scenarios.models import Scenario
from tests.conftest import login
from tests.factories import YEAR, make_user
from tests.integration.scenarios.conftest import BACKBONE, County

pytestmark = pytest.mark.django_db
PROFILE = "quality-2017"
A1, A3 = "1101010001", "1101010003"
URL = "/api/v1/scenarios/"
MOVE = {
    "kind": "move",
    "school_code": A1,
    "to_school_code": A3,
    "level": "primary",
    "teacher_kind": "backbone_teachers",
    "count": 2,
}


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def created(county: County, bureau_client: Client) -> dict[str, Any]:
    response = post(
        bureau_client,
        URL,
        {
            "district_code": county.district.code,
            "year": YEAR,
            "profile_name": PROFILE,
            "name": "规划方案",
            "changes": [{"school_code": A3, "field": "backbone_teachers_primary", "to": 6}],
        },
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_create_read_and_evaluate(created: dict[str, Any], county: County, bureau_client: Client) -> None:
    assert created["changes"] == [{"school_code": A3, "field": "backbone_teachers_primary", "to": 6.0}]
    assert [s["id"] for s in bureau_client.get(URL).json()["results"]] == [created["id"]]
    assert bureau_client.get(f"{URL}{created['id']}/").json()["revision"] == 1
    evaluation = bureau_client.get(f"{URL}{created['id']}/evaluate/").json()["evaluation"]
    assert evaluation["changes"] == [
        {"school_code": A3, "field": "backbone_teachers_primary", "from": float(BACKBONE[A3]), "to": 6.0}
    ]
    cv = evaluation["levels"]["primary"]["indicators"]["backbone_teachers_per100"]["cv"]
    stored = balance_result_get(district=county.district, year=YEAR, profile_name=PROFILE)
    assert stored is not None
    assert cv["base"] == stored.outcome.cv("primary", "backbone_teachers_per100").cv  # type: ignore[union-attr]
    assert cv["scenario"] < cv["base"]
    changed = [u for u in evaluation["units"] if u["changed"]]
    assert [u["school_code"] for u in changed] == [A3]


def test_edit_names_its_revision(created: dict[str, Any], bureau_client: Client) -> None:
    edit = f"{URL}{created['id']}/edit/"
    assert post(bureau_client, edit, MOVE).status_code == 428
    response = post(bureau_client, edit, {**MOVE, "revision": 1})
    assert response.status_code == 200 and response.json()["revision"] == 2
    stale = post(bureau_client, edit, {**MOVE, "revision": 1})
    assert stale.status_code == 409 and stale.json()["current_revision"] == 2
    refused = post(bureau_client, edit, {**MOVE, "count": 99, "revision": 2})
    assert refused.status_code == 400 and "不能调出 99 名" in str(refused.json()["detail"])
    assert Scenario.objects.get().revision == 2


def test_bad_changes_are_refused_on_create(county: County, bureau_client: Client) -> None:
    body = {"district_code": county.district.code, "year": YEAR, "profile_name": PROFILE, "name": "x"}
    for changes in (
        [{"school_code": "0000000000", "field": "sports_area", "to": 1}],
        [{"school_code": A3, "field": "sports_area", "to": -1}],
        [{"school_code": A3, "field": "nonsense", "to": 1}],
    ):
        assert post(bureau_client, URL, {**body, "changes": changes}).status_code == 400
    assert post(bureau_client, URL, {**body, "profile_name": "no-such-profile"}).status_code == 400
    assert not Scenario.objects.exists()


def test_scope_and_roles(
    created: dict[str, Any],
    county: County,
    inspector: User,
    other_bureau_user: User,
    outsider_inspector: User,
) -> None:
    one = f"{URL}{created['id']}/"
    reader = login(inspector)
    assert reader.get(one).status_code == 200 and reader.get(f"{one}evaluate/").status_code == 200
    assert post(reader, f"{one}edit/", {**MOVE, "revision": 1}).status_code == 403
    body = {"district_code": county.district.code, "year": YEAR, "profile_name": PROFILE, "name": "x"}
    assert post(reader, URL, body).status_code == 403
    city = make_user("city_a", Role.CITY)
    city.inspected_districts.add(county.district)
    for outsider in (other_bureau_user, outsider_inspector, city):
        client = login(outsider)
        assert client.get(URL).json()["results"] == []
        assert client.get(one).status_code == 404
        assert client.get(f"{one}evaluate/").status_code == 404
        assert post(client, f"{one}edit/", {**MOVE, "revision": 1}).status_code == 404
    assert post(login(other_bureau_user), URL, body).status_code == 404
    assert Scenario.objects.get().revision == 1
