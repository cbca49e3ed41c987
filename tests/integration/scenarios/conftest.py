"""District A for scenarios, built through the services with its results stored.

Three primary schools of 600 students whose 骨干 teachers differ widely (14, 2 and 8: the primary
backbone CV is far above 0.50), a teaching point of 60 students under the first, and the cast's
junior school; all approved.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.models import User
from indicators.services import balance_recompute
from schools import services
from schools.models import AnnualStatistics, District, School
from tests.factories import YEAR, make_school, values_for

BACKBONE = {"1101010001": 14, "1101010003": 2, "1101010004": 8}
POINT = "1101010031"


@dataclass
class County:
    district: District
    schools: dict[str, School]

    def statistics(self) -> dict[str, dict[str, object]]:
        """Every school's stored statistics (what a scenario must never change)."""
        return {
            s.school.code: {**{f.name: getattr(s, f.name) for f in AnnualStatistics._meta.concrete_fields}}
            for s in AnnualStatistics.objects.filter(school__district=self.district).select_related("school")
        }


@pytest.fixture
def county(district_a: District, school_a1: School, school_a2: School, bureau_user: User) -> County:
    schools = {
        school_a1.code: school_a1,
        "1101010003": make_school(district_a, "1101010003", "甲县河口小学", "primary"),
        "1101010004": make_school(district_a, "1101010004", "甲县东关小学", "primary"),
        school_a2.code: school_a2,
        POINT: make_school(district_a, POINT, "甲县后沟教学点", "teaching_point", parent=school_a1),
    }
    for code, school in schools.items():
        if school == school_a2:
            raw = values_for("junior")
        elif code == POINT:
            raw = values_for(
                "primary",
                students_primary=60,
                classes_primary=2,
                max_class_size_primary=30,
                teachers_primary=5,
                qualified_teachers_primary=4,
                mid_title_teachers_primary=2,
                backbone_teachers_primary=1,
                pe_art_teachers_primary=1,
                teaching_area="400",
                indoor_sports_area="0",
                sports_area="600",
                multimedia_rooms=2,
                equipment_value="150000",
            )
        else:
            raw = values_for("primary", backbone_teachers_primary=BACKBONE[code])
        stats = services.statistics_save(school=school, year=YEAR, raw=raw, user=bureau_user).statistics
        stats = services.statistics_submit(stats=stats, user=bureau_user)
        services.statistics_approve(stats=stats, user=bureau_user)
    balance_recompute(districts=[district_a], year=YEAR)
    return County(district_a, schools)
