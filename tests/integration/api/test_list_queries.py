"""The API lists the load bench requests (schools, statistics, results) read a fixed number of
queries whatever the number of schools on the page, and the school list keeps its answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core.models import User
from schools.models import District, School
from tests.factories import YEAR, make_school, save_statistics

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(bureau_user: User) -> Client:
    token, _ = Token.objects.get_or_create(user=bureau_user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def add_schools(district: District, start: int, count: int) -> None:
    for n in range(start, start + count):
        if n % 5 == 4:  # every fifth unit a teaching point under the first school
            parent = School.objects.get(code="1101010100")
            school = make_school(district, f"11010101{n:02d}", f"甲县第{n}教学点", "teaching_point", parent=parent)
        else:
            school = make_school(district, f"11010101{n:02d}", f"甲县第{n}小学")
        save_statistics(school)


URLS: dict[str, Callable[[District], str]] = {
    "schools": lambda d: reverse("api:school-list") + f"?district={d.code}&year={YEAR}",
    "statistics": lambda d: reverse("api:statistics-list") + f"?district={d.code}&year={YEAR}",
    "results": lambda d: reverse("api:result-list") + f"?district={d.code}",
}


@pytest.mark.parametrize("name", list(URLS))
def test_api_lists_do_not_grow_with_the_number_of_schools(
    api: Client, district_a: District, name: str, django_assert_max_num_queries: Any
) -> None:
    add_schools(district_a, 0, 5)
    url = URLS[name](district_a)
    with CaptureQueriesContext(connection) as five:
        assert api.get(url).status_code == 200
    add_schools(district_a, 5, 20)
    with django_assert_max_num_queries(len(five)):
        assert api.get(url).status_code == 200


def test_the_school_list_reads_four_queries_and_names_each_parent(
    api: Client, district_a: District, django_assert_max_num_queries: Any
) -> None:
    add_schools(district_a, 0, 10)
    with django_assert_max_num_queries(4):  # token, count, the page's schools, their versions with parents
        response = api.get(URLS["schools"](district_a))
    rows = {r["school_code"]: r for r in response.json()["results"]}
    assert rows["1101010104"]["parent_school_code"] == "1101010100"
    assert rows["1101010104"]["school_type"] == "teaching_point" and rows["1101010103"]["parent_school_code"] is None
    assert rows["1101010103"]["school_name"] == "甲县第3小学"
