"""A naive per-school ORM recompute, the baseline the benchmark compares the engine with.

It is what a straightforward implementation would write: per district, list its schools, then
for each school one query for its latest version and one for its statistics (plus one for a
teaching point's parent), build the records, evaluate with the same pure formulas
(indicators.formulas.evaluate_county) under each profile, and store one document per county
and profile with `.save()`. Same results as the engine, different database access pattern.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.db import transaction

from indicators import formulas
from indicators.models import BalanceResult, RuleProfile
from indicators.services import result_payload
from schools.fields import STAT_KEYS
from schools.models import AnnualStatistics, District, School, SchoolVersion, Status


def naive_recompute(*, districts: Sequence[District], year: int) -> int:
    stored = 0
    for district in districts:
        with transaction.atomic():
            profiles = list(district.rule_profiles.all()) or list(RuleProfile.objects.filter(province=""))
            records: list[formulas.SchoolRecord] = []
            provenance: dict[str, tuple[int, str]] = {}
            for school in School.objects.filter(district=district).order_by("code"):
                version = (
                    SchoolVersion.objects.filter(school=school, valid_from__lte=year).order_by("-valid_from").first()
                )
                if version is None or version.closed:
                    continue
                stats = AnnualStatistics.objects.filter(school=school, year=year).first()
                if stats is None:
                    continue
                parent_code = version.parent.code if version.parent_id and version.parent else None
                values = {}
                for key in STAT_KEYS:
                    value = getattr(stats, key)
                    values[key] = None if value is None else float(value)
                records.append(
                    formulas.SchoolRecord(
                        school_code=school.code,
                        school_name=version.name,
                        school_type=version.school_type,
                        ownership=version.ownership,
                        county_run=version.county_run,
                        parent_school_code=parent_code,
                        stats=values,
                    )
                )
                provenance[school.code] = (stats.revision, stats.status)
            for rule_profile in profiles:
                version_row = rule_profile.current_version()
                profile = formulas.Profile.from_dict(version_row.definition)
                digest = hashlib.sha256(f"{formulas.ENGINE_VERSION}|{version_row.pk}".encode())
                for record in records:
                    digest.update(repr((record, provenance[record.school_code])).encode())
                evaluation = formulas.evaluate(formulas.school_table([records]), profile)
                payload = result_payload(evaluation, 0, district, year, provenance, digest.hexdigest())
                BalanceResult.objects.filter(
                    district=district, year=year, profile_name=rule_profile.name, is_current=True
                ).update(is_current=False)
                BalanceResult(
                    district=district,
                    year=year,
                    profile_version=version_row,
                    profile_name=rule_profile.name,
                    input_fingerprint=digest.hexdigest(),
                    units_total=len(records),
                    units_approved=sum(1 for _r, s in provenance.values() if s == Status.APPROVED),
                    payload=payload,
                ).save()
                stored += 1
    return stored
