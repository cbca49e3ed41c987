"""Page charts through the vendored ECharts (issue #14, item 6): the figures go into the page as
JSON (no inline script), the same stored figures as the table beside them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from indicators.models import BalanceResult
from schools.models import District, School
from tests.factories import YEAR, make_school, save_statistics

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(school_a1: School, school_a2: School, django_capture_on_commit_callbacks: Any) -> District:
    with django_capture_on_commit_callbacks(execute=True):
        third = make_school(school_a1.district, "1101010009", "甲县第三小学", "primary")
        save_statistics(school_a1)
        save_statistics(school_a2, school_type="junior")
        save_statistics(third, students_primary=300, teaching_area=900)
    return school_a1.district


def test_echarts_is_vendored_with_its_licence_and_pinned() -> None:
    root = Path(settings.BASE_DIR)
    vendored = root / "static" / "vendor" / "echarts"
    assert (vendored / "echarts.min.js").stat().st_size > 500_000 and "Apache" in (vendored / "LICENSE").read_text()
    pinned = json.loads((root / "package.json").read_text())["devDependencies"]["echarts"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned)  # an exact version, not a range
    assert f'version="{pinned}"' in (vendored / "echarts.min.js").read_text()  # the copy is of that version


def test_the_balance_page_gives_each_level_chart_its_figures_as_json_without_inline_script(
    county: District, bureau_client: Client
) -> None:
    page = bureau_client.get(reverse("indicators:balance_page", args=[county.code, YEAR, "quality-2017"]))
    text = page.content.decode()
    assert "vendor/echarts/echarts.min.js" in text and "js/charts.js" in text
    for script in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
        assert 'type="application/json"' in script  # data only: nothing runs inline (CSP)
    found = re.search(r'<script id="chart-level-primary" type="application/json">(.*?)</script>', text, re.S)
    assert found is not None
    spec = json.loads(found.group(1))
    stored = BalanceResult.objects.get(district=county, year=YEAR, profile_name="quality-2017", is_current=True)
    outcome = stored.outcome
    primary = outcome.level("primary")
    assert primary is not None
    assert spec["kind"] == "bars" and spec["axis"] and spec["labels"]["standard"]
    assert spec["values"] == [None if i.cv is None else round(i.cv, 4) for i in primary.indicators.values()]
    assert spec["thresholds"] == [i.threshold for i in primary.indicators.values()]
    assert 'data-chart="chart-level-primary"' in text and "<svg" in text  # the SVG stays until the script runs
