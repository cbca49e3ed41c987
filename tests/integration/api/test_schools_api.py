"""API: districts, schools and annual statistics with their workflow (/api/v1/, issue #8).

The URL walker (tests/integration/test_access.py) already checks that users outside district A
get nothing from any endpoint; these tests check what the users inside get and may do: filters,
pagination, the data dictionary's keys, create and replace with the validation rules, the
optimistic lock, the workflow actions with their permissions, and both ways to authenticate.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core.models import User
from schools import services
from schools.fields import STAT_KEYS
from schools.models import AnnualStatistics, District, School, Status
from tests.factories import PASSWORD, YEAR, make_school, primary_values, save_statistics

pytestmark = pytest.mark.django_db

STATISTICS = reverse("api:statistics-list")
SCHOOLS = reverse("api:school-list")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, data: Any = None, **extra: Any) -> Any:
    return client.post(url, data if data is not None else {}, content_type="application/json", **extra)


def detail(stats: AnnualStatistics) -> str:
    return reverse("api:statistics-detail", args=[stats.pk])


def action(stats: AnnualStatistics, name: str) -> str:
    return reverse(f"api:statistics-{name}", args=[stats.pk])


def body(school: School, year: int = YEAR, **overrides: Any) -> dict[str, Any]:
    """A complete statistics payload (JSON numbers, as an API client sends them)."""
    values = {k: (float(v) if isinstance(v, str) else v) for k, v in primary_values().items()}
    return {"school_code": school.code, "year": year, **values, **overrides}


def codes(response: Any, key: str) -> list[Any]:
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


# --- authentication ---------------------------------------------------------------------------


def test_unauthenticated_requests_are_refused(school_a1: School) -> None:
    anonymous = Client()
    for url in (STATISTICS, SCHOOLS, reverse("api:district-list")):
        assert anonymous.get(url).status_code in (401, 403)
    assert post(anonymous, STATISTICS, body(school_a1)).status_code in (401, 403)
    assert post(anonymous, STATISTICS, body(school_a1), HTTP_AUTHORIZATION="Token not-a-token").status_code in (
        401,
        403,
    )
    assert not AnnualStatistics.objects.exists()


def test_token_authentication_reads_and_writes(school_a1: School, bureau_user: User) -> None:
    client = Client()
    issued = client.post(reverse("api:token"), {"username": bureau_user.username, "password": PASSWORD})
    assert issued.status_code == 200
    token = issued.json()["token"]
    assert token == Token.objects.get(user=bureau_user).key
    created = post(client, STATISTICS, body(school_a1), HTTP_AUTHORIZATION=f"Token {token}")
    assert created.status_code == 201, created.content
    assert AnnualStatistics.objects.get(school=school_a1, year=YEAR).updated_by == bureau_user
    listing = client.get(STATISTICS, HTTP_AUTHORIZATION=f"Token {token}")
    assert codes(listing, "school_code") == [school_a1.code]
    assert client.get(STATISTICS).status_code in (401, 403)  # the token, not a session, authenticated


def test_session_authentication_reads_and_writes(school_a1: School, bureau_client: Client) -> None:
    assert codes(bureau_client.get(SCHOOLS), "school_code") == [school_a1.code]
    assert post(bureau_client, STATISTICS, body(school_a1)).status_code == 201


def test_session_writes_need_the_csrf_token(school_a1: School, bureau_user: User) -> None:
    """A browser session may not be ridden by another site: without the CSRF token a POST is 403."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau_user)
    assert client.get(STATISTICS).status_code == 200
    assert post(client, STATISTICS, body(school_a1)).status_code == 403
    assert not AnnualStatistics.objects.exists()


# --- districts and schools -------------------------------------------------------------------


def test_districts_in_scope(
    district_a: District, district_b: District, admin_user: User, bureau_user: User, inspector: User, principal: User
) -> None:
    url = reverse("api:district-list")
    assert codes(client_for(admin_user).get(url), "district_code") == [district_a.code, district_b.code]
    assert codes(client_for(bureau_user).get(url), "district_code") == [district_a.code]
    assert codes(client_for(inspector).get(url), "district_code") == [district_a.code]
    assert codes(client_for(principal).get(url), "district_code") == []
    one = client_for(bureau_user).get(reverse("api:district-detail", args=[district_a.code])).json()
    assert one == {"district_code": "110101", "name": "甲测试县", "province": "测试省", "resident_population": None}
    assert client_for(bureau_user).get(reverse("api:district-detail", args=[district_b.code])).status_code == 404


def test_schools_in_scope_filtered_by_district(
    school_a1: School, school_a2: School, school_b1: School, admin_user: User, bureau_user: User, principal: User
) -> None:
    admin = client_for(admin_user)
    assert codes(admin.get(SCHOOLS), "school_code") == [school_a1.code, school_a2.code, school_b1.code]
    assert codes(admin.get(SCHOOLS, {"district": "120101"}), "school_code") == [school_b1.code]
    assert codes(client_for(bureau_user).get(SCHOOLS), "school_code") == [school_a1.code, school_a2.code]
    assert codes(client_for(bureau_user).get(SCHOOLS, {"district": "120101"}), "school_code") == []
    assert codes(client_for(principal).get(SCHOOLS), "school_code") == [school_a1.code]


def test_school_detail_as_it_stands_in_a_year(school_a1: School, bureau_user: User, bureau_client: Client) -> None:
    services.school_change(school=school_a1, year=YEAR + 1, user=bureau_user, name="甲县实验小学", area_type="town")
    url = reverse("api:school-detail", args=[school_a1.code])
    before = bureau_client.get(url, {"year": YEAR}).json()
    assert before == {
        "school_code": school_a1.code,
        "district_code": "110101",
        "school_name": "甲县城关第一小学",
        "school_type": "primary",
        "parent_school_code": None,
        "ownership": "public",
        "county_run": True,
        "area_type": "urban",
        "closed": False,
        "valid_from": YEAR,
    }
    after = bureau_client.get(url, {"year": YEAR + 1}).json()
    assert (after["school_name"], after["area_type"], after["valid_from"]) == ("甲县实验小学", "town", YEAR + 1)
    # A year that is no number is the default: the current school year.
    assert bureau_client.get(url, {"year": "²"}).json() == bureau_client.get(url).json()


def test_schools_are_paginated(district_a: District, bureau_client: Client) -> None:
    for n in range(52):
        make_school(district_a, f"11010101{n:02d}", f"甲县第{n}小学")
    first = bureau_client.get(SCHOOLS).json()
    assert first["count"] == 52 and len(first["results"]) == 50
    assert first["next"] is not None and first["previous"] is None
    second = bureau_client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert bureau_client.get(SCHOOLS, {"page": 9}).status_code == 404


def test_registering_a_school(
    district_a: District, school_a1: School, bureau_client: Client, principal: User, inspector: User
) -> None:
    new = {
        "district_code": district_a.code,
        "school_code": "1101010040",
        "school_name": "甲县后沟教学点",
        "school_type": "teaching_point",
        "parent_school_code": school_a1.code,
        "area_type": "rural",
        "year": YEAR + 1,
    }
    # A principal's scope is their school, not the district (404); an inspector sees it, read-only (403).
    assert post(client_for(principal), SCHOOLS, new).status_code == 404
    assert post(client_for(inspector), SCHOOLS, new).status_code == 403
    created = post(bureau_client, SCHOOLS, new)
    assert created.status_code == 201, created.content
    assert created.json()["parent_school_code"] == school_a1.code and created.json()["valid_from"] == YEAR + 1
    again = post(bureau_client, SCHOOLS, new)
    assert again.status_code == 400 and "已存在" in again.json()["detail"]["code"][0]
    orphan = post(bureau_client, SCHOOLS, {**new, "school_code": "1101010041", "parent_school_code": ""})
    assert orphan.status_code == 400 and "教学点必须填写所属学校" in orphan.json()["detail"]["parent"][0]
    assert not School.objects.filter(code="1101010041").exists()


def test_a_school_is_registered_only_in_the_users_own_district(
    district_b: District, other_bureau_user: User, bureau_client: Client
) -> None:
    new = {"district_code": district_b.code, "school_code": "1201010009", "school_name": "乙县新校"}
    assert post(bureau_client, SCHOOLS, {**new, "school_type": "primary"}).status_code == 404
    assert post(client_for(other_bureau_user), SCHOOLS, {**new, "school_type": "primary"}).status_code == 201


# --- statistics: reading ---------------------------------------------------------------------


def test_statistics_list_filters_and_pagination(
    school_a1: School, school_a2: School, school_b1: School, bureau_user: User, admin_user: User
) -> None:
    save_statistics(school_a1, YEAR)
    save_statistics(school_a1, YEAR + 1)
    submitted = save_statistics(school_a2, YEAR, school_type="junior")
    services.statistics_submit(stats=submitted, user=bureau_user)
    save_statistics(school_b1, YEAR)
    bureau = client_for(bureau_user)

    def rows(**params: Any) -> list[tuple[str, int]]:
        data = bureau.get(STATISTICS, params).json()
        assert data["count"] == len(data["results"]) and data["next"] is None
        return [(row["school_code"], row["year"]) for row in data["results"]]

    assert rows() == [(school_a1.code, YEAR), (school_a1.code, YEAR + 1), (school_a2.code, YEAR)]
    assert rows(year=YEAR + 1) == [(school_a1.code, YEAR + 1)]
    assert rows(school=school_a2.code) == [(school_a2.code, YEAR)]
    assert rows(status="submitted") == [(school_a2.code, YEAR)]
    assert rows(district="110101", status="draft", year=YEAR) == [(school_a1.code, YEAR)]
    assert rows(district="120101") == []  # another district's filter finds nothing in scope
    assert bureau.get(STATISTICS, {"status": "nonsense"}).status_code == 400
    everything = client_for(admin_user).get(STATISTICS, {"district": "120101"}).json()
    assert [row["school_code"] for row in everything["results"]] == [school_b1.code]


def test_statistics_detail_has_the_data_dictionary_keys(school_a1: School, bureau_client: Client) -> None:
    stats = save_statistics(school_a1, YEAR)
    data = bureau_client.get(detail(stats)).json()
    assert set(data) == {"id", "school_code", "year", "status", "revision", "unconfirmed", "change_reasons", *STAT_KEYS}
    assert data["status"] == "draft" and data["revision"] == 1
    assert data["students_primary"] == 600 and data["teaching_area"] == 3000.5
    assert data["students_junior"] is None  # not reported
    assert bureau_client.get(reverse("api:statistics-detail", args=[stats.pk + 10_000])).status_code == 404


# --- statistics: create and replace ----------------------------------------------------------


def test_create_then_replace(school_a1: School, bureau_client: Client) -> None:
    created = post(bureau_client, STATISTICS, body(school_a1))
    assert created.status_code == 201, created.content
    assert created.json()["revision"] == 1 and created.json()["books"] == 20000
    replaced = post(bureau_client, STATISTICS, body(school_a1, books=21000, revision=1))
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["revision"] == 2 and replaced.json()["books"] == 21000
    assert AnnualStatistics.objects.get(school=school_a1, year=YEAR).books == 21000
    # A replacement is all fields, like the form: a key left out is "not reported".
    partial = post(
        bureau_client, STATISTICS, {"school_code": school_a1.code, "year": YEAR, "books": 21000, "revision": 2}
    )
    assert partial.status_code == 200 and partial.json()["computers"] is None


def test_a_sub_count_above_its_total_is_refused_in_chinese(school_a1: School, bureau_client: Client) -> None:
    response = post(bureau_client, STATISTICS, body(school_a1, qualified_teachers_primary=41))
    assert response.status_code == 400
    data = response.json()
    assert data["detail"] == "数据未保存,请修改标出的项目"
    message = data["errors"]["qualified_teachers_primary"][0]
    assert "不能超过" in message and "专任教师数" in message and "41" in message
    assert not AnnualStatistics.objects.exists()


def test_the_serializer_refuses_what_is_not_a_number(school_a1: School, bureau_client: Client) -> None:
    assert post(bureau_client, STATISTICS, body(school_a1, books=-1)).status_code == 400
    assert post(bureau_client, STATISTICS, body(school_a1, teaching_area="many")).status_code == 400
    assert post(bureau_client, STATISTICS, body(school_a1, year=1999)).status_code == 400
    assert post(bureau_client, STATISTICS, [body(school_a1)]).status_code == 400  # a list, not an object
    assert not AnnualStatistics.objects.exists()


def test_a_year_the_school_was_not_registered_is_refused(school_a1: School, bureau_client: Client) -> None:
    response = post(bureau_client, STATISTICS, body(school_a1, year=YEAR - 1))
    assert response.status_code == 400 and "尚未登记" in response.json()["errors"]["year"][0]


def test_a_jump_of_more_than_half_needs_a_reason(school_a1: School, bureau_client: Client) -> None:
    save_statistics(school_a1, YEAR)
    jump = body(school_a1, YEAR + 1, books=40000)
    warned = post(bureau_client, STATISTICS, jump)
    assert warned.status_code == 400
    assert warned.json()["errors"] == {}
    assert set(warned.json()["warnings"]) == {"books"} and "变动说明" in warned.json()["warnings"]["books"]
    assert not AnnualStatistics.objects.filter(year=YEAR + 1).exists()
    saved = post(bureau_client, STATISTICS, {**jump, "change_reasons": {"books": "新建图书馆"}})
    assert saved.status_code == 201, saved.content
    assert saved.json()["change_reasons"] == {"books": "新建图书馆"}


def test_a_stale_revision_answers_409_and_overwrites_nothing(
    school_a1: School, principal: User, bureau_client: Client
) -> None:
    save_statistics(school_a1, YEAR)
    # The principal saves in between (revision 1 → 2).
    services.statistics_save(
        school=school_a1, year=YEAR, raw=primary_values(books=22000), user=principal, expected_revision=1
    )
    stale = post(bureau_client, STATISTICS, body(school_a1, computers=120, revision=1))
    assert stale.status_code == 409
    data = stale.json()
    assert data["current_revision"] == 2
    assert data["changes"] == {"books": [20000, 22000]}
    assert "他人修改" in data["detail"]
    stored = AnnualStatistics.objects.get(school=school_a1, year=YEAR)
    assert (stored.books, stored.computers, stored.revision) == (22000, 100, 2)
    # Revisions start at 1: anything below is no revision the client can have loaded.
    assert post(bureau_client, STATISTICS, body(school_a1, computers=120, revision=-1)).status_code == 400
    fresh = post(bureau_client, STATISTICS, body(school_a1, books=22000, computers=120, revision=2))
    assert fresh.status_code == 200 and fresh.json()["revision"] == 3


def test_approved_statistics_are_locked(school_a1: School, bureau_user: User, bureau_client: Client) -> None:
    stats = save_statistics(school_a1, YEAR)
    services.statistics_approve(stats=services.statistics_submit(stats=stats, user=bureau_user), user=bureau_user)
    response = post(bureau_client, STATISTICS, body(school_a1, books=21000))
    assert response.status_code == 400 and "不能修改" in response.json()["detail"][0]
    assert AnnualStatistics.objects.get(pk=stats.pk).books == 20000


# --- statistics: who may write ---------------------------------------------------------------


def test_a_principal_enters_their_own_school_only(
    school_a1: School, school_a2: School, principal_client: Client
) -> None:
    assert post(principal_client, STATISTICS, body(school_a1)).status_code == 201
    assert post(principal_client, STATISTICS, {**body(school_a1), "school_code": school_a2.code}).status_code == 404
    assert not AnnualStatistics.objects.filter(school=school_a2).exists()


def test_an_inspector_is_refused_every_post(school_a1: School, bureau_user: User, inspector_client: Client) -> None:
    draft = save_statistics(school_a1, YEAR)
    submitted = services.statistics_submit(stats=save_statistics(school_a1, YEAR + 1), user=bureau_user)
    assert inspector_client.get(detail(draft)).status_code == 200  # read-only, not blind
    before = list(AnnualStatistics.objects.order_by("pk").values())
    assert post(inspector_client, STATISTICS, body(school_a1, books=21000)).status_code == 403
    assert post(inspector_client, action(draft, "submit")).status_code == 403
    assert post(inspector_client, action(submitted, "approve")).status_code == 403
    assert post(inspector_client, action(submitted, "reopen"), {"reason": "督学退回"}).status_code == 403
    assert post(inspector_client, SCHOOLS, {"district_code": "110101", "school_code": "1101010050"}).status_code == 403
    assert list(AnnualStatistics.objects.order_by("pk").values()) == before


def test_another_districts_bureau_gets_404(school_a1: School, bureau_user: User, other_bureau_user: User) -> None:
    draft = save_statistics(school_a1, YEAR)
    submitted = services.statistics_submit(stats=save_statistics(school_a1, YEAR + 1), user=bureau_user)
    outsider = client_for(other_bureau_user)
    assert outsider.get(detail(draft)).status_code == 404
    assert post(outsider, STATISTICS, body(school_a1, books=21000)).status_code == 404
    assert post(outsider, action(draft, "submit")).status_code == 404
    assert post(outsider, action(submitted, "approve")).status_code == 404
    assert post(outsider, action(submitted, "reopen"), {"reason": "越权"}).status_code == 404
    assert AnnualStatistics.objects.get(pk=submitted.pk).status == Status.SUBMITTED


# --- statistics: workflow --------------------------------------------------------------------


def test_workflow_submit_approve_reopen(school_a1: School, principal_client: Client, bureau_client: Client) -> None:
    stats = save_statistics(school_a1, YEAR)
    submitted = post(principal_client, action(stats, "submit"))
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert post(principal_client, action(stats, "approve")).status_code == 403
    assert post(principal_client, action(stats, "reopen"), {"reason": "自己退回"}).status_code == 403
    assert post(principal_client, action(stats, "submit")).status_code == 400  # already submitted
    approved = post(bureau_client, action(stats, "approve"))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert post(bureau_client, action(stats, "approve")).status_code == 400
    no_reason = post(bureau_client, action(stats, "reopen"), {"reason": "  "})
    assert no_reason.status_code == 400 and "退回时必须填写原因" in no_reason.json()["detail"]["reason"][0]
    assert post(bureau_client, action(stats, "reopen")).status_code == 400
    assert AnnualStatistics.objects.get(pk=stats.pk).status == Status.APPROVED
    reopened = post(bureau_client, action(stats, "reopen"), {"reason": "学生数有误"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "reopened"
    # Reopened data is editable again, by the school.
    assert post(principal_client, STATISTICS, body(school_a1, students_primary=610, revision=1)).status_code == 200


def test_approving_a_draft_is_refused(school_a1: School, bureau_client: Client) -> None:
    stats = save_statistics(school_a1, YEAR)
    response = post(bureau_client, action(stats, "approve"))
    assert response.status_code == 400 and "不能执行此操作" in response.json()["detail"][0]
    assert AnnualStatistics.objects.get(pk=stats.pk).status == Status.DRAFT


def test_a_principal_cannot_submit_another_school(school_a2: School, principal_client: Client) -> None:
    stats = save_statistics(school_a2, YEAR, school_type="junior")
    assert post(principal_client, action(stats, "submit")).status_code == 404
    for pk in ("x1", "²", "99999999999999999999"):  # "²" is a digit to str.isdigit(), but no number
        assert post(principal_client, reverse("api:statistics-submit", args=[pk])).status_code == 404, pk
