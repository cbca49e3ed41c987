"""A competent per-county ORM recompute: the honest baseline for the engine (issue #13).

What an experienced Django engineer writes without a batch engine: profiles and their versions
loaded once; then per county, in its own transaction, two queries with `select_related` (the
schools' versions up to the year, with the teaching points' parents; the year's statistics with
their school), the same pure formulas (`indicators.formulas.evaluate_county`, once per profile),
the result encoded the way the application stores it, the previous result marked not current and
the new one stored with a plain `.save()`. Same figures as the engine, same stored form.

The naive version (bench/naive.py) is what a beginner writes: one query per school.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.db import transaction

from indicators import formulas
from indicators.models import BalanceResult, RuleProfile
from indicators.services import result_payload
from schools.fields import STAT_KEYS
from schools.models import AnnualStatistics, District, SchoolVersion, Status


def percounty_recompute(*, districts: Sequence[District], year: int) -> int:
    defaults = list(RuleProfile.objects.filter(province="").prefetch_related("versions"))
    parsed: dict[int, tuple[object, formulas.Profile]] = {}
    stored = 0
    for district in districts:
        with transaction.atomic():
            chosen = list(district.rule_profiles.prefetch_related("versions")) or defaults
            versions = {}
            for school_version in (
                SchoolVersion.objects.filter(school__district=district, valid_from__lte=year)
                .select_related("school", "parent")
                .order_by("school_id", "valid_from")
            ):
                versions[school_version.school_id] = school_version  # the latest one wins
            records: list[formulas.SchoolRecord] = []
            provenance: dict[str, tuple[int, str]] = {}
            for stats in (
                AnnualStatistics.objects.filter(school__district=district, year=year)
                .select_related("school")
                .order_by("school__code")
            ):
                version = versions.get(stats.school_id)
                if version is None or version.closed:
                    continue
                parent = version.parent
                records.append(
                    formulas.SchoolRecord(
                        school_code=stats.school.code,
                        school_name=version.name,
                        school_type=version.school_type,
                        ownership=version.ownership,
                        county_run=version.county_run,
                        parent_school_code=parent.code if parent and parent.district_id == district.pk else None,
                        stats={k: None if (v := getattr(stats, k)) is None else float(v) for k in STAT_KEYS},
                    )
                )
                provenance[stats.school.code] = (stats.revision, stats.status)
            for rule_profile in chosen:
                version_row = max(rule_profile.versions.all(), key=lambda v: v.version)
                if version_row.pk not in parsed:
                    parsed[version_row.pk] = (version_row, formulas.Profile.from_dict(version_row.definition))
                profile = parsed[version_row.pk][1]
                digest = hashlib.sha256(f"{formulas.ENGINE_VERSION}|{version_row.pk}".encode())
                for record in records:
                    digest.update(repr((record, provenance[record.school_code])).encode())
                fingerprint = digest.hexdigest()
                evaluation = formulas.evaluate(formulas.school_table([records]), profile)
                BalanceResult.objects.filter(
                    district=district, year=year, profile_name=rule_profile.name, is_current=True
                ).update(is_current=False)
                BalanceResult(
                    district=district,
                    year=year,
                    profile_version=version_row,
                    profile_name=rule_profile.name,
                    input_fingerprint=fingerprint,
                    units_total=len(records),
                    units_approved=sum(1 for _r, s in provenance.values() if s == Status.APPROVED),
                    payload=result_payload(evaluation, 0, district, year, provenance, fingerprint),
                ).save()
                stored += 1
    return stored
