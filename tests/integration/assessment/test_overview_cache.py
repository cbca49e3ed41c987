"""The county assessment overview (the county's dashboard) is cached as rendered HTML under the
stored versions of the district's data and the shared rules: a hit judges nothing and reads no
statistics, and every change of what it shows (statistics, entries, problems, the rules) is seen
on the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import User
from indicators.models import RuleProfile
from schools.models import District, School
from tests.factories import YEAR, make_problem, save_statistics

pytestmark = pytest.mark.django_db
PROFILE = "quality-2017"


def overview(client: Client, district: District) -> str:
    response = client.get(reverse("assessment:overview", args=[district.code, YEAR, PROFILE]))
    assert response.status_code == 200
    return str(response.content.decode())


def part(page: str, name: str) -> str:
    return page.split(f'id="{name}"')[1].split("</section>")[0]


def test_a_cached_overview_judges_nothing(bureau_client: Client, district_a: District, school_a1: School) -> None:
    save_statistics(school_a1, max_class_size_primary=46)
    first = overview(bureau_client, district_a)
    with CaptureQueriesContext(connection) as queries:
        second = overview(bureau_client, district_a)
    reads = " ".join(q["sql"] for q in queries.captured_queries)
    for table in ("schools_annualstatistics", "assessment_checklistversion", "assessment_problem"):
        assert table not in reads
    for name in ("county-verdict", "part-guarantee", "part-quality", "open-problems"):
        assert part(second, name) == part(first, name)


def test_the_overview_follows_statistics_entries_problems_and_rules(
    bureau_client: Client, inspector_client: Client, district_a: District, school_a1: School
) -> None:
    save_statistics(school_a1)
    before = overview(bureau_client, district_a)
    assert "没有待整改的问题" in part(before, "open-problems")
    save_statistics(school_a1, max_class_size_primary=46)
    after_stats = overview(inspector_client, district_a)  # another user: the same shared fragment, renewed
    assert part(after_stats, "part-guarantee") != part(before, "part-guarantee")
    assert "G15" in part(after_stats, "part-guarantee")
    entry = reverse("assessment:entry", args=[district_a.code, YEAR, PROFILE, "G15"])
    assert bureau_client.post(entry, {"in_value": "88.5", "in_care": "true"}).status_code == 302
    assert "G15" not in part(overview(bureau_client, district_a), "part-guarantee")
    make_problem(district_a, "功能室不足的整改")
    assert "功能室不足的整改" in part(overview(bureau_client, district_a), "open-problems")
    RuleProfile.objects.filter(name=PROFILE).update(label="改过名的规则")
    assert "改过名的规则" in part(overview(bureau_client, district_a), "county-verdict")


def test_another_county_keeps_its_own_overview(
    bureau_client: Client, other_bureau_user: User, district_a: District, district_b: District
) -> None:
    make_problem(district_a, "甲县的问题")
    assert "甲县的问题" in overview(bureau_client, district_a)
    other = Client()
    other.force_login(other_bureau_user)
    assert "甲县的问题" not in overview(other, district_b)
    assert other.get(reverse("assessment:overview", args=[district_a.code, YEAR, PROFILE])).status_code == 404
