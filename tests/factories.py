"""Test data built through the services, so every object obeys the same rules as real data.

Plain functions rather than factory_boy factories: a school is created with
`schools.services.school_create` and statistics with `statistics_save`, never with raw model
saves. `*_values()` return raw values (as a form or a spreadsheet would send them) that pass
every validation rule; tests override single keys to break one rule at a time.
"""

from __future__ import annotations

from typing import Any

from core.models import Role, User
from schools import services
from schools.models import AnnualStatistics, District, School

YEAR = 2025
PASSWORD = "test-pass-123"


def primary_values(**overrides: Any) -> dict[str, Any]:
    """A consistent primary school: 600 students in 15 classes, 40 teachers."""
    values: dict[str, Any] = {
        "students_primary": 600,
        "classes_primary": 15,
        "max_class_size_primary": 44,
        "teachers_primary": 40,
        "qualified_teachers_primary": 30,
        "mid_title_teachers_primary": 20,
        "backbone_teachers_primary": 8,
        "pe_art_teachers_primary": 6,
        "teaching_area": "3000.50",
        "indoor_sports_area": "300",
        "sports_area": "5000",
        "music_rooms": 2,
        "art_rooms": 2,
        "music_room_min_area": "96",
        "art_room_min_area": "90",
        "multimedia_rooms": 15,
        "equipment_value": "1500000",
        "books": 20000,
        "computers": 100,
    }
    values.update(overrides)
    return values


def junior_values(**overrides: Any) -> dict[str, Any]:
    """A consistent junior middle school: 500 students in 10 classes, 40 teachers."""
    values: dict[str, Any] = {
        "students_junior": 500,
        "classes_junior": 10,
        "max_class_size_junior": 52,
        "teachers_junior": 40,
        "qualified_teachers_junior": 35,
        "mid_title_teachers_junior": 22,
        "backbone_teachers_junior": 6,
        "pe_art_teachers_junior": 5,
        "teaching_area": "3200",
        "indoor_sports_area": "400",
        "sports_area": "6000",
        "music_rooms": 1,
        "art_rooms": 1,
        "multimedia_rooms": 12,
        "equipment_value": "1300000",
        "books": 18000,
        "computers": 90,
    }
    values.update(overrides)
    return values


def values_for(school_type: str, **overrides: Any) -> dict[str, Any]:
    if school_type in ("junior", "vocational_junior", "complete_middle"):
        return junior_values(**overrides)
    return primary_values(**overrides)


def make_district(code: str, name: str) -> District:
    return services.district_get_or_create(code=code, name=name, province="测试省")


def make_school(
    district: District,
    code: str,
    name: str,
    school_type: str = "primary",
    *,
    year: int = YEAR,
    parent: School | None = None,
    **attrs: Any,
) -> School:
    return services.school_create(
        district=district, code=code, year=year, name=name, school_type=school_type, parent=parent, **attrs
    )


def save_statistics(
    school: School, year: int = YEAR, *, user: User | None = None, school_type: str = "primary", **overrides: Any
) -> AnnualStatistics:
    """Create or replace a school-year, as an editor who has just loaded it (its current revision)."""
    current = AnnualStatistics.objects.filter(school=school, year=year).values_list("revision", flat=True).first()
    result = services.statistics_save(
        school=school, year=year, raw=values_for(school_type, **overrides), user=user, expected_revision=current
    )
    return result.statistics


def make_user(username: str, role: str, *, district: District | None = None, school: School | None = None) -> User:
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        district=district if role == Role.BUREAU else None,
        school=school if role == Role.PRINCIPAL else None,
        is_superuser=role == Role.ADMIN,
        is_staff=role == Role.ADMIN,
    )


def make_problem(
    district: District,
    title: str,
    *,
    year: int = YEAR,
    school: School | None = None,
    user: User | None = None,
    detail: str = "",
    owner: str = "",
) -> Any:
    """A problem the bureau adds itself (assessment.services.problem_create), no deadline."""
    from assessment.problems import services as problem_services

    return problem_services.problem_create(
        district=district, year=year, title=title, detail=detail, owner=owner, deadline=None, school=school, user=user
    )
