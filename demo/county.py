"""The demo county: a realistic, deterministic county built through the services.

Used by `manage.py seed_demo`, by the README's run command and by the browser tests. Names and
sizes follow the shape of a real county (the seed documents in ../shared/seeds): town centre
schools large and crowded, rural schools small with teaching points.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from core.models import Role, User
from demo.assessment import seed_assessment
from demo.plans import seed_plans
from demo.scenarios import seed_scenarios
from schools import services
from schools.models import District, School

DEMO_DISTRICT = ("130188", "清源县", "河北省")
DEMO_YEARS = (2024, 2025, 2026)
DEMO_PASSWORD = "demo12345"  # noqa: S105 - documented demo login, refused nowhere but printed in README
DEMO_USERS = {
    "admin": (Role.ADMIN, "系统管理员"),
    "bureau": (Role.BUREAU, "王科长(教育局)"),
    "principal": (Role.PRINCIPAL, "李校长(城关第一小学)"),
    "inspector": (Role.INSPECTOR, "赵督学"),
    "city": (Role.CITY, "市教育督导室(张督导)"),
}


@dataclass(frozen=True)
class DemoSchool:
    code: str
    name: str
    school_type: str
    area_type: str
    size: int  # students in the first demo year (all sections)
    ownership: str = "public"
    county_run: bool = True
    parent: str | None = None
    quality: float = 1.0  # 1.0 ≈ meets the 2017 standards; lower = poorer resources


def _schools() -> list[DemoSchool]:
    c = "1301880"  # the 10-digit codes: district prefix + 3 digits
    s: list[DemoSchool] = []
    towns = ["城关", "东关", "西街", "南湖", "北苑"]
    for i, town in enumerate(towns, start=1):
        s.append(
            DemoSchool(
                f"{c}{i:03d}", f"清源县{town}第一小学", "primary", "urban", 1500 + 180 * i, quality=1.05 - 0.04 * i
            )
        )
    for i, town in enumerate(["柳林镇", "石桥镇", "河口镇", "青山镇", "马庄镇"], start=6):
        s.append(
            DemoSchool(f"{c}{i:03d}", f"{town}中心小学", "primary", "town", 600 + 70 * i, quality=0.98 - 0.015 * i)
        )
    villages = ["后沟", "杨家庄", "下河", "枣林", "高台", "南坡", "东岭"]
    for i, village in enumerate(villages, start=11):
        s.append(
            DemoSchool(
                f"{c}{i:03d}",
                f"{village}小学",
                "primary",
                "rural",
                110 + 25 * (i - 10),
                quality=0.9 + 0.03 * ((i * 7) % 5),
            )
        )
    s.append(
        DemoSchool(f"{c}018", "清源县育才实验学校(民办)", "primary", "urban", 900, ownership="private", quality=1.15)
    )
    for i, name in enumerate(
        [
            "清源县第一中学初中部",
            "清源县第二初级中学",
            "柳林镇初级中学",
            "石桥镇初级中学",
            "河口镇初级中学",
            "青山镇初级中学",
            "马庄镇初级中学",
        ],
        start=19,
    ):
        s.append(
            DemoSchool(
                f"{c}{i:03d}",
                name,
                "junior",
                "urban" if i < 21 else "town",
                1400 - 100 * (i - 19),
                quality=1.02 - 0.03 * (i - 19),
            )
        )
    s.append(DemoSchool(f"{c}026", "市直属实验初级中学", "junior", "urban", 1200, county_run=False, quality=1.2))
    s.append(DemoSchool(f"{c}027", "后沟九年一贯制学校", "nine_year", "rural", 520, quality=0.88))
    s.append(DemoSchool(f"{c}028", "枣林九年一贯制学校", "nine_year", "rural", 430, quality=0.93))
    s.append(DemoSchool(f"{c}029", "南湖九年一贯制学校", "nine_year", "urban", 1900, quality=1.0))
    s.append(DemoSchool(f"{c}030", "清源县育英十二年一贯制学校", "twelve_year", "urban", 2400, quality=1.05))
    s.append(DemoSchool(f"{c}031", "清源县第一中学", "complete_middle", "urban", 2600, quality=1.1))
    s.append(DemoSchool(f"{c}032", "柳林镇中学(完全中学)", "complete_middle", "town", 1500, quality=0.95))
    # Teaching points: three below 50 students, two above (the 2017 scope rule).
    for i, (name, size, parent) in enumerate(
        [
            ("后沟村教学点", 23, "011"),
            ("杨家庄教学点", 38, "012"),
            ("下河教学点", 46, "013"),
            ("枣林二村教学点", 62, "014"),
            ("高台教学点", 75, "015"),
        ],
        start=33,
    ):
        s.append(DemoSchool(f"{c}{i:03d}", name, "teaching_point", "rural", size, parent=f"{c}{parent}", quality=0.85))
    s.append(DemoSchool(f"{c}038", "清源县特殊教育学校", "special", "urban", 120, quality=1.0))
    s.append(DemoSchool(f"{c}039", "清源县职业初中", "vocational_junior", "town", 300, quality=0.9))
    s.append(DemoSchool(f"{c}040", "石桥镇中心小学分校", "primary", "town", 380, quality=0.92))
    return s


SECTIONS_OF = {
    "primary": {"primary": 1.0},
    "teaching_point": {"primary": 1.0},
    "junior": {"junior": 1.0},
    "vocational_junior": {"junior": 1.0},
    "nine_year": {"primary": 0.64, "junior": 0.36},
    "twelve_year": {"primary": 0.45, "junior": 0.3, "senior": 0.25},
    "complete_middle": {"junior": 0.45, "senior": 0.55},
    "special": {"primary": 0.6, "junior": 0.4},
}
# Per-student resources at quality 1.0, a little above the 2017 standards.
PER_STUDENT = {
    "teaching_area": 5.2,
    "sports_area": 9.0,
    "equipment_value": 2500.0,
    "books": 35.0,
    "computers": 0.16,
    "multimedia_rooms": 0.026,
}


def statistics_for(school: DemoSchool, year_index: int, seed: int) -> dict[str, Any]:
    """One year of plausible statistics; facilities grow a little each year.

    The random draws are fixed per school (seeded by its code), so a school's profile is stable
    from year to year and only the growth terms move it, as in a real county.
    """
    rng = random.Random(f"{seed}:{school.code}")
    growth = 1 + 0.03 * year_index * (1 if school.area_type != "rural" else -0.5)
    total = max(12, round(school.size * growth))
    q = school.quality * (1 + 0.02 * year_index)
    values: dict[str, Any] = {}
    weighted = 0.0
    for section, share in SECTIONS_OF[school.school_type].items():
        n = round(total * share)
        values[f"students_{section}"] = n
        weighted += n * {"primary": 1.0, "junior": 1.1, "senior": 1.32}[section]
        if section == "senior":
            continue
        limit = 45 if section == "primary" else 50
        classes = max(1, math.ceil(n / (limit - 4 if school.area_type == "urban" else 34)))
        values[f"classes_{section}"] = classes
        values[f"max_class_size_{section}"] = min(
            n, math.ceil(n / classes) + rng.randint(0, 6 if school.area_type == "urban" else 3)
        )
        ratio = 17 if section == "primary" else 13
        teachers = max(2, round(n / ratio * rng.uniform(0.95, 1.1)))
        values[f"teachers_{section}"] = teachers
        needed = {"primary": 4.2, "junior": 5.3}[section] * n / 100
        values[f"qualified_teachers_{section}"] = min(teachers, round(needed * q * rng.uniform(1.05, 1.35)))
        values[f"mid_title_teachers_{section}"] = min(teachers, round(teachers * rng.uniform(0.35, 0.6)))
        values[f"backbone_teachers_{section}"] = min(teachers, round(n / 100 * q * rng.uniform(1.0, 1.5)))
        values[f"pe_art_teachers_{section}"] = min(teachers, round(n / 100 * 0.9 * q * rng.uniform(1.05, 1.45)))
    base = weighted if weighted else total
    for key, per in PER_STUDENT.items():
        amount = base * per * q * rng.uniform(0.85, 1.15)
        if school.area_type == "urban" and key == "sports_area":
            amount *= 0.8  # town-centre schools are short of playground space
        values[key] = round(amount, 2) if key in ("teaching_area", "sports_area", "equipment_value") else round(amount)
    # A school's gym does not change from year to year: a fixed share per school.
    values["indoor_sports_area"] = round(values["teaching_area"] * (0.02 + int(school.code[-3:]) % 5 * 0.012), 2)
    classes = sum(values.get(f"classes_{s}", 0) for s in ("primary", "junior"))
    values["music_rooms"] = max(1, math.ceil(classes / 12)) if school.size > 200 else (1 if school.size > 60 else 0)
    values["art_rooms"] = values["music_rooms"]
    values["music_room_min_area"] = 96 if values["music_rooms"] else None
    values["art_room_min_area"] = 90 if values["art_rooms"] else None
    return values


@transaction.atomic
def seed_demo(seed: int = 0) -> District:
    """Build the demo county if it is not there yet. Deterministic for a given seed."""
    code, name, province = DEMO_DISTRICT
    existing = District.objects.filter(code=code).first()
    if existing and existing.schools.exists():
        seed_plans(existing)  # a county seeded before plans existed gains them
        seed_assessment(existing)
        seed_scenarios(existing)
        return existing
    district = services.district_get_or_create(code=code, name=name, province=province)
    district.resident_population = 412_600
    district.save(update_fields=["resident_population"])
    admin = _user("admin", district)
    bureau = _user("bureau", district)
    first_year = DEMO_YEARS[0]
    for spec in _schools():
        parent = School.objects.get(code=spec.parent) if spec.parent else None
        services.school_create(
            district=district,
            code=spec.code,
            year=first_year,
            user=admin,
            name=spec.name,
            school_type=spec.school_type,
            parent=parent,
            ownership=spec.ownership,
            county_run=spec.county_run,
            area_type=spec.area_type,
        )
    # One history event: a village school became a nine-year school in the second demo year.
    services.school_change(
        school=School.objects.get(code="1301880017"),
        year=DEMO_YEARS[1],
        user=admin,
        name="东岭九年一贯制学校",
        school_type="nine_year",
        note="增设初中部",
    )
    specs = {s.code: s for s in _schools()}
    specs["1301880017"] = DemoSchool("1301880017", "东岭九年一贯制学校", "nine_year", "rural", 300, quality=0.9)
    for index, year in enumerate(DEMO_YEARS):
        for spec in _schools():
            current = specs[spec.code] if index > 0 else spec
            if index == len(DEMO_YEARS) - 1 and spec.code.endswith(("039", "040")):
                continue  # the latest year still has schools that have not reported
            values = statistics_for(current, index, seed)
            reasons = (
                dict.fromkeys(values, "增设初中部,学校类型变更") if (index == 1 and spec.code == "1301880017") else None
            )
            result = services.statistics_save(
                school=School.objects.get(code=spec.code), year=year, raw=values, user=bureau, reasons=reasons
            )
            stats = result.statistics
            latest = index == len(DEMO_YEARS) - 1
            if latest and spec.code[-3:] in ("005", "016", "024"):
                continue  # drafts
            services.statistics_submit(stats=stats, user=bureau)
            if latest and spec.code[-3:] in ("010", "022"):
                continue  # waiting for approval
            services.statistics_approve(stats=stats, user=bureau)
    principal = _user("principal", district)
    principal.school = School.objects.get(code="1301880001")
    principal.save(update_fields=["school"])
    inspector = _user("inspector", None)
    inspector.inspected_districts.add(district)
    city = _user("city", None)  # follows a second county too after seed_city (demo/city.py)
    city.inspected_districts.add(district)
    seed_plans(district)
    seed_assessment(district)
    seed_scenarios(district)
    return district


def _user(username: str, district: District | None) -> User:
    role, display = DEMO_USERS[username]
    user, _ = User.objects.get_or_create(username=username, defaults={"role": role, "display_name": display})
    user.role = role
    user.display_name = display
    user.district = district if role == Role.BUREAU else None
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user
