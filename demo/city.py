"""A second demo county and a city supervision office that follows both (the multi-county overview).

`manage.py seed_city` builds the demo county (demo.county.seed_demo) if needed, then 清河县, a
smaller neighbour with poorer resources, through the same services, and the `city` login of the
市级教育督导室 assigned to both counties. Deterministic and idempotent like seed_demo.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from django.db import transaction

from core.models import Role, User
from demo.assessment import seed_assessment
from demo.county import DEMO_PASSWORD, DEMO_USERS, DEMO_YEARS, DemoSchool, _schools, seed_demo, statistics_for
from plans import services as plan_services
from schools import services
from schools.models import District, School

SECOND_DISTRICT = ("130189", "清河县", "河北省")
CITY_USER = ("city", DEMO_USERS["city"][1])
# The neighbour's schools: the demo county's first 26 (no teaching points or special schools),
# renamed, with poorer resources, so that some of its CVs and schools fail.
SCHOOLS_TAKEN = 26
QUALITY = 0.9


def _neighbour_schools() -> list[DemoSchool]:
    out = []
    for spec in _schools()[:SCHOOLS_TAKEN]:
        code = "1301890" + spec.code[-3:]
        name = spec.name.replace("清源县", "清河县")
        quality = spec.quality * QUALITY
        out.append(replace(spec, code=code, name=name, quality=quality, parent=None))
    return out


@transaction.atomic
def seed_city(seed: int = 0) -> list[District]:
    """Both demo counties and the city office's login; returns the two counties."""
    first = seed_demo(seed=seed)
    code, name, province = SECOND_DISTRICT
    second = District.objects.filter(code=code).first()
    if second is None or not second.schools.exists():
        second = _seed_neighbour(code, name, province, seed)
    user = User.objects.filter(username=CITY_USER[0]).first()
    if user is None:  # a demo seeded before the city office existed
        user = User.objects.create_user(
            username=CITY_USER[0], password=DEMO_PASSWORD, role=Role.CITY, display_name=CITY_USER[1]
        )
    user.inspected_districts.add(first, second)
    return [first, second]


def _seed_neighbour(code: str, name: str, province: str, seed: int) -> District:
    district = services.district_get_or_create(code=code, name=name, province=province)
    district.resident_population = 236_400
    district.save(update_fields=["resident_population"])
    bureau, _created = User.objects.get_or_create(
        username="bureau2", defaults={"role": Role.BUREAU, "display_name": "刘股长(清河县教育局)"}
    )
    bureau.district = district
    bureau.set_password(DEMO_PASSWORD)
    bureau.save()
    specs = _neighbour_schools()
    for spec in specs:
        services.school_create(
            district=district,
            code=spec.code,
            year=DEMO_YEARS[0],
            user=bureau,
            name=spec.name,
            school_type=spec.school_type,
            ownership=spec.ownership,
            county_run=spec.county_run,
            area_type=spec.area_type,
        )
    for index, year in enumerate(DEMO_YEARS):
        for spec in specs:
            raw = statistics_for(spec, index, seed + 7)
            # Playgrounds differ widely between the neighbour's schools: its sports-area CVs fail.
            spread = (0.2, 1.0, 1.8)[int(spec.code[-3:]) % 3]
            raw["sports_area"] = round(raw["sports_area"] * spread, 2)
            stats = services.statistics_save(
                school=School.objects.get(code=spec.code), year=year, raw=raw, user=bureau
            ).statistics
            services.statistics_submit(stats=stats, user=bureau)
            services.statistics_approve(stats=stats, user=bureau)
    plan_services.county_plan_save(
        district=district,
        start_year=DEMO_YEARS[0],
        title="清河县义务教育优质均衡发展推进计划(2024—2026)",
        inspection_date=date(2027, 10, 15),
        notes="2027 年申请省级督导评估。",
    )
    seed_assessment(district, seed=seed + 7)
    return district
