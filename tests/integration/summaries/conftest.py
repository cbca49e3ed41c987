"""District A over two school years, built through the services, with its results stored.

Three primary schools whose sports grounds differ widely (the primary sports-area CV fails its
0.50 line, and more so in YEAR than in YEAR - 1) and the junior school of the cast; all approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from core.models import User
from indicators.models import BalanceResult
from indicators.services import balance_recompute
from schools import services
from schools.models import District, School
from tests.factories import YEAR, make_school, values_for

# Sports ground (m²) of each primary school, by year: 600 students each.
SPORTS = {
    "1101010001": {YEAR - 1: "5200", YEAR: "5000"},
    "1101010003": {YEAR - 1: "1400", YEAR: "600"},
    "1101010004": {YEAR - 1: "8000", YEAR: "9000"},
}


@dataclass
class County:
    district: District
    schools: dict[str, School]

    def result(self, year: int = YEAR) -> BalanceResult:
        return BalanceResult.objects.get(
            district=self.district, year=year, profile_name="quality-2017", is_current=True
        )


def build_county(district: District, first: School, junior: School, user: User | None = None) -> County:
    schools = {
        first.code: first,
        "1101010003": make_school(district, "1101010003", "甲县河口小学", "primary", year=YEAR - 1),
        "1101010004": make_school(district, "1101010004", "甲县东关小学", "primary", year=YEAR - 1),
        junior.code: junior,
    }
    for year in (YEAR - 1, YEAR):
        for code, school in schools.items():
            kind = "junior" if school == junior else "primary"
            overrides: dict[str, Any] = {"sports_area": SPORTS[code][year]} if code in SPORTS else {}
            stats = services.statistics_save(
                school=school, year=year, raw=values_for(kind, **overrides), user=user, reasons=_reasons(overrides)
            ).statistics
            stats = services.statistics_submit(stats=stats, user=user)
            services.statistics_approve(stats=stats, user=user)
        balance_recompute(districts=[district], year=year)
    return County(district, schools)


def _reasons(overrides: dict[str, Any]) -> dict[str, str] | None:
    return dict.fromkeys(overrides, "运动场改造") if overrides else None


@pytest.fixture
def school_a1(district_a: District) -> School:
    """The cast's school_a1, registered a year earlier (the summaries compare with last year)."""
    return make_school(district_a, "1101010001", "甲县城关第一小学", "primary", year=YEAR - 1)


@pytest.fixture
def school_a2(district_a: District) -> School:
    return make_school(district_a, "1101010002", "甲县实验初级中学", "junior", year=YEAR - 1)


@pytest.fixture
def county(district_a: District, school_a1: School, school_a2: School, bureau_user: User) -> County:
    return build_county(district_a, school_a1, school_a2, bureau_user)
