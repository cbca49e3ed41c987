"""API: rule profiles and stored balance results (/api/v1/, issue #8).

Everyone signed in reads the rule profiles; only an administrator's PUT writes one, as a new
version (the rules are data, versioned). Results are listed in the caller's district scope; the
detail is the `balance_summary` shape, `?full=true` the whole stored document.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from core.models import User
from indicators.models import BalanceResult, RuleProfile, RuleProfileVersion
from indicators.results import to_json
from schools.models import School
from tests.factories import YEAR, save_statistics

pytestmark = pytest.mark.django_db

PROFILE = "quality-2017"
PROFILES = reverse("api:profile-list")
RESULTS = reverse("api:result-list")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def put(client: Client, name: str, data: Any) -> Any:
    return client.put(reverse("api:profile-detail", args=[name]), data, content_type="application/json")


def current_definition(name: str = PROFILE) -> dict[str, Any]:
    version = RuleProfile.objects.get(name=name).current_version()
    assert version is not None
    return copy.deepcopy(version.definition)


@pytest.fixture
def results(
    school_a1: School, school_a2: School, school_b1: School, django_capture_on_commit_callbacks: Any
) -> list[BalanceResult]:
    """Stored results for both districts (the recompute runs after each save's commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        save_statistics(school_a1, YEAR)
        save_statistics(school_a2, YEAR, school_type="junior")
        save_statistics(school_a1, YEAR + 1)
        save_statistics(school_b1, YEAR)
    return list(BalanceResult.objects.filter(is_current=True).order_by("district__code", "year", "profile_name"))


# --- rule profiles ---------------------------------------------------------------------------


def test_everyone_reads_the_rule_profiles(
    principal: User, inspector: User, other_bureau_user: User, admin_user: User
) -> None:
    for user in (principal, inspector, other_bureau_user, admin_user):
        listing = client_for(user).get(PROFILES).json()
        names = [row["name"] for row in listing["results"]]
        assert {"quality-2017", "basic-2012"} <= set(names), user
    one = client_for(principal).get(reverse("api:profile-detail", args=[PROFILE])).json()
    assert set(one) == {"name", "label", "province", "version", "definition"}
    assert one["version"] == 1 and one["definition"] == current_definition()
    assert {ind["key"] for ind in one["definition"]["indicators"]} >= {
        "qualified_teachers_per100",
        "multimedia_rooms_per100",
    }
    assert client_for(principal).get(reverse("api:profile-detail", args=["no-such-profile"])).status_code == 404


def test_an_administrator_puts_a_new_version(admin_user: User) -> None:
    definition = current_definition()
    definition["school_rule"]["floor_ratio"] = 0.8
    response = put(client_for(admin_user), PROFILE, {"definition": definition, "note": "省里放宽余项要求"})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response.json()["definition"]["school_rule"]["floor_ratio"] == 0.8
    versions = RuleProfileVersion.objects.filter(profile__name=PROFILE).order_by("version")
    assert [v.version for v in versions] == [1, 2] and versions.get(version=2).note == "省里放宽余项要求"
    assert versions.get(version=2).created_by == admin_user
    assert versions.get(version=1).definition["school_rule"]["floor_ratio"] == 0.85  # history is kept
    event = AuditEvent.objects.filter(object_type="profile", object_id=PROFILE).latest("id")
    assert event.username == admin_user.username and event.reason == "省里放宽余项要求"
    assert event.changes["school_rule"][1]["floor_ratio"] == 0.8


def test_only_an_administrator_writes_rules(bureau_user: User, principal: User, inspector: User) -> None:
    definition = current_definition()
    definition["school_rule"]["floor_ratio"] = 0.8
    for user in (bureau_user, principal, inspector):
        assert put(client_for(user), PROFILE, {"definition": definition, "note": "越权修改"}).status_code == 403
    assert RuleProfileVersion.objects.filter(profile__name=PROFILE).count() == 1


def test_an_invalid_definition_is_refused_with_the_bilingual_message(admin_user: User) -> None:
    definition = current_definition()
    definition["county_rule"] = "nonsense"
    response = put(client_for(admin_user), PROFILE, {"definition": definition, "note": "写错了"})
    assert response.status_code == 400
    (message,) = response.json()["detail"]
    assert "未知县级判定规则" in message and "unknown county_rule" in message and " / " in message
    no_note = put(client_for(admin_user), PROFILE, {"definition": current_definition()})
    assert no_note.status_code == 400 and "note" in no_note.json()
    not_an_object = put(client_for(admin_user), PROFILE, {"definition": ["a"], "note": "列表"})
    assert not_an_object.status_code == 400
    assert RuleProfileVersion.objects.filter(profile__name=PROFILE).count() == 1


def test_profiles_are_not_created_or_deleted_over_the_api(admin_user: User) -> None:
    admin = client_for(admin_user)
    assert admin.post(PROFILES, {"name": "new"}, content_type="application/json").status_code == 405
    assert admin.delete(reverse("api:profile-detail", args=[PROFILE])).status_code == 405


# --- stored results --------------------------------------------------------------------------


def test_results_only_in_scope(
    results: list[BalanceResult], bureau_user: User, other_bureau_user: User, principal: User, admin_user: User
) -> None:
    def listed(user: User, **params: Any) -> list[tuple[str, int, str]]:
        data = client_for(user).get(RESULTS, params).json()
        return [(r["district_code"], r["year"], r["profile_name"]) for r in data["results"]]

    assert listed(bureau_user) == [
        ("110101", YEAR, "basic-2012"),
        ("110101", YEAR, "quality-2017"),
        ("110101", YEAR + 1, "basic-2012"),
        ("110101", YEAR + 1, "quality-2017"),
    ]
    assert listed(other_bureau_user) == [("120101", YEAR, "basic-2012"), ("120101", YEAR, "quality-2017")]
    assert listed(principal) == []  # a principal's scope is the school, not the district's results
    assert len(listed(admin_user)) == 6
    b_result = next(r for r in results if r.district.code == "120101")
    assert client_for(bureau_user).get(reverse("api:result-detail", args=[b_result.pk])).status_code == 404


def test_results_filters(results: list[BalanceResult], bureau_user: User, admin_user: User) -> None:
    bureau = client_for(bureau_user)
    rows = bureau.get(RESULTS, {"year": str(YEAR + 1), "profile": PROFILE}).json()
    assert rows["count"] == 1 and rows["results"][0]["profile_version"] == 1
    assert (rows["results"][0]["year"], rows["results"][0]["profile_name"]) == (YEAR + 1, PROFILE)
    assert bureau.get(RESULTS, {"district": "120101"}).json()["count"] == 0
    assert client_for(admin_user).get(RESULTS, {"district": "120101"}).json()["count"] == 2


def test_result_detail_is_the_summary_and_full_adds_the_terms(results: list[BalanceResult], bureau_user: User) -> None:
    result = next(r for r in results if (r.district.code, r.year, r.profile_name) == ("110101", YEAR, PROFILE))
    url = reverse("api:result-detail", args=[result.pk])
    bureau = client_for(bureau_user)
    summary = bureau.get(url).json()
    assert summary["district_code"] == "110101" and summary["profile_name"] == PROFILE
    assert summary["units_total"] == 2
    document = summary["result"]
    assert set(document) == {"district", "year", "profile", "levels", "units"}
    assert (document["district"], document["year"], document["profile"]) == ("110101", YEAR, PROFILE)
    # The very values the summary projection gives (through JSON, as the client receives them).
    assert document == json.loads(json.dumps(to_json(result.outcome)))
    assert {u["school_code"] for u in document["units"]} == {"1101010001", "1101010002"}
    indicators = document["levels"]["primary"]["indicators"]
    assert all("terms" not in ind for ind in indicators.values())

    full = bureau.get(url, {"full": "true"}).json()["result"]
    assert full == json.loads(json.dumps(to_json(result.outcome, full=True)))
    assert all("terms" in ind for ind in full["levels"]["primary"]["indicators"].values())
    assert set(full) > set(document) and "rules" in full
    assert bureau.get(url, {"full": "no"}).json()["result"] == document


def test_results_are_read_only(results: list[BalanceResult], admin_user: User) -> None:
    admin = client_for(admin_user)
    url = reverse("api:result-detail", args=[results[0].pk])
    assert admin.post(RESULTS, {}, content_type="application/json").status_code == 405
    assert admin.delete(url).status_code == 405
    assert BalanceResult.objects.filter(pk=results[0].pk).exists()
