"""Reads of the school registry and statistics. Scope comes from core.access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.years import current_school_year
from schools.models import AnnualStatistics, District, School, SchoolVersion


def version_for_year(versions: Iterable[SchoolVersion], year: int) -> SchoolVersion | None:
    """The version in force in `year`: the latest one that starts on or before it."""
    current: SchoolVersion | None = None
    for version in sorted(versions, key=lambda v: v.valid_from):
        if version.valid_from <= year:
            current = version
    return current


def default_year(district_id: int) -> int:
    """The year a district's pages open on: its latest year with statistics, else the current
    school year."""
    latest = (
        AnnualStatistics.objects.filter(school__district_id=district_id)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    return latest or current_school_year()


@dataclass
class SchoolYearRow:
    """One school as it stands in one year, with that year's statistics (if any)."""

    school: School
    version: SchoolVersion
    statistics: AnnualStatistics | None


def district_school_rows(district: District, year: int, *, include_closed: bool = False) -> list[SchoolYearRow]:
    """Every school of the district open in `year`, in three queries whatever the count."""
    schools = list(School.objects.filter(district=district).order_by("code"))
    versions: dict[int, list[SchoolVersion]] = {}
    for each in SchoolVersion.objects.filter(school__district=district).select_related("parent"):
        versions.setdefault(each.school_id, []).append(each)
    stats = {s.school_id: s for s in AnnualStatistics.objects.filter(school__district=district, year=year)}
    rows = []
    for school in schools:
        version = version_for_year(versions.get(school.pk, []), year)
        if version is None or (version.closed and not include_closed):
            continue
        rows.append(SchoolYearRow(school, version, stats.get(school.pk)))
    return rows


def school_version(school: School, year: int) -> SchoolVersion | None:
    return version_for_year(school.versions.all(), year)


def previous_statistics(school: School, year: int) -> AnnualStatistics | None:
    return AnnualStatistics.objects.filter(school=school, year=year - 1).first()
