"""Reads for the balance engine: the inputs of an evaluation and the stored results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from indicators.formulas import SchoolRecord
from indicators.models import BalanceResult, BalanceState, RuleProfile, RuleProfileVersion
from schools.fields import STAT_KEYS
from schools.models import AnnualStatistics, District, School, SchoolVersion


@dataclass
class CountyInputs:
    """Everything an evaluation of one district-year reads, as plain values."""

    district_id: int
    records: list[SchoolRecord]
    # school_code -> (statistics revision, workflow status): the identity of the data used.
    provenance: dict[str, tuple[int, str]]


def county_inputs(district_ids: Sequence[int], year: int) -> dict[int, CountyInputs]:
    """Load the inputs of many district-years in four queries, whatever their size.

    A school enters when it is open in `year` and has statistics for that year. Decimal areas
    and amounts become floats here: the formulas work at double precision throughout.
    """
    out = {d: CountyInputs(d, [], {}) for d in district_ids}
    codes: dict[int, str] = {}
    district_of: dict[int, int] = {}
    for school_id, code, district_id in School.objects.filter(district_id__in=district_ids).values_list(
        "id", "code", "district_id"
    ):
        codes[school_id] = code
        district_of[school_id] = district_id
    latest: dict[int, tuple[int, ...]] = {}
    version_rows = (
        SchoolVersion.objects.filter(school__district_id__in=district_ids, valid_from__lte=year)
        .order_by("school_id", "valid_from")
        .values_list("school_id", "name", "school_type", "ownership", "county_run", "parent_id", "closed")
    )
    for row in version_rows:
        latest[row[0]] = row  # ordered by valid_from: the last one wins
    stat_rows = AnnualStatistics.objects.filter(school__district_id__in=district_ids, year=year).values_list(
        "school_id", "revision", "status", *STAT_KEYS
    )
    for row in stat_rows:
        school_id, revision, status = row[0], row[1], row[2]
        version = latest.get(school_id)
        if version is None or version[6]:  # not registered yet, or closed that year
            continue
        stats = {key: (None if v is None else float(v)) for key, v in zip(STAT_KEYS, row[3:], strict=True)}
        code = codes[school_id]
        inputs = out[district_of[school_id]]
        inputs.records.append(
            SchoolRecord(
                school_code=code,
                school_name=version[1],
                school_type=version[2],
                ownership=version[3],
                county_run=version[4],
                parent_school_code=codes.get(version[5]) if version[5] else None,
                stats=stats,
            )
        )
        inputs.provenance[code] = (revision, status)
    for inputs in out.values():
        inputs.records.sort(key=lambda r: r.school_code)
    return out


def profiles_for_district(district: District) -> list[RuleProfile]:
    """The profiles a district is evaluated under: its own choice, else the national defaults."""
    chosen = list(district.rule_profiles.all())
    return chosen or list(RuleProfile.objects.filter(province=""))


def current_versions(profiles: Iterable[RuleProfile]) -> list[RuleProfileVersion]:
    return [p.current_version() for p in profiles]


def balance_result_get(*, district: District, year: int, profile_name: str) -> BalanceResult | None:
    return (
        BalanceResult.objects.filter(district=district, year=year, profile_name=profile_name, is_current=True)
        .select_related("profile_version")
        .first()
    )


def balance_results_for_district(district: District, profile_name: str) -> QuerySet[BalanceResult]:
    return BalanceResult.objects.filter(district=district, profile_name=profile_name, is_current=True).order_by("year")


def balance_state_get(district: District, year: int) -> BalanceState | None:
    return BalanceState.objects.filter(district=district, year=year).first()
