"""The school list's table is cached as rendered HTML under the stored versions of its data
(core.identity.district_versions): a hit reads no school rows, and every change a user can make
to what it shows gives a new key, so nobody sees a stale table."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.identity import district_versions
from core.models import User
from schools import services
from schools.models import AnnualStatistics, District, School
from tests.factories import YEAR, save_statistics

pytestmark = pytest.mark.django_db


def list_url(district: District, year: int = YEAR) -> str:
    return reverse("schools:school_list", args=[district.code]) + f"?year={year}"


def row_of(page: str, school: School) -> str:
    rows = page.split('id="school-list"')[1].split("<tr>")
    return next(r for r in rows if school.code in r)


def get(client: Client, district: District, year: int = YEAR, **extra: Any) -> str:
    response = client.get(list_url(district, year), **extra)
    assert response.status_code == 200
    return str(response.content.decode())


def test_a_cached_list_reads_no_school_rows(bureau_client: Client, school_a1: School, school_a2: School) -> None:
    save_statistics(school_a1)
    first = get(bureau_client, school_a1.district)
    with CaptureQueriesContext(connection) as queries:
        second = get(bureau_client, school_a1.district)
    reads = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in reads if "schools_schoolversion" in sql or '"schools_annualstatistics"."status"' in sql]
    # session, user, district, the years to choose from, the data versions, the header's districts
    # and unread notifications; the default year only when the address names none
    assert len(reads) <= 7
    assert row_of(second, school_a1) == row_of(first, school_a1)


def test_the_list_follows_saves_submits_and_renames(
    bureau_client: Client, bureau_user: User, school_a1: School, school_a2: School
) -> None:
    district = school_a1.district
    assert "未填报" in row_of(get(bureau_client, district), school_a1)
    stats = save_statistics(school_a1)
    assert "草稿" in row_of(get(bureau_client, district), school_a1)
    services.statistics_submit(stats=stats, user=bureau_user)
    assert "已提交" in row_of(get(bureau_client, district), school_a1)
    services.school_change(school=school_a2, year=YEAR, user=bureau_user, name="甲县改名初级中学")
    assert "甲县改名初级中学" in row_of(get(bureau_client, district), school_a2)
    # A write that bypasses the services (a queryset update) is seen too: the triggers keep the versions.
    AnnualStatistics.objects.filter(pk=stats.pk).update(unconfirmed=True)
    assert "待确认" in row_of(get(bureau_client, district), school_a1)


def test_the_key_changes_with_any_write_and_only_for_its_district_and_year(
    school_a1: School, school_b1: School
) -> None:
    def key(school: School, year: int = YEAR) -> str | None:
        return district_versions(school.district_id, parts=("school", "version", "statistics"), years=(year,))

    before, other, next_year = key(school_a1), key(school_b1), key(school_a1, YEAR + 1)
    save_statistics(school_a1)
    assert key(school_a1) != before
    assert key(school_b1) == other  # another county's list stays cached
    assert key(school_a1, YEAR + 1) == next_year  # and so does another year of this one


def test_each_user_sees_their_own_rights_and_language(
    bureau_client: Client, inspector_client: Client, school_a1: School
) -> None:
    stats = save_statistics(school_a1)
    AnnualStatistics.objects.filter(pk=stats.pk).update(unconfirmed=True)
    district = school_a1.district
    assert "confirm-button" in get(bureau_client, district)  # cached with the bureau's rights first
    page = get(inspector_client, district)
    assert "待确认" in row_of(page, school_a1)
    assert "confirm-button" not in page and "confirm-form" not in page
    english = get(inspector_client, district, HTTP_ACCEPT_LANGUAGE="en")
    assert "Awaiting confirmation" in row_of(english, school_a1) and "待确认" not in row_of(english, school_a1)


def test_the_confirm_button_posts_the_pages_form_with_its_token(bureau_user: User, school_a1: School) -> None:
    stats = save_statistics(school_a1, YEAR)
    AnnualStatistics.objects.filter(pk=stats.pk).update(unconfirmed=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau_user)
    page = get(client, school_a1.district)
    form = re.search(r'<form method="post" id="confirm-form"[^>]*>(.*?)</form>', page)
    button = re.search(r'<button[^>]*form="confirm-form" formaction="([^"]+)"', row_of(page, school_a1))
    assert form is not None and button is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form[1]))
    response = client.post(button[1], fields)
    assert response.status_code == 302 and response["Location"] == list_url(school_a1.district)
    assert not AnnualStatistics.objects.get(pk=stats.pk).unconfirmed
    assert "待确认" not in row_of(get(client, school_a1.district), school_a1)


def test_without_stored_versions_nothing_is_cached(
    bureau_client: Client, school_a1: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off PostgreSQL (SQLite in development) there are no triggers and so no versions: the table
    is drawn on every request."""
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert district_versions(school_a1.district_id, parts=("statistics",)) is None
    assert "未填报" in row_of(get(bureau_client, school_a1.district), school_a1)
    AnnualStatistics.objects.filter(school=school_a1).delete()
    save_statistics(school_a1)
    assert "草稿" in row_of(get(bureau_client, school_a1.district), school_a1)
