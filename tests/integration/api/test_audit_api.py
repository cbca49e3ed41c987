"""API: the audit trail (/api/v1/audit/, issue #8): read-only, in the caller's scope, filterable.

Each change made through the API leaves its event (who, when, old → new, reason); a user sees
the events of the schools and districts in their scope, and rule-profile changes, which concern
everyone.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from core.models import User
from indicators import services as indicator_services
from indicators.models import RuleProfile
from schools import services
from schools.models import AnnualStatistics, School
from tests.factories import YEAR, primary_values, save_statistics

pytestmark = pytest.mark.django_db

AUDIT = reverse("api:audit-list")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(user: User, **params: Any) -> list[dict[str, Any]]:
    response = client_for(user).get(AUDIT, params)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == len(data["results"]) and data["next"] is None
    return list(data["results"])


def summary(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["object_type"], row["action"], row["school_code"], row["year"])


@pytest.fixture
def history(
    school_a1: School, school_a2: School, school_b1: School, bureau_user: User, principal: User, admin_user: User
) -> None:
    """A little history in both districts, and one rule-profile change."""
    stats = save_statistics(school_a1, YEAR, user=principal)
    services.statistics_save(
        school=school_a1,
        year=YEAR,
        raw=primary_values(books=30000),
        user=principal,
        reasons={"books": "新建图书室"},
        expected_revision=1,
    )
    services.statistics_submit(stats=stats, user=principal)
    save_statistics(school_a2, YEAR + 1, school_type="junior", user=bureau_user)
    services.school_change(school=school_a2, year=YEAR + 1, user=bureau_user, name="甲县第二中学", note="更名")
    save_statistics(school_b1, YEAR)
    profile = RuleProfile.objects.get(name="quality-2017")
    definition = copy.deepcopy(profile.current_version().definition)
    definition["school_rule"]["floor_ratio"] = 0.8
    indicator_services.profile_update(profile=profile, definition=definition, user=admin_user, note="放宽余项")


def test_events_in_scope(
    history: None,
    school_a1: School,
    school_a2: School,
    school_b1: School,
    bureau_user: User,
    principal: User,
    other_bureau_user: User,
    inspector: User,
    admin_user: User,
) -> None:
    def schools(user: User) -> set[str | None]:
        return {row["school_code"] for row in rows(user)}

    assert schools(bureau_user) == schools(inspector) == {school_a1.code, school_a2.code, None}
    assert schools(principal) == {school_a1.code, None}
    assert schools(other_bureau_user) == {school_b1.code, None}
    assert schools(admin_user) == {school_a1.code, school_a2.code, school_b1.code, None}
    # The events without a school are the rule-profile change, which everyone sees.
    for user in (bureau_user, principal, other_bureau_user):
        (profile_event,) = [row for row in rows(user) if row["school_code"] is None]
        assert profile_event["object_type"] == "profile" and profile_event["object_id"] == "quality-2017"


def test_an_event_says_who_what_old_new_and_why(history: None, school_a1: School, principal: User) -> None:
    events = rows(principal, school=school_a1.code, object_type="statistics")
    # Newest first: the submission, the change of the book count, the creation.
    assert [row["action"] for row in events] == ["submit", "save", "create"]
    change = events[1]
    assert change["username"] == principal.username and change["district_code"] == "110101"
    assert change["changes"] == {"books": [20000, 30000]}
    assert "新建图书室" in change["reason"]
    assert set(change) == {
        "id",
        "at",
        "username",
        "action",
        "object_type",
        "object_id",
        "district_code",
        "school_code",
        "year",
        "summary",
        "changes",
        "reason",
        # Beside the machine keys, what the history pages show (issue #14).
        "action_label",
        "object_type_label",
        "user_display",
        "user_role",
        "changes_labelled",
    }
    assert change["changes_labelled"] == [{"field": "books", "label": "图书", "old": "20000", "new": "30000"}]
    assert change["object_id"] == str(AnnualStatistics.objects.get(school=school_a1, year=YEAR).pk)
    detail = client_for(principal).get(reverse("api:audit-detail", args=[change["id"]])).json()
    assert detail == change


def test_filters(history: None, school_a1: School, school_a2: School, bureau_user: User, admin_user: User) -> None:
    assert {summary(row) for row in rows(bureau_user, year=YEAR + 1)} == {
        ("statistics", "create", school_a2.code, YEAR + 1),
        ("school", "school_change", school_a2.code, YEAR + 1),
    }
    (renamed,) = rows(bureau_user, object_type="school", school=school_a2.code, year=YEAR + 1)
    assert renamed["changes"]["name"] == ["甲县实验初级中学", "甲县第二中学"] and renamed["reason"] == "更名"
    assert {row["school_code"] for row in rows(bureau_user, district="110101")} == {school_a1.code, school_a2.code}
    assert rows(bureau_user, district="120101") == []  # another district: nothing in scope
    assert {row["school_code"] for row in rows(admin_user, district="120101")} == {"1201010001"}
    assert [row["object_id"] for row in rows(bureau_user, object_type="profile")] == ["quality-2017"]
    assert client_for(bureau_user).get(AUDIT, {"year": "last"}).status_code == 400


def test_api_changes_are_recorded_with_the_api_user(school_a1: School, bureau_user: User) -> None:
    client = client_for(bureau_user)
    values = {k: (float(v) if isinstance(v, str) else v) for k, v in primary_values().items()}
    created = client.post(
        reverse("api:statistics-list"),
        {"school_code": school_a1.code, "year": YEAR, **values},
        content_type="application/json",
    )
    assert created.status_code == 201
    reopen = reverse("api:statistics-reopen", args=[created.json()["id"]])
    client.post(reverse("api:statistics-submit", args=[created.json()["id"]]), content_type="application/json")
    client.post(reopen, {"reason": "学生数有误"}, content_type="application/json")
    events = rows(bureau_user, school=school_a1.code, object_type="statistics")
    assert [(row["action"], row["username"]) for row in events] == [
        ("reopen", bureau_user.username),
        ("submit", bureau_user.username),
        ("create", bureau_user.username),
    ]
    assert events[0]["reason"] == "学生数有误"


def test_another_districts_event_is_not_found(history: None, school_b1: School, bureau_user: User) -> None:
    event = AuditEvent.objects.filter(school=school_b1).first()
    assert event is not None
    assert client_for(bureau_user).get(reverse("api:audit-detail", args=[event.pk])).status_code == 404


def test_the_trail_is_read_only_over_the_api(history: None, admin_user: User) -> None:
    event = AuditEvent.objects.order_by("id").first()
    assert event is not None
    admin = client_for(admin_user)
    url = reverse("api:audit-detail", args=[event.pk])
    assert admin.post(AUDIT, {"action": "forged"}, content_type="application/json").status_code == 405
    assert admin.put(url, {"reason": "改写"}, content_type="application/json").status_code == 405
    assert admin.delete(url).status_code == 405
    assert AuditEvent.objects.get(pk=event.pk).reason == event.reason
