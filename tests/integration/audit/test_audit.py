"""The audit trail: every change recorded append-only with who, when, old → new and why (issue #8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from core.models import User
from indicators import services as indicator_services
from indicators.models import RuleProfile
from plans import services as plan_services
from schools import services
from schools.models import School
from tests.factories import YEAR, primary_values, save_statistics

pytestmark = pytest.mark.django_db


def events(**filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def test_a_statistics_save_records_who_old_new_and_reason(school_a1: School, bureau_user: User) -> None:
    save_statistics(school_a1, user=bureau_user)
    services.statistics_save(
        school=school_a1,
        year=YEAR,
        raw=primary_values(books=30000),
        user=bureau_user,
        reasons={"books": "新建图书室"},
        expected_revision=1,
    )
    last = events(object_type="statistics", school=school_a1)[-1]
    assert last.username == bureau_user.username and last.year == YEAR
    assert last.changes == {"books": [primary_values()["books"], 30000]}
    assert "新建图书室" in last.reason


def test_workflow_steps_are_recorded(school_a1: School, bureau_user: User) -> None:
    stats = save_statistics(school_a1, user=bureau_user)
    stats = services.statistics_submit(stats=stats, user=bureau_user)
    stats = services.statistics_approve(stats=stats, user=bureau_user)
    services.statistics_reopen(stats=stats, user=bureau_user, reason="学生数有误")
    actions = [e.action for e in events(object_type="statistics", school=school_a1)]
    assert actions == ["create", "submit", "approve", "reopen"]
    assert events(action="reopen")[0].reason == "学生数有误"


def test_a_school_change_records_old_and_new_values(school_a1: School, bureau_user: User) -> None:
    services.school_change(school=school_a1, year=YEAR + 1, user=bureau_user, name="甲县实验小学", note="更名")
    last = events(object_type="school", school=school_a1)[-1]
    assert last.action == "school_change" and last.year == YEAR + 1
    assert last.changes["name"][1] == "甲县实验小学" and last.reason == "更名"


def test_plan_edits_and_profile_versions_are_recorded(school_a1: School, principal: User, admin_user: User) -> None:
    plan = plan_services.plan_create(school=school_a1, start_year=YEAR, title="三年规划", user=principal)
    plan_services.plan_save_sections(
        expected_revision=plan.revision, plan=plan, data={"strengths": "校风正"}, user=principal
    )
    saved = events(object_type="plan", action="save")[-1]
    assert saved.changes == {"strengths": ["", "校风正"]} and saved.username == principal.username

    profile = RuleProfile.objects.get(name="quality-2017")
    definition = {**profile.current_version().definition, "subtract_indoor_sports": True}
    indicator_services.profile_update(profile=profile, definition=definition, user=admin_user, note="本省口径")
    change = events(object_type="profile")[-1]
    assert change.changes["subtract_indoor_sports"] == [False, True] and change.reason == "本省口径"


def test_audit_rows_cannot_be_changed_or_deleted(school_a1: School, bureau_user: User) -> None:
    save_statistics(school_a1, user=bureau_user)
    event = events()[-1]
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    if connection.vendor == "postgresql":  # the database refuses it too
        for sql in ("UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditevent"):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    assert AuditEvent.objects.filter(pk=event.pk, reason=event.reason).exists()


def test_history_page_per_school_and_year(school_a1: School, bureau_user: User, bureau_client: Client) -> None:
    save_statistics(school_a1, user=bureau_user)
    save_statistics(school_a1, YEAR + 1, user=bureau_user)
    url = reverse("audit:school_history", args=[school_a1.code])
    assert bureau_client.get(url).content.decode().count("<tr>") >= 3
    only = bureau_client.get(url, {"year": YEAR + 1}).content.decode()
    assert f"<td>{YEAR + 1}</td>" in only and f"<td>{YEAR}</td>" not in only


def test_history_is_scoped(school_a1: School, other_bureau_user: User, bureau_user: User) -> None:
    save_statistics(school_a1, user=bureau_user)
    outsider = Client()
    outsider.force_login(other_bureau_user)
    assert outsider.get(reverse("audit:school_history", args=[school_a1.code])).status_code == 404
    listing = outsider.get(reverse("api:audit-list")).json()
    assert all(row["school_code"] != school_a1.code for row in listing["results"])
