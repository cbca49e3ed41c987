"""Synthetic counties for the benchmarks, written straight to the database with bulk_create.

The data goes in with the ORM's `bulk_create` (Schools, SchoolVersions, AnnualStatistics), not
through schools.services: the services would mark results stale and check every row, which is
right for users and far too slow to set up 200,000 schools. Values are plausible and
deterministic (seeded by the district code): every school type of the data dictionary occurs,
mixed schools (nine_year, twelve_year, complete_middle) split into section units, teaching points
hang off a parent school, some schools are private or not county-run, some have an older
version (renamed or changed type), some are closed (and have no statistics), and a few
statistics leave a field unreported.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

YEAR = 2026

# School types with their relative frequency in a county, and the evaluation units each gives.
TYPE_WEIGHTS: dict[str, int] = {
    "primary": 48,
    "teaching_point": 12,
    "junior": 18,
    "nine_year": 10,
    "twelve_year": 2,
    "complete_middle": 5,
    "special": 3,
    "vocational_junior": 2,
}
SECTIONS_OF: dict[str, tuple[str, ...]] = {
    "primary": ("primary",),
    "teaching_point": ("primary",),
    "junior": ("junior",),
    "nine_year": ("primary", "junior"),
    "twelve_year": ("primary", "junior", "senior"),
    "complete_middle": ("junior", "senior"),
    "special": ("primary", "junior"),
    "vocational_junior": ("junior",),
}
STATUSES = ("approved",) * 8 + ("submitted", "draft")


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    counties: int
    units: int  # evaluation units per county (a mixed school gives one per compulsory section)
    first_code: int  # district codes are first_code, first_code + 1, ...

    @property
    def tag(self) -> str:
        return f"bench:{self.key}"  # District.province, to find a scenario's districts


SCENARIOS: dict[str, Scenario] = {
    s.key: s
    for s in (
        Scenario("a", "1 county × 60 units", 1, 60, 910000),
        Scenario("a3", "1 county × 180 units (3× a)", 1, 180, 911000),
        Scenario("b", "100 counties × 100 units", 100, 100, 920000),
        Scenario("c", "2,900 counties × 70 units", 2900, 70, 930000),
    )
}


@dataclass
class PlannedSchool:
    code: str
    school_type: str
    units: int
    sections: tuple[str, ...]  # sections with students
    parent: int | None  # index of the parent school in the county (teaching points)
    private: bool
    county_run: bool
    closed: bool
    history: str | None  # an older version's school type (renamed or changed type), if any


def plan_county(district_code: str, target_units: int) -> list[PlannedSchool]:
    """Schools of one county whose evaluation units add up to exactly `target_units`."""
    rng = random.Random(district_code)
    types = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    schools: list[PlannedSchool] = []
    units = 0
    parents: list[int] = []
    while units < target_units:
        school_type = rng.choices(types, weights)[0]
        sections = SECTIONS_OF[school_type]
        if school_type == "special":
            sections = ("primary", "junior") if rng.random() < 0.5 else ("primary",)
        n_units = sum(1 for s in sections if s != "senior")
        if school_type == "teaching_point" and not parents:
            school_type, sections, n_units = "primary", ("primary",), 1
        if n_units > target_units - units:
            school_type, sections, n_units = "primary", ("primary",), 1
        index = len(schools)
        private = school_type in ("primary", "junior", "nine_year") and rng.random() < 0.06
        schools.append(
            PlannedSchool(
                code=f"{district_code}{index:04d}",
                school_type=school_type,
                units=n_units,
                sections=sections,
                parent=rng.choice(parents) if school_type == "teaching_point" else None,
                private=private,
                county_run=rng.random() >= 0.04,
                closed=False,
                history=(("primary" if school_type == "nine_year" else school_type) if rng.random() < 0.15 else None),
            )
        )
        if school_type in ("primary", "nine_year") and not private:
            parents.append(index)
        units += n_units
    # About one county in three has a school closed before this year (listed, never evaluated).
    if rng.random() < 0.35:
        schools.append(
            PlannedSchool(f"{district_code}{len(schools):04d}", "primary", 0, (), None, False, True, True, None)
        )
    return schools


def _money(value: float) -> Decimal:
    return Decimal(round(value * 100)).scaleb(-2)


def statistics_for(school: PlannedSchool) -> dict[str, Any]:
    """Plausible statistics for one school, near the 2017 standards with a spread."""
    rng = random.Random(school.code)
    quality = rng.uniform(0.7, 1.3)
    values: dict[str, Any] = {}
    weighted = 0.0
    for section in school.sections:
        if school.school_type == "teaching_point":
            n = rng.randint(8, 140)
        elif school.school_type == "special":
            n = rng.randint(20, 160)
        else:
            n = int(rng.lognormvariate(6.4, 0.7)) + 40  # median ~640 students
        values[f"students_{section}"] = n
        weighted += n * {"primary": 1.0, "junior": 1.1, "senior": 1.32}[section]
        if section == "senior":
            continue
        classes = max(1, math.ceil(n / rng.randint(34, 48)))
        values[f"classes_{section}"] = classes
        values[f"max_class_size_{section}"] = min(n, math.ceil(n / classes) + rng.randint(0, 8))
        teachers = max(2, round(n / (17 if section == "primary" else 13) * rng.uniform(0.85, 1.2)))
        values[f"teachers_{section}"] = teachers
        needed = {"primary": 4.2, "junior": 5.3}[section] * n / 100
        values[f"qualified_teachers_{section}"] = min(teachers, round(needed * quality * rng.uniform(0.9, 1.3)))
        values[f"mid_title_teachers_{section}"] = min(teachers, round(teachers * rng.uniform(0.3, 0.6)))
        values[f"backbone_teachers_{section}"] = min(teachers, round(n / 100 * quality * rng.uniform(0.8, 1.5)))
        values[f"pe_art_teachers_{section}"] = min(teachers, round(n / 100 * quality * rng.uniform(0.8, 1.5)))
    base = weighted or 1.0
    values["teaching_area"] = _money(base * 5.0 * quality * rng.uniform(0.8, 1.2))
    values["indoor_sports_area"] = _money(float(values["teaching_area"]) * rng.uniform(0.0, 0.08))
    values["sports_area"] = _money(base * 8.5 * quality * rng.uniform(0.6, 1.3))
    values["equipment_value"] = _money(base * 2400 * quality * rng.uniform(0.7, 1.3))
    values["books"] = round(base * 32 * quality * rng.uniform(0.8, 1.2))
    values["computers"] = round(base * 0.15 * quality * rng.uniform(0.7, 1.3))
    values["multimedia_rooms"] = max(0, round(base * 0.025 * quality * rng.uniform(0.7, 1.3)))
    values["music_rooms"] = max(1, round(base / 500))
    values["art_rooms"] = values["music_rooms"]
    values["music_room_min_area"] = _money(rng.uniform(60, 110))
    values["art_room_min_area"] = _money(rng.uniform(60, 110))
    if rng.random() < 0.02:  # an unreported figure now and then
        values[rng.choice(["books", "computers", "equipment_value", "sports_area"])] = None
    return values


def _chunks(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def create_scenario(scenario: Scenario, *, chunk: int = 250) -> dict[str, int]:
    """Insert a scenario's districts, schools, versions and statistics; returns counts."""
    from schools.models import AnnualStatistics, District, School, SchoolVersion

    counts = {"districts": 0, "schools": 0, "units": 0, "statistics": 0, "versions": 0}
    for block in _chunks(scenario.counties, chunk):
        with transaction.atomic():
            districts = District.objects.bulk_create(
                [
                    District(code=str(scenario.first_code + i), name=f"基准县{scenario.key}-{i}", province=scenario.tag)
                    for i in block
                ]
            )
            plans = {d.pk: plan_county(d.code, scenario.units) for d in districts}
            school_rows = [
                School(district_id=district_id, code=p.code) for district_id, plan in plans.items() for p in plan
            ]
            School.objects.bulk_create(school_rows, batch_size=5000)
            school_id = {s.code: s.pk for s in school_rows}
            versions: list[SchoolVersion] = []
            stats: list[AnnualStatistics] = []
            for plan in plans.values():
                for p in plan:
                    pk = school_id[p.code]
                    parent = school_id[plan[p.parent].code] if p.parent is not None else None
                    if p.history is not None:
                        versions.append(
                            SchoolVersion(school_id=pk, valid_from=2012, name=f"{p.code} 旧名", school_type=p.history)
                        )
                    versions.append(
                        SchoolVersion(
                            school_id=pk,
                            valid_from=2020,
                            name=f"基准学校 {p.code}",
                            school_type=p.school_type,
                            parent_id=parent,
                            ownership="private" if p.private else "public",
                            county_run=p.county_run,
                            area_type=random.Random(p.code).choice(["urban", "town", "rural"]),
                        )
                    )
                    if p.closed:
                        versions.append(
                            SchoolVersion(
                                school_id=pk,
                                valid_from=2024,
                                name=f"基准学校 {p.code}",
                                school_type=p.school_type,
                                closed=True,
                            )
                        )
                        continue
                    stats.append(
                        AnnualStatistics(
                            school_id=pk,
                            year=YEAR,
                            status=random.Random(p.code).choice(STATUSES),
                            revision=1 + int(p.code[-1]) % 3,
                            **statistics_for(p),
                        )
                    )
                    counts["units"] += p.units
            SchoolVersion.objects.bulk_create(versions, batch_size=5000)
            AnnualStatistics.objects.bulk_create(stats, batch_size=2000)
            counts["districts"] += len(districts)
            counts["schools"] += len(school_rows)
            counts["versions"] += len(versions)
            counts["statistics"] += len(stats)
    return counts
