"""A change to a county's figures, and the county evaluated with changes applied.

This is the contract between scenarios (what-if) and the planner (cheapest path to pass): both
speak in `Change`s, and both ask the engine itself whether the changed county passes. A change
names a data-dictionary key of one school's annual statistics and the figure it becomes; a
teacher moved between two schools is two changes. Approved statistics are never written: the
changes are applied to copies of the records the engine reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from indicators.formulas import SchoolRecord
from schools.fields import STAT_KEYS


@dataclass(frozen=True)
class Change:
    school_code: str
    field: str  # a data-dictionary key of the annual statistics (schools.fields.STAT_KEYS)
    from_value: float | None  # the county's stored figure
    to_value: float | None  # the figure planned or supposed

    def to_json(self) -> dict[str, object]:
        """The shape `plan_to_pass --json` and the API print."""
        return {"school_code": self.school_code, "field": self.field, "from": self.from_value, "to": self.to_value}


class UnknownChange(ValueError):  # noqa: N818 (a refusal the callers show, not an internal error)
    """A change names a school not in the county or a key not in the data dictionary."""


def apply_changes(records: Sequence[SchoolRecord], changes: Iterable[Change]) -> list[SchoolRecord]:
    """Copies of `records` with `changes` applied (the last change of a key wins)."""
    by_code = {r.school_code: r for r in records}
    overrides: dict[str, dict[str, float | None]] = {}
    for change in changes:
        if change.school_code not in by_code:
            raise UnknownChange(f"school {change.school_code} is not in this county")
        if change.field not in STAT_KEYS:
            raise UnknownChange(f"{change.field} is not a data-dictionary key")
        overrides.setdefault(change.school_code, {})[change.field] = change.to_value
    return [
        replace(r, stats={**r.stats, **overrides[r.school_code]}) if r.school_code in overrides else r for r in records
    ]
