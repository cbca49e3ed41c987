"""Writes of the balance engine: rule profiles, recomputation and staleness.

balance_recompute is the one place where balance figures are computed and stored; the Celery
tasks, the nightly job and `manage.py recompute_balance` all call it.
"""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial
from typing import Any, NamedTuple

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from core.models import User
from core.transactions import derived_data_atomic, on_commit_once
from indicators import formulas, stored
from indicators.defaults import DEFAULT_PROFILES
from indicators.models import BalanceResult, BalanceState, CurrentProfile, RuleProfile, RuleProfileVersion
from indicators.selectors import CountyInputs, county_inputs, profile_versions_for_districts, profiles_for_district
from schools.models import District, Status

log = logging.getLogger(__name__)


# --- rule profiles --------------------------------------------------------------------------


def profile_install_defaults() -> list[RuleProfile]:
    """Create the national default profiles (data-dictionary.md) where they are missing."""
    created = []
    for name, definition in DEFAULT_PROFILES.items():
        profile, new = RuleProfile.objects.get_or_create(
            name=name, defaults={"label": definition["label"], "province": ""}
        )
        if new or not profile.versions.exists():
            RuleProfileVersion.objects.create(profile=profile, version=1, definition=definition, note="默认规则")
            created.append(profile)
    return created


@transaction.atomic
def profile_update(
    *, profile: RuleProfile, definition: Mapping[str, Any], user: User | None, note: str = ""
) -> RuleProfileVersion:
    """Save edited rules as a new version; results keep pointing at the version they used."""
    latest = RuleProfile.objects.select_for_update().get(pk=profile.pk).current_version()
    number = (latest.version if latest else 0) + 1
    data = {**definition, "name": profile.name, "version": number}
    try:
        checked = formulas.Profile.from_dict(data)
    except formulas.ProfileError as exc:
        raise ValidationError(str(exc)) from exc
    version = RuleProfileVersion.objects.create(
        profile=profile, version=number, definition=checked.to_dict(), note=note, created_by=user
    )
    for district in profile.districts.all():
        balance_mark_stale(district_id=district.pk, year=None)
    return version


@lru_cache(maxsize=256)
def _profile_of_version(version_id: int, definition_json: str) -> formulas.Profile:
    import json

    return formulas.Profile.from_dict(json.loads(definition_json))


def profile_of(version: RuleProfileVersion) -> formulas.Profile:
    """The pure-layer profile of a stored version (versions are immutable, so cache by id)."""
    import json

    return _profile_of_version(version.pk, json.dumps(version.definition, sort_keys=True))


# --- staleness and scheduling ---------------------------------------------------------------


def balance_mark_stale(*, district_id: int, year: int | None) -> None:
    """Data changed: mark the district-year's results stale and schedule one recompute.

    Coalesced: only the caller that finds no run queued schedules one (a conditional UPDATE),
    so a burst of saves gives one task. `year=None` marks every year of the district.
    """
    now = timezone.now()
    if year is None:
        years = list(BalanceState.objects.filter(district_id=district_id).values_list("year", flat=True))
    else:
        BalanceState.objects.get_or_create(district_id=district_id, year=year)
        years = [year]
    for y in years:
        states = BalanceState.objects.filter(district_id=district_id, year=y)
        states.update(stale=True, requested_at=now)
        # The conditional UPDATE coalesces across processes (only the caller that finds no run
        # queued queues one); on_commit_once coalesces the calls of this transaction.
        if states.filter(queued_at__isnull=True).update(queued_at=now):
            on_commit_once(("balance-schedule", district_id, y), partial(_schedule, district_id, y))


def _schedule(district_id: int, year: int) -> None:
    from indicators.tasks import recompute_balance

    try:
        recompute_balance.apply_async((district_id, year), countdown=getattr(settings, "BALANCE_COALESCE_SECONDS", 2))
    except Exception:
        # The results stay marked stale; the periodic catch-up job schedules them later.
        log.warning("could not queue balance recompute for district %s year %s", district_id, year, exc_info=True)
        BalanceState.objects.filter(district_id=district_id, year=year).update(queued_at=None)


# --- recompute ------------------------------------------------------------------------------

# Districts loaded, evaluated and written at a time. Memory holds one chunk's inputs and the
# encoded documents on their way to the server, whatever the number of districts (about 160 MB
# at national scale); queries are a handful per chunk. Bigger chunks wait less on the server
# between chunks.
CHUNK_DISTRICTS = 500


def _identity(inputs: CountyInputs) -> bytes:
    """The input part of a fingerprint: every school's identity and statistics, one line each.

    Built once per district and shared by its profiles.
    """
    rows = []
    order: dict[tuple[str, ...], list[str]] = {}  # the statistics' keys, sorted once per key set
    for record in inputs.records:
        _revision, status = inputs.provenance[record.school_code]
        stats = record.stats
        names = tuple(stats)
        keys = order.get(names) or order.setdefault(names, sorted(names))
        rows.append(
            [
                record.school_code,
                record.school_type,
                record.ownership,
                record.county_run,
                record.parent_school_code,
                record.school_name,
                status,
                keys,
                [stats[k] for k in keys],
            ]
        )
    # str() for a Decimal (a record made outside county_inputs): its exact digits.
    return orjson.dumps(rows, default=str)


def _fingerprint(version: RuleProfileVersion, identity: bytes) -> str:
    """Identity of what a result was computed from: the profile version and every input value."""
    digest = hashlib.sha256(f"engine:{formulas.ENGINE_VERSION}|profile:{version.pk}\n".encode())
    digest.update(identity)
    return digest.hexdigest()


def result_payload(
    evaluation: formulas.Evaluation,
    county: int,
    district: District,
    year: int,
    provenance: Mapping[str, tuple[int, str]],
    fingerprint: str,
) -> bytes:
    """County `county` of an evaluation in the form BalanceResult stores (indicators.stored)."""
    return stored.dumps(
        stored.encode(
            evaluation, county, district=district.code, year=year, fingerprint=fingerprint, schools=provenance
        )
    )


class _Job(NamedTuple):
    """One result to compute: a district under one profile version."""

    district: District
    version: RuleProfileVersion
    fingerprint: str


def balance_recompute(*, districts: Sequence[District], year: int, force: bool = False) -> list[BalanceResult]:
    """Evaluate districts for a year under each of their profiles and store the results.

    Idempotent: a result whose inputs and profile version are unchanged is kept as it is
    (unless `force`). Atomic: the whole call is one transaction, so readers see the old set or
    the new one, never half. Queries do not grow with the number of schools: profiles are
    loaded once, then per chunk of CHUNK_DISTRICTS districts the inputs in bulk, one evaluation
    per profile over all the chunk's districts at once (formulas.evaluate), and the results in
    one COPY (PostgreSQL) or bulk insert.

    Returns the new results; their `payload` is left unloaded (read from the database on first
    access) so that memory stays bounded at national scale.
    """
    started = timezone.now()
    districts = list(districts)
    district_ids = [d.pk for d in districts]
    # Every district-year gets its state row now (stale until this run commits), so a failed run
    # leaves it for the catch-up job; one statement whatever the number of districts.
    with derived_data_atomic():
        BalanceState.objects.bulk_create(
            [BalanceState(district_id=d, year=year, started_at=started) for d in district_ids],
            update_conflicts=True,
            unique_fields=["district", "year"],
            update_fields=["started_at", "queued_at"],
        )
    versions_of = profile_versions_for_districts(district_ids)
    profiles: dict[int, formulas.Profile] = {}  # version pk -> parsed rules, once per call
    new_results: list[BalanceResult] = []
    with derived_data_atomic(), _fewer_gc_passes():
        writer = _Writer()
        for start in range(0, len(districts), CHUNK_DISTRICTS):
            chunk = districts[start : start + CHUNK_DISTRICTS]
            new_results += _recompute_chunk(chunk, year, versions_of, profiles, force, writer)
        # Changes that arrived while we computed keep the state stale (a new run is queued).
        BalanceState.objects.filter(district_id__in=district_ids, year=year).update(
            computed_at=timezone.now(),
            last_error="",
            stale=Case(When(requested_at__gt=started, then=F("stale")), default=Value(False)),
        )
    return new_results


@contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Run Python's cyclic garbage collector less often while results are built.

    Building a chunk's results allocates many small objects without reference cycles; at the
    default threshold (a young-generation pass every 700 allocations) the collector rescans them
    again and again. The threshold is restored afterwards; nothing is left uncollected.
    """
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], 50_000), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _recompute_chunk(
    districts: Sequence[District],
    year: int,
    versions_of: Mapping[int, Sequence[RuleProfileVersion]],
    profiles: dict[int, formulas.Profile],
    force: bool,
    writer: _Writer,
) -> list[BalanceResult]:
    ids = [d.pk for d in districts]
    inputs = county_inputs(ids, year)
    # A forced run replaces every result: the stored fingerprints need not be read.
    stored_rows = BalanceResult.objects.filter(district_id__in=ids, year=year, is_current=True)
    current = (
        {}
        if force
        else {(d, p): f for d, p, f in stored_rows.values_list("district_id", "profile_name", "input_fingerprint")}
    )
    # Fingerprints decide which results are replaced; only those districts are evaluated.
    identities = {d.pk: _identity(inputs[d.pk]) for d in districts}
    jobs: list[_Job] = []
    for district in districts:
        for version in versions_of[district.pk]:
            fingerprint = _fingerprint(version, identities[district.pk])
            if force or current.get((district.pk, version.profile.name)) != fingerprint:
                jobs.append(_Job(district, version, fingerprint))
    if not jobs:
        return []
    replaced = Q()
    for profile_name in sorted({job.version.profile.name for job in jobs}):
        districts_of = [job.district.pk for job in jobs if job.version.profile.name == profile_name]
        replaced |= Q(district_id__in=districts_of, profile_name=profile_name)
    BalanceResult.objects.filter(replaced, year=year, is_current=True).update(is_current=False)

    # One table of the schools of every district with a job; each profile evaluates it once, and
    # profiles with the same section weights share the split of mixed schools.
    needed = list(dict.fromkeys(job.district.pk for job in jobs))
    position = {district_id: i for i, district_id in enumerate(needed)}
    table = formulas.school_table([inputs[d].records for d in needed])
    sections: dict[tuple[float, ...], formulas.Sections] = {}

    def evaluated() -> Iterator[tuple[BalanceResult, bytes]]:
        # A generator: the writer stores each result while the next profile is evaluated.
        by_version: dict[int, list[_Job]] = {}
        for job in jobs:
            by_version.setdefault(job.version.pk, []).append(job)
        for version_jobs in by_version.values():
            version = version_jobs[0].version
            if version.pk not in profiles:
                profiles[version.pk] = profile_of(version)
            profile = profiles[version.pk]
            weights = tuple(profile.section_weights[s] for s in formulas.SECTIONS)
            if weights not in sections:
                sections[weights] = formulas.unit_sections(table, profile.section_weights)
            evaluation = formulas.evaluate(table, profile, sections[weights])
            metas = {
                position[job.district.pk]: stored.CountyMeta(
                    job.district.code, year, job.fingerprint, inputs[job.district.pk].provenance
                )
                for job in version_jobs
            }
            forms = stored.encode_batch(evaluation, metas)
            for job, (_county, form) in zip(version_jobs, forms, strict=True):
                county = inputs[job.district.pk]
                row = BalanceResult(
                    district=job.district,
                    year=year,
                    profile_version=version,
                    profile_name=version.profile.name,
                    input_fingerprint=job.fingerprint,
                    units_total=len(county.records),
                    units_approved=sum(1 for _r, s in county.provenance.values() if s == Status.APPROVED),
                )
                yield row, stored.dumps(form)

    return writer.write(evaluated(), len(jobs))


class _Writer:
    """Inserts new results without keeping their payloads in memory.

    On PostgreSQL: one COPY per chunk, streamed through psycopg's queued writer, so that the
    server stores one result while Python computes the next. Elsewhere (SQLite in development):
    bulk_create in batches. Either way the returned instances have their primary key and leave
    `payload` deferred.
    """

    BATCH = 100

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.meta = BalanceResult._meta

    # Below this many results one INSERT ... RETURNING costs fewer round trips than taking keys
    # from the sequence and then COPY (a one-county recompute is the common case).
    COPY_FROM = 16

    def write(self, rows: Iterator[tuple[BalanceResult, bytes]], count: int) -> list[BalanceResult]:
        copy = self.postgres and count >= self.COPY_FROM
        written = self._copy(rows, count) if copy else self._bulk_create(rows)
        return [self._deferred(row) for row in written]

    def _bulk_create(self, rows: Iterator[tuple[BalanceResult, bytes]]) -> list[BalanceResult]:
        written: list[BalanceResult] = []
        batch: list[BalanceResult] = []
        for row, payload in rows:
            row.payload = payload
            batch.append(row)
            if len(batch) == self.BATCH:
                written += BalanceResult.objects.bulk_create(batch)
                batch = []
        if batch:
            written += BalanceResult.objects.bulk_create(batch)
        return written

    def _copy(self, rows: Iterator[tuple[BalanceResult, bytes]], count: int) -> list[BalanceResult]:
        from psycopg.copy import QueuedLibpqWriter

        fields = self.meta.concrete_fields
        table = connection.ops.quote_name(self.meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        pk_column = self.meta.pk.column
        written: list[BalanceResult] = []
        with connection.cursor() as cursor:
            # COPY does not return keys: take them from the table's sequence first, with the
            # columns' types (binary COPY sends the payload as it is, without text escaping).
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [self.meta.db_table, pk_column, count],
            )
            keys = [key for (key,) in cursor.fetchall()]
            cursor.execute(
                "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
                [self.meta.db_table],
            )
            types = dict(cursor.fetchall())
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
            with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
                copy.set_types([types[f.column] for f in fields])
                for (row, payload), key in zip(rows, keys, strict=True):
                    row.pk = key
                    values: list[object] = []
                    for field in fields:
                        if field.attname == "payload":
                            values.append(payload)
                        else:
                            # pre_save fills auto_now_add (computed_at) as save() would.
                            value = field.pre_save(row, add=True)
                            values.append(field.get_db_prep_save(value, connection))
                    copy.write_row(values)
                    written.append(row)
        return written

    def _deferred(self, row: BalanceResult) -> BalanceResult:
        # Drop the payload from memory: a model instance without a field's value in its
        # __dict__ treats it as deferred and loads it from the database on first access.
        row.__dict__.pop("payload", None)
        return row


def balance_recompute_and_follow(
    *, districts: Sequence[District], year: int, force: bool = False
) -> list[BalanceResult]:
    """balance_recompute, then what new results set off: the county assessment's problem lists.

    Every entry point that stores results for users (the per-district task, the nightly job, the
    recompute_balance command) goes through here; the problem lists follow after commit, one
    queued sync per district whose result changed. balance_recompute alone is the engine (the
    benchmarks time it).
    """
    results = balance_recompute(districts=districts, year=year, force=force)
    if results:
        from assessment.hooks import after_balance_recompute

        after_balance_recompute(district_ids=[r.district_id for r in results], year=year)
    return results


def balance_fan_out(
    *, district_ids: Sequence[int], year: int, force: bool = False, chunk: int = 0, follow: bool = True
) -> int:
    """Recompute many districts as chunk tasks that any worker may take (national scale).

    Each chunk (CHUNK_DISTRICTS districts unless `chunk` says otherwise) is one task and one
    transaction: its results are swapped in at once, independently of the other chunks. Without
    a broker (development) the tasks run here, one after the other. `follow=False` stores the
    results only (balance_recompute; the benchmark times the engine so). Returns the chunks sent.
    """
    from indicators.tasks import recompute_balance_chunk

    size = chunk or CHUNK_DISTRICTS
    ids = list(district_ids)
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    for part in chunks:
        recompute_balance_chunk.delay(part, year, force, follow)
    return len(chunks)


def balance_recompute_one(*, district_id: int, year: int, force: bool = False) -> int:
    """Task entry point: recompute one district-year; reschedule if data changed meanwhile."""
    district = District.objects.get(pk=district_id)
    results = balance_recompute_and_follow(districts=[district], year=year, force=force)
    state = BalanceState.objects.filter(district_id=district_id, year=year).first()
    if state and state.stale and state.queued_at is None:
        balance_mark_stale(district_id=district_id, year=year)
    return len(results)


def balance_record_failure(*, district_id: int, year: int, error: str) -> None:
    BalanceState.objects.filter(district_id=district_id, year=year).update(
        last_error=error[:2000], queued_at=None, stale=True
    )


@transaction.atomic
def profile_create(*, name: str, label: str, province: str, base: RuleProfile, user: User | None) -> RuleProfile:
    """A new profile (e.g. a province's variant) starting as a copy of `base`'s current rules."""
    if RuleProfile.objects.filter(name=name).exists():
        raise ValidationError({"name": _("规则标识 %(n)s 已存在") % {"n": name}})
    profile = RuleProfile(name=name, label=label, province=province)
    profile.full_clean()
    profile.save()
    definition = {**base.current_version().definition, "label": label}
    profile_update(profile=profile, definition=definition, user=user, note=f"复制自 {base.name}")
    return profile


@transaction.atomic
def district_choose_profiles(*, district: District, profiles: Sequence[RuleProfile]) -> None:
    """The bureau's choice of rule profiles (e.g. its province's). Empty = national defaults."""
    district.rule_profiles.set(profiles)
    for year in BalanceState.objects.filter(district=district).values_list("year", flat=True):
        balance_mark_stale(district_id=district.pk, year=year)


def district_set_current_profile(*, district: District, profile: RuleProfile, user: User | None = None) -> None:
    """Set the profile a district is assessed under now; it must be one the district uses."""
    if profile.pk not in {p.pk for p in profiles_for_district(district)}:
        raise ValidationError({"current": _("该区县未采用此评估规则")})
    before = CurrentProfile.objects.filter(district=district).select_related("profile").first()
    if before is not None and before.profile_id == profile.pk:
        return
    with transaction.atomic():
        CurrentProfile.objects.update_or_create(district=district, defaults={"profile": profile, "chosen_by": user})
        audit.record(
            user=user,
            action="current_profile",
            object_type="profile",
            object_id=profile.pk,
            district=district,
            summary=f"{before.profile.label if before else '—'} → {profile.label}",
            changes={"current": [before.profile.label if before else None, profile.label]},
        )
