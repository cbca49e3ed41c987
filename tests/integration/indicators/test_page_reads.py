"""What the balance page reads per request: the stored outcome (about 0.2 MB for a 200-school
county) only when this process has not decoded that result yet."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators import models
from schools.models import District, School
from tests.factories import YEAR, make_school, save_statistics

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(school_a1: School, school_a2: School, django_capture_on_commit_callbacks: Any) -> District:
    with django_capture_on_commit_callbacks(execute=True):
        third = make_school(school_a1.district, "1101010009", "甲县第三小学", "primary")
        save_statistics(school_a1)
        save_statistics(school_a2, school_type="junior")
        save_statistics(third, students_primary=300, teaching_area=900, classes_primary=8, max_class_size_primary=40)
    return school_a1.district


def payload_reads(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return sum('"payload"' in q["sql"] for q in queries.captured_queries), response.content.decode()


def test_the_balance_page_reads_the_stored_outcome_once_per_process(county: District, bureau_client: Client) -> None:
    url = reverse("indicators:balance_page", args=[county.code, YEAR, "quality-2017"])
    models._DECODED.clear()
    first_reads, _ = payload_reads(bureau_client, url)
    assert first_reads >= 1  # decoded on the first view
    second_reads, second = payload_reads(bureau_client, url)
    assert second_reads == 0
    assert "需增加教学及辅助用房 450 m²" in second and 'id="unit-table"' in second
