"""Reads of scenarios, and a scenario evaluated beside the county's own figures.

One evaluation loads the county's inputs once (`indicators.selectors.county_inputs`: two
queries), applies the scenario's changes in memory and runs the engine once over both the county
as it is and the county as changed (two counties of one batch, `indicators.formulas.evaluate`),
read back through the results contract (`indicators.results.BalanceOutcome`) like a stored
result: no database round trip per change, nothing stored.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from core import access
from core.models import User
from indicators import formulas, selectors, services
from indicators.results import BalanceOutcome
from indicators.selectors import CountyInputs
from indicators.stored import outcome_of
from indicators.whatif import Change, apply_changes
from scenarios.edits import Draft
from scenarios.models import Scenario
from schools.models import District


def scenario_list(*, user: User, district: District, year: int | None = None) -> QuerySet[Scenario]:
    """The district's scenarios the user may read (none for a role that may not), newest first."""
    scenarios = Scenario.objects.filter(district=district).select_related("created_by")
    if not access.can(user, "view_scenarios", district):
        return scenarios.none()
    return scenarios if year is None else scenarios.filter(year=year)


def stored_changes(scenario: Scenario) -> list[Change]:
    """The scenario's changes as saved (their `from` is read from the county when evaluated)."""
    return [Change(str(c["school_code"]), str(c["field"]), None, c["to"]) for c in scenario.change_list]


def county_inputs(district: District, year: int) -> CountyInputs:
    return selectors.county_inputs([district.pk], year)[district.pk]


def profile_for(district: District, name: str) -> formulas.Profile | None:
    """The current rules of a profile the district is evaluated under (None: not one of them)."""
    for profile in selectors.profiles_for_district(district):
        if profile.name == name:
            version = profile.current_version()
            return None if version is None else services.profile_of(version)
    return None


@dataclass(frozen=True)
class Evaluated:
    """A scenario's figures beside the county's own, both from the same inputs."""

    changes: list[Change]  # with `from` = the county's figure now
    stale: list[Change]  # changes naming a school no longer in the county that year (not applied)
    base: BalanceOutcome  # the county as it is (the balance page's figures when its result is current)
    outcome: BalanceOutcome  # the county with the changes


# The county as it is, evaluated, for the last few (district, year, rules, inputs) of this
# process: every change to a scenario is evaluated beside the same base, so only the changed
# county is evaluated again. The key holds every input the engine reads (not a digest), so a hit
# is exact; any change to the data or the rules is another key.
_BASES: OrderedDict[Hashable, BalanceOutcome] = OrderedDict()
_BASES_KEPT = 16


def _base_key(inputs: CountyInputs, profile: formulas.Profile, district: str, year: int) -> Hashable:
    return (
        district,
        year,
        profile,
        tuple(
            (
                r.school_code,
                r.school_name,
                r.school_type,
                r.ownership,
                r.county_run,
                r.parent_school_code,
                inputs.provenance.get(r.school_code),
                tuple(r.stats.items()),
            )
            for r in inputs.records
        ),
    )


def evaluate_changes(
    inputs: CountyInputs, profile: formulas.Profile, changes: Sequence[Change], *, district: str, year: int
) -> Evaluated:
    """The engine over the county as it is and as changed (pure: no database)."""
    known = {r.school_code for r in inputs.records}
    stale = [c for c in changes if c.school_code not in known]
    resolved = Draft(inputs.records, [c for c in changes if c.school_code in known]).changes()
    changed = apply_changes(inputs.records, resolved)
    schools = dict(inputs.provenance)
    key = _base_key(inputs, profile, district, year)
    base = _BASES.get(key)
    if base is None:
        evaluation = formulas.evaluate(formulas.school_table([inputs.records, changed]), profile)
        base = outcome_of(evaluation, 0, district=district, year=year, schools=schools)
        outcome = outcome_of(evaluation, 1, district=district, year=year, schools=schools)
        _BASES[key] = base
        while len(_BASES) > _BASES_KEPT:
            _BASES.popitem(last=False)
    else:
        _BASES.move_to_end(key)
        evaluation = formulas.evaluate(formulas.school_table([changed]), profile)
        outcome = outcome_of(evaluation, 0, district=district, year=year, schools=schools)
    return Evaluated(resolved, stale, base, outcome)


def scenario_evaluate(scenario: Scenario, *, inputs: CountyInputs | None = None) -> Evaluated:
    """A saved scenario evaluated now (one load of the county's inputs unless given)."""
    district = scenario.district
    profile = profile_for(district, scenario.profile_name)
    if profile is None:
        raise Http404(_("该区县未采用此评估规则"))
    if inputs is None:
        inputs = county_inputs(district, scenario.year)
    return evaluate_changes(inputs, profile, stored_changes(scenario), district=district.code, year=scenario.year)
