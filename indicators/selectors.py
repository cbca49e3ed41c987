"""Reads for the balance engine: the inputs of an evaluation and the stored results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, Field, OuterRef, Q, QuerySet
from django.db.models.options import Options

from indicators.formulas import SchoolRecord
from indicators.models import BalanceResult, BalanceState, CurrentProfile, RuleProfile, RuleProfileVersion
from schools.fields import STAT_KEYS
from schools.models import AnnualStatistics, District, School, SchoolVersion


@dataclass
class CountyInputs:
    """Everything an evaluation of one district-year reads, as plain values."""

    district_id: int
    records: list[SchoolRecord]
    # school_code -> (statistics revision, workflow status): the identity of the data used.
    provenance: dict[str, tuple[int, str]]


def _column(meta: Options[Any], name: str) -> str:
    field = meta.get_field(name)
    assert isinstance(field, Field)
    return connection.ops.quote_name(field.column)


def _of_districts(school_column: str, district_ids: Sequence[int]) -> str:
    """The condition "the row's school is in one of these districts", with one %s per district.

    The schools' ids are read first and the rows found through the table's school index: joined by
    district instead, PostgreSQL scans the whole table (every county, every year) once a batch holds
    many counties (server time 88 → 36 ms for the statistics of 100 counties).
    """
    school = School._meta
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(district_ids))
    ids = f"SELECT {quote(school.pk.column)} FROM {quote(school.db_table)} WHERE {_column(school, 'district')} IN ({marks})"  # noqa: S608, E501 - names from the models
    if connection.vendor == "postgresql":
        return f"{school_column} = ANY(ARRAY({ids}))"
    return f"{school_column} IN ({ids})"


def _statistics_rows(district_ids: Sequence[int], year: int) -> list[tuple[Any, ...]]:
    """(school id, code, district id, revision, status, *STAT_KEYS as floats) of a year's statistics.

    Plain SQL from the models' own table and column names: the ORM would build and hash a Cast
    expression per column and query (a third of a one-county recompute's time). The cast to
    double precision gives exactly float(value) (PostgreSQL rounds numeric to double correctly,
    as float(Decimal) does, and every stored amount has at most 14 significant digits).
    """
    if not district_ids:
        return []
    stats, school = AnnualStatistics._meta, School._meta
    quote = connection.ops.quote_name

    def s(name: str) -> str:
        return "s." + _column(stats, name)

    def c(name: str) -> str:
        return "c." + _column(school, name)

    double = "double precision" if connection.vendor == "postgresql" else "REAL"
    columns = ", ".join([s("school"), c("code"), c("district"), s("revision"), s("status")])
    figures = ", ".join(f"CAST({s(k)} AS {double})" for k in STAT_KEYS)
    tables = f"{quote(stats.db_table)} s JOIN {quote(school.db_table)} c ON c.{quote(school.pk.column)} = {s('school')}"
    where = f"{_of_districts(s('school'), district_ids)} AND {s('year')} = %s"
    sql = f"SELECT {columns}, {figures} FROM {tables} WHERE {where}"  # noqa: S608 - names from the models, values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, [*district_ids, year])
        return list(cursor.fetchall())


def _version_rows(district_ids: Sequence[int], year: int) -> list[tuple[Any, ...]]:
    """(school id, name, school_type, ownership, county_run, closed, parent code, parent district)
    of every version valid from `year` or before, by school and date: plain SQL for the same
    reason as the statistics."""
    if not district_ids:
        return []
    version, school = SchoolVersion._meta, School._meta
    quote = connection.ops.quote_name

    def v(name: str) -> str:
        return "v." + _column(version, name)

    columns = ", ".join(
        [
            *(v(name) for name in ("school", "name", "school_type", "ownership", "county_run", "closed")),
            "p." + _column(school, "code"),
            "p." + _column(school, "district"),
        ]
    )
    pk = quote(school.pk.column)
    tables = f"{quote(version.db_table)} v LEFT JOIN {quote(school.db_table)} p ON p.{pk} = {v('parent')}"
    where = f"{_of_districts(v('school'), district_ids)} AND {v('valid_from')} <= %s"
    order = f"{v('school')}, {v('valid_from')}"
    sql = f"SELECT {columns} FROM {tables} WHERE {where} ORDER BY {order}"  # noqa: S608 - names from the models
    with connection.cursor() as cursor:
        cursor.execute(sql, [*district_ids, year])
        return list(cursor.fetchall())


def county_inputs(district_ids: Sequence[int], year: int) -> dict[int, CountyInputs]:
    """Load the inputs of many district-years in two queries, whatever their size.

    A school enters when it is open in `year` and has statistics for that year. Areas, amounts and
    counts are read as floats (cast in SQL): the formulas work at double precision throughout.
    A teaching point's parent is given by its code when it is a school of the same district (the
    services allow no other).
    """
    out = {d: CountyInputs(d, [], {}) for d in district_ids}
    latest: dict[int, tuple[Any, ...]] = {}
    version_rows = _version_rows(district_ids, year)
    for row in version_rows:
        latest[row[0]] = row  # ordered by valid_from: the last one wins
    record = SchoolRecord
    for stat_row in _statistics_rows(district_ids, year):
        school_id, code, district_id, revision, status = stat_row[:5]
        version = latest.get(school_id)
        if version is None or version[5]:  # not registered yet, or closed that year
            continue
        inputs = out[district_id]
        inputs.records.append(
            record(
                school_code=code,
                school_name=version[1],
                school_type=version[2],
                ownership=version[3],
                county_run=version[4],
                parent_school_code=version[6] if version[7] == district_id else None,
                stats=dict(zip(STAT_KEYS, stat_row[5:], strict=True)),
            )
        )
        inputs.provenance[code] = (revision, status)
    for inputs in out.values():
        inputs.records.sort(key=lambda r: r.school_code)
    return out


def profiles_for_district(district: District) -> list[RuleProfile]:
    """The profiles a district is evaluated under: its own choice, else the national defaults.

    One query for both (it is asked several times on a report request).
    """
    chosen_here = RuleProfile.districts.through.objects.filter(district=district, ruleprofile=OuterRef("pk"))
    candidates = list(RuleProfile.objects.annotate(chosen=Exists(chosen_here)).filter(Q(chosen=True) | Q(province="")))
    chosen: list[RuleProfile] = [p for p in candidates if p.chosen]
    return chosen or [p for p in candidates if p.province == ""]


def is_quality_method(profile: RuleProfile) -> bool:
    """Whether a profile judges each CV on its own (the 2017 优质均衡 method)."""
    version = profile.current_version()
    return version is not None and bool(version.definition.get("county_rule") == "each_indicator")


def current_profile(district: District, profiles: Sequence[RuleProfile] | None = None) -> RuleProfile | None:
    """The profile the district is assessed under now (its pages, forms and reports open on it).

    The one set for it (CurrentProfile) when the district still uses it; else its first profile of
    the 2017 method; else its first profile; None when it has none.
    """
    if profiles is None:
        profiles = profiles_for_district(district)
    if not profiles:
        return None
    chosen = CurrentProfile.objects.filter(district=district).values_list("profile_id", flat=True).first()
    for profile in profiles:
        if profile.pk == chosen:
            return profile
    return next((p for p in profiles if is_quality_method(p)), profiles[0])


def current_versions(profiles: Iterable[RuleProfile]) -> list[RuleProfileVersion]:
    return [p.current_version() for p in profiles]


def profile_versions_for_districts(district_ids: Sequence[int]) -> dict[int, list[RuleProfileVersion]]:
    """Per district, the current version of each profile it is evaluated under, in two queries.

    The same as `current_versions(profiles_for_district(district))` for each district (same
    order; a profile without any version is left out), whatever the number of districts.
    """
    chosen: dict[int, list[int]] = {d: [] for d in district_ids}
    for district_id, profile_id in RuleProfile.districts.through.objects.filter(
        district_id__in=district_ids
    ).values_list("district_id", "ruleprofile_id"):
        chosen[district_id].append(profile_id)
    wanted = {p for ids in chosen.values() for p in ids}
    # Every version of the candidate profiles with its profile, in one query; the last one wins.
    current: dict[int, RuleProfileVersion] = {}
    versions = RuleProfileVersion.objects.filter(Q(profile__province="") | Q(profile_id__in=wanted)).select_related(
        "profile"
    )
    for version in versions.order_by("profile_id", "version"):
        current[version.profile_id] = version
    profiles = sorted({v.profile for v in current.values()}, key=lambda p: (p.province, p.name))  # Meta.ordering
    defaults = [p.pk for p in profiles if p.province == ""]
    out: dict[int, list[RuleProfileVersion]] = {}
    for district_id, ids in chosen.items():
        selected = set(ids) if ids else set(defaults)
        out[district_id] = [current[p.pk] for p in profiles if p.pk in selected]
    return out


def balance_result_get(*, district: District, year: int, profile_name: str) -> BalanceResult | None:
    # The stored outcome (about 0.2 MB for 200 schools) is read only when this process has not
    # decoded that result yet (BalanceResult.outcome keeps decoded outcomes by id).
    return (
        BalanceResult.objects.filter(district=district, year=year, profile_name=profile_name, is_current=True)
        .select_related("profile_version")
        .defer("payload")
        .first()
    )


def latest_result_until(*, district_id: int, profile_name: str, year: int) -> BalanceResult | None:
    """The district's newest current result under a profile for a school year up to `year`."""
    return (
        BalanceResult.objects.filter(
            district_id=district_id, profile_name=profile_name, is_current=True, year__lte=year
        )
        .select_related("profile_version")
        .order_by("-year")
        .first()
    )


def balance_results_for_district(district: District, profile_name: str) -> QuerySet[BalanceResult]:
    return BalanceResult.objects.filter(district=district, profile_name=profile_name, is_current=True).order_by("year")


def balance_state_get(district: District, year: int) -> BalanceState | None:
    return BalanceState.objects.filter(district=district, year=year).first()
