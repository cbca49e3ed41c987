"""Fixtures of the data-exchange tests: uploads kept under a temporary MEDIA_ROOT, and a small
county (the shared cast's district A) with last year's and this year's statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import TestCase

from indicators.services import profile_install_defaults
from schools.models import District, School
from tests.factories import YEAR, make_school, save_statistics

PRIMARY = ("1101010101", "甲县城关第一小学")
JUNIOR = ("1101010102", "甲县实验初级中学")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def county(district_a: District) -> dict[str, School]:
    """District A with a primary and a junior school registered from YEAR - 1, each with
    statistics for YEAR - 1 and YEAR."""
    profile_install_defaults()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the balance is computed on commit
        primary = make_school(district_a, *PRIMARY, "primary", year=YEAR - 1)
        junior = make_school(district_a, *JUNIOR, "junior", year=YEAR - 1)
        for year in (YEAR - 1, YEAR):
            save_statistics(primary, year)
            save_statistics(junior, year, school_type="junior")
    return {"primary": primary, "junior": junior}
