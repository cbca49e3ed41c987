"""Writes of the balance engine: rule profiles, recomputation and staleness.

balance_recompute is the one place where balance figures are computed and stored; the Celery
tasks, the nightly job and `manage.py recompute_balance` all call it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from indicators import formulas
from indicators.defaults import DEFAULT_PROFILES
from indicators.models import BalanceResult, BalanceState, RuleProfile, RuleProfileVersion
from indicators.selectors import CountyInputs, county_inputs, current_versions, profiles_for_district
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
        if states.filter(queued_at__isnull=True).update(queued_at=now):
            transaction.on_commit(lambda y=y: _schedule(district_id, y))


def _schedule(district_id: int, year: int) -> None:
    from indicators.tasks import recompute_balance

    try:
        recompute_balance.apply_async((district_id, year), countdown=getattr(settings, "BALANCE_COALESCE_SECONDS", 2))
    except Exception:
        # The results stay marked stale; the periodic catch-up job schedules them later.
        log.warning("could not queue balance recompute for district %s year %s", district_id, year, exc_info=True)
        BalanceState.objects.filter(district_id=district_id, year=year).update(queued_at=None)


# --- recompute ------------------------------------------------------------------------------


def _fingerprint(version: RuleProfileVersion, inputs: CountyInputs) -> str:
    """Identity of what a result was computed from: the profile version and every input value."""
    digest = hashlib.sha256(f"engine:{formulas.ENGINE_VERSION}|profile:{version.pk}\n".encode())
    for record in inputs.records:
        revision, status = inputs.provenance[record.school_code]
        stats = ",".join(f"{k}={record.stats[k]!r}" for k in sorted(record.stats))
        digest.update(
            f"{record.school_code}|{record.school_type}|{record.ownership}|{record.county_run}|"
            f"{record.parent_school_code}|{record.school_name}|{status}|{stats}\n".encode()
        )
    return digest.hexdigest()


def _document(
    result: formulas.CountyResult,
    district: District,
    year: int,
    version: RuleProfileVersion,
    inputs: CountyInputs,
    fingerprint: str,
) -> dict[str, Any]:
    document = result.document(district.code, year)
    approved = {code for code, (_rev, status) in inputs.provenance.items() if status == Status.APPROVED}
    for unit in document["units"]:
        unit["approved"] = unit["school_code"] in approved
    document["inputs"] = {
        "fingerprint": fingerprint,
        "engine_version": formulas.ENGINE_VERSION,
        "profile_version": version.version,
        "profile_label": version.definition.get("label", version.profile.label),
        "schools": {code: {"revision": rev, "status": st} for code, (rev, st) in inputs.provenance.items()},
        "schools_total": len(inputs.provenance),
        "schools_approved": len(approved),
    }
    return document


def balance_recompute(*, districts: Sequence[District], year: int, force: bool = False) -> list[BalanceResult]:
    """Evaluate districts for a year under each of their profiles and store the results.

    Idempotent: a result whose inputs and profile version are unchanged is kept as it is
    (unless `force`). Queries do not grow with the number of schools: inputs are loaded in
    bulk for all districts, results written with one bulk insert per call.
    """
    started = timezone.now()
    district_ids = [d.pk for d in districts]
    BalanceState.objects.filter(district_id__in=district_ids, year=year).update(started_at=started, queued_at=None)
    inputs = county_inputs(district_ids, year)
    current = {
        (r.district_id, r.profile_name): r.input_fingerprint
        for r in BalanceResult.objects.filter(district_id__in=district_ids, year=year, is_current=True).only(
            "district_id", "profile_name", "input_fingerprint"
        )
    }
    versions_by_profile: dict[int, list[RuleProfileVersion]] = {}
    new_results: list[BalanceResult] = []
    for district in districts:
        profiles = profiles_for_district(district)
        key = hash(tuple(p.pk for p in profiles))
        if key not in versions_by_profile:
            versions_by_profile[key] = [v for v in current_versions(profiles) if v is not None]
        for version in versions_by_profile[key]:
            county = inputs[district.pk]
            fingerprint = _fingerprint(version, county)
            if not force and current.get((district.pk, version.profile.name)) == fingerprint:
                continue
            result = formulas.evaluate_county(county.records, profile_of(version))
            new_results.append(
                BalanceResult(
                    district=district,
                    year=year,
                    profile_version=version,
                    profile_name=version.profile.name,
                    input_fingerprint=fingerprint,
                    units_total=len(county.records),
                    units_approved=sum(1 for _r, s in county.provenance.values() if s == Status.APPROVED),
                    document=_document(result, district, year, version, county, fingerprint),
                )
            )
    with transaction.atomic():
        # Swap in one transaction: readers see the old set or the new one, never half.
        for profile_name in {r.profile_name for r in new_results}:
            BalanceResult.objects.filter(
                district_id__in=[r.district_id for r in new_results if r.profile_name == profile_name],
                year=year,
                profile_name=profile_name,
                is_current=True,
            ).update(is_current=False)
        BalanceResult.objects.bulk_create(new_results, batch_size=500)
        finished = timezone.now()
        states = BalanceState.objects.filter(district_id__in=district_ids, year=year)
        states.update(computed_at=finished, last_error="")
        # Changes that arrived while we computed keep the state stale (a new run is queued).
        states.filter(requested_at__lte=started).update(stale=False)
        states.filter(requested_at__isnull=True).update(stale=False)
    _ensure_states(district_ids, year, finished)
    return new_results


def _ensure_states(district_ids: Sequence[int], year: int, when: Any) -> None:
    existing = set(
        BalanceState.objects.filter(district_id__in=district_ids, year=year).values_list("district_id", flat=True)
    )
    BalanceState.objects.bulk_create(
        [
            BalanceState(district_id=d, year=year, stale=False, computed_at=when)
            for d in district_ids
            if d not in existing
        ],
        ignore_conflicts=True,
    )


def balance_recompute_one(*, district_id: int, year: int, force: bool = False) -> int:
    """Task entry point: recompute one district-year; reschedule if data changed meanwhile."""
    district = District.objects.get(pk=district_id)
    results = balance_recompute(districts=[district], year=year, force=force)
    state = BalanceState.objects.filter(district_id=district_id, year=year).first()
    if state and state.stale and state.queued_at is None:
        balance_mark_stale(district_id=district_id, year=year)
    return len(results)


def balance_record_failure(*, district_id: int, year: int, error: str) -> None:
    BalanceState.objects.filter(district_id=district_id, year=year).update(
        last_error=error[:2000], queued_at=None, stale=True
    )


@transaction.atomic
def profile_create(
    *, name: str, label: str, province: str, base: RuleProfile, user: User | None
) -> RuleProfile:
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
