"""The balance engine from the database: stored results, the commands and the pages (issue #3)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from core.models import User
from indicators import presentation, services
from indicators.models import BalanceResult, BalanceState, RuleProfile
from indicators.results import to_json
from schools.models import District, School
from tests.factories import YEAR, make_school, save_statistics

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(school_a1: School, school_a2: School, django_capture_on_commit_callbacks: Any) -> District:
    """School a1 (primary, 600 students) and a2 (junior) plus a second primary school."""
    with django_capture_on_commit_callbacks(execute=True):
        third = make_school(school_a1.district, "1101010009", "甲县第三小学", "primary")
        save_statistics(school_a1)
        save_statistics(school_a2, school_type="junior")
        save_statistics(third, students_primary=300, teaching_area=900, classes_primary=8, max_class_size_primary=40)
    return school_a1.district


def summary(district: District, profile: str = "quality-2017") -> dict[str, Any]:
    out = StringIO()
    call_command("balance_summary", district=district.code, year=YEAR, profile=profile, json=True, stdout=out)
    return json.loads(out.getvalue())


def test_balance_summary_prints_the_stored_result_in_the_issue_shape(county: District) -> None:
    document = summary(county)
    assert set(document) == {"district", "year", "profile", "levels", "units"}
    assert (document["district"], document["year"], document["profile"]) == (county.code, YEAR, "quality-2017")
    primary = document["levels"]["primary"]
    assert set(primary) == {"units", "indicators", "composite", "passes"} and primary["units"] == 2
    assert primary["composite"] is None  # the 2017 rule has none
    area = primary["indicators"]["teaching_area_per_student"]
    assert set(area) == {"mean", "sd", "cv", "threshold", "passes"} and area["threshold"] == 0.5
    stored = BalanceResult.objects.get(district=county, year=YEAR, profile_name="quality-2017", is_current=True)
    assert document == json.loads(json.dumps(to_json(stored.outcome)))
    unit = next(u for u in document["units"] if u["school_code"] == "1101010009")
    assert set(unit) == {
        "school_code",
        "level",
        "students",
        "included",
        "excluded_reason",
        "values",
        "met",
        "passes",
        "gaps",
    }
    assert unit["values"]["teaching_area_per_student"] == 3.0  # 900 m² ÷ 300 students, full precision
    assert unit["gaps"]["teaching_area_per_student"]["shortfall"] == 450  # 4.5 × 300 − 900 m²


def test_the_2012_profile_has_its_composite(county: District) -> None:
    primary = summary(county, "basic-2012")["levels"]["primary"]
    cvs = [i["cv"] for i in primary["indicators"].values()]
    assert primary["composite"] == pytest.approx(sum(cvs) / len(cvs))


def test_balance_summary_refuses_unknown_inputs(county: District) -> None:
    with pytest.raises(CommandError, match="District not found"):
        call_command("balance_summary", district="999999", year=YEAR, profile="quality-2017", json=True)
    with pytest.raises(CommandError, match="Unknown profile"):
        call_command("balance_summary", district=county.code, year=YEAR, profile="nope", json=True)


def test_recompute_balance_is_idempotent_and_force_recomputes(county: District) -> None:
    before = set(BalanceResult.objects.filter(district=county, is_current=True).values_list("pk", flat=True))
    call_command("recompute_balance", district=county.code, year=YEAR, stdout=StringIO())
    assert set(BalanceResult.objects.filter(district=county, is_current=True).values_list("pk", flat=True)) == before
    call_command("recompute_balance", district=county.code, year=YEAR, force=True, stdout=StringIO())
    after = set(BalanceResult.objects.filter(district=county, is_current=True).values_list("pk", flat=True))
    assert len(after) == 2 and after.isdisjoint(before)


def test_a_new_profile_version_makes_new_results_that_record_it(county: District, admin_user: User) -> None:
    profile = RuleProfile.objects.get(name="quality-2017")
    definition = {**profile.current_version().definition, "subtract_indoor_sports": True}
    version = services.profile_update(profile=profile, definition=definition, user=admin_user, note="本省口径")
    services.balance_recompute(districts=[county], year=YEAR)
    result = BalanceResult.objects.get(district=county, year=YEAR, profile_name="quality-2017", is_current=True)
    assert result.profile_version == version and to_json(result.outcome, full=True)["profile_version"] == 2


def test_the_balance_page_shows_the_stored_figures_and_stale_state(county: District, bureau_client: Client) -> None:
    url = reverse("indicators:balance_page", args=[county.code, YEAR, "quality-2017"])
    stored = BalanceResult.objects.get(district=county, year=YEAR, profile_name="quality-2017", is_current=True)
    cv = to_json(stored.outcome, full=True)["levels"]["primary"]["indicators"]["teaching_area_per_student"]["cv"]
    page = bureau_client.get(url).content.decode()
    assert f"{cv:.3f}" in page and "需增加教学及辅助用房 450 m²" in page
    assert 'id="stale-banner"' not in page
    BalanceState.objects.filter(district=county, year=YEAR).update(stale=True)
    assert 'id="stale-banner"' in bureau_client.get(url).content.decode()


def test_the_balance_page_of_an_unused_profile_is_404(county: District, bureau_client: Client) -> None:
    url = reverse("indicators:balance_page", args=[county.code, YEAR, "no-such-profile"])
    assert bureau_client.get(url).status_code == 404


def test_the_cached_page_sections_follow_a_recompute(
    county: District, bureau_client: Client, school_a1: School, django_capture_on_commit_callbacks: Any
) -> None:
    url = reverse("indicators:balance_page", args=[county.code, YEAR, "quality-2017"])
    assert "需增加教学及辅助用房 450 m²" in bureau_client.get(url).content.decode()  # fills the cache
    third = School.objects.get(code="1101010009")
    stats = third.statistics.get(year=YEAR)
    with django_capture_on_commit_callbacks(execute=True):
        from schools import services as school_services

        school_services.statistics_save(
            school=third,
            year=YEAR,
            raw={**school_services.stat_values(stats), "teaching_area": 1200},
            user=None,
            expected_revision=stats.revision,
        )
    page = bureau_client.get(url).content.decode()
    assert "需增加教学及辅助用房 150 m²" in page and "需增加教学及辅助用房 450 m²" not in page


def test_the_cached_page_sections_follow_the_language_and_a_new_deployment(
    county: District, bureau_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = reverse("indicators:balance_page", args=[county.code, YEAR, "quality-2017"])
    assert "需增加教学及辅助用房 450 m²" in bureau_client.get(url).content.decode()  # fills the cache
    english = bureau_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "teaching and auxiliary rooms: 450 m² short" in english and "需增加" not in english
    # New code that shapes the sections gets its own cache entries, not what the old code made.
    from indicators import views

    monkeypatch.setattr(presentation, "gap_text", lambda gap: "新的措辞")
    assert "需增加教学及辅助用房 450 m²" in bureau_client.get(url).content.decode()  # still cached
    monkeypatch.setattr(views, "display_version", lambda: "next-release")
    assert "新的措辞" in bureau_client.get(url).content.decode()
