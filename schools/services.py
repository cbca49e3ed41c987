"""Writes to the registry and the statistics. Every change goes through here.

The browser forms, the importer, the demo seeder and the API all call these services, so the
rules and the history are the same whichever way data comes in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import revisions
from core.models import User
from schools.fields import SCHOOL_TYPES, STAT_KEYS
from schools.models import (
    EDITABLE_STATUSES,
    AnnualStatistics,
    District,
    School,
    SchoolVersion,
    StatisticsEvent,
    Status,
)
from schools.selectors import previous_statistics, school_version, version_for_year
from schools.validation import CheckResult, Number, check_statistics, parse_value

REJECTED_MESSAGE = gettext_lazy("数据未保存,请修改标出的项目")
CONFIRMED = gettext_lazy("确认沿用上年的数据")


class StatisticsRejected(Exception):  # noqa: N818 - a domain outcome, not a programming error
    """The values were not saved. `errors` block; `warnings` need a reason."""

    def __init__(self, check: CheckResult, message: str | None = None) -> None:
        self.check = check
        self.errors = check.errors
        self.warnings = check.warnings
        details = "; ".join(
            [f"{k}: {' '.join(v)}" for k, v in check.errors.items()] + [f"{k}: {v}" for k, v in check.warnings.items()]
        )
        super().__init__(message or f"{REJECTED_MESSAGE} ({details})")


# Someone else saved the record after the editor loaded it; no revision named at all. Shared by
# every record two people can edit (core.revisions).
StaleRevision = revisions.StaleRevision
RevisionRequired = revisions.RevisionRequired


# --- districts and schools ------------------------------------------------------------------


def district_get_or_create(*, code: str, name: str = "", province: str = "") -> District:
    district, created = District.objects.get_or_create(code=code, defaults={"name": name or code, "province": province})
    if created:
        district.full_clean()
    return district


SCHOOL_ATTRS = ("name", "school_type", "parent", "ownership", "county_run", "area_type", "closed", "note")


def _check_version(district: District, school_code: str, attrs: Mapping[str, Any]) -> None:
    if attrs.get("school_type") not in SCHOOL_TYPES:
        raise ValidationError({"school_type": _("未知的学校类型")})
    parent = attrs.get("parent")
    if attrs["school_type"] == "teaching_point":
        if parent is None:
            raise ValidationError({"parent": _("教学点必须填写所属学校(中心校)")})
        if parent.district_id != district.pk:
            raise ValidationError({"parent": _("所属学校必须在同一区县")})
        if parent.code == school_code:
            raise ValidationError({"parent": _("教学点不能隶属于自身")})
    elif parent is not None:
        raise ValidationError({"parent": _("只有教学点需要填写所属学校")})


@transaction.atomic
def school_create(*, district: District, code: str, year: int, user: User | None = None, **attrs: Any) -> School:
    """Register a school from school year `year` on."""
    if School.objects.filter(code=code).exists():
        raise ValidationError({"code": _("学校标识码 %(code)s 已存在") % {"code": code}})
    _check_version(district, code, attrs)
    school = School(district=district, code=code)
    school.full_clean()
    school.save()
    version = SchoolVersion(school=school, valid_from=year, created_by=user, **attrs)
    version.full_clean()
    version.save()
    return school


@transaction.atomic
def school_change(*, school: School, year: int, user: User | None = None, **attrs: Any) -> SchoolVersion:
    """Record what the school is from `year` on (a rename, a type change, a closure).

    Earlier years keep their version; a version that already starts in `year` is updated.
    """
    current = school_version(school, year)
    merged = {k: getattr(current, k) for k in SCHOOL_ATTRS} if current else {}
    merged.update(attrs)
    _check_version(school.district, school.code, merged)
    # One save per change (the audit trail records each save).
    version = SchoolVersion.objects.filter(school=school, valid_from=year).first()
    if version is None:
        version = SchoolVersion(school=school, valid_from=year, created_by=user)
    for key, value in merged.items():
        setattr(version, key, value)
    version.full_clean()
    version.save()
    return version


# --- statistics -----------------------------------------------------------------------------


def stat_values(stats: AnnualStatistics | None) -> dict[str, Number | None]:
    if stats is None:
        return {}
    return {key: getattr(stats, key) for key in STAT_KEYS}


def parse_statistics(raw: Mapping[str, Any]) -> tuple[dict[str, Number | None], CheckResult]:
    """Parse raw values (form strings, spreadsheet cells) into numbers, collecting errors."""
    check = CheckResult()
    values: dict[str, Number | None] = {}
    for key in STAT_KEYS:
        value, error = parse_value(key, raw.get(key))
        values[key] = value
        if error:
            check.error(key, error)
    return values, check


@dataclass(frozen=True)
class Prefetched:
    """What statistics_check reads for one school-year, loaded in bulk by a caller that checks
    many schools at once (the importer): the version in force, last year's and the stored record."""

    version: SchoolVersion | None
    previous: AnnualStatistics | None
    stored: AnnualStatistics | None


def statistics_check(
    *,
    school: School,
    year: int,
    raw: Mapping[str, Any],
    reasons: Mapping[str, str] | None = None,
    prefetched: Prefetched | None = None,
) -> tuple[dict[str, Number | None], CheckResult]:
    """Parse and check without saving (used by save, by the importer's dry run and the preview).

    `prefetched` replaces this function's three reads (the importer loads them for a whole file).
    """
    values, check = parse_statistics(raw)
    version = prefetched.version if prefetched is not None else school_version(school, year)
    if version is None:
        check.error("year", _("%(year)s 学年该校尚未登记") % {"year": year})
        return values, check
    if version.closed:
        check.error("year", _("该校 %(year)s 学年已撤销") % {"year": year})
        return values, check
    if check.ok:
        if prefetched is not None:
            previous, stored = stat_values(prefetched.previous), prefetched.stored
        else:
            previous = stat_values(previous_statistics(school, year))
            stored = AnnualStatistics.objects.filter(school=school, year=year).first()
        rules = check_statistics(
            values, school_type=version.school_type, previous=previous, reasons=_reasons(stored, values, reasons)
        )
        check.errors.update(rules.errors)
        check.warnings.update(rules.warnings)
    return values, check


def _reasons(
    stored: AnnualStatistics | None, values: Mapping[str, Number | None], given: Mapping[str, str] | None
) -> dict[str, str]:
    """The reasons that cover this save: the ones given now, and the stored ones of values that
    are not changing (a reason written once is not asked for again on every later save)."""
    kept = {
        key: reason
        for key, reason in (stored.change_reasons if stored else {}).items()
        if key in STAT_KEYS and _same(getattr(stored, key), values.get(key))
    }
    return {**kept, **{k: v for k, v in (given or {}).items() if v and v.strip()}}


def _same(a: Number | None, b: Number | None) -> bool:
    if a is None or b is None:
        return a is b
    return Decimal(str(a)) == Decimal(str(b))


def _jsonable(value: Number | None) -> Any:
    return str(value) if isinstance(value, Decimal) else value


@dataclass
class SaveResult:
    statistics: AnnualStatistics
    changes: dict[str, list[Any]]
    created: bool


@dataclass
class _Pending:
    """A save that passed every check, ready to be written."""

    statistics: AnnualStatistics
    changes: dict[str, list[Any]]
    created: bool
    event: StatisticsEvent


def _prepare(
    *,
    school: School,
    year: int,
    raw: Mapping[str, Any],
    user: User | None,
    reasons: Mapping[str, str] | None,
    expected_revision: revisions.Expected,
    action: str,
    prefetched: Prefetched | None,
) -> SaveResult | _Pending:
    """Everything statistics_save decides before it writes: a SaveResult when there is nothing to
    write, else the record with its new values and the event that records the change."""
    values, check = statistics_check(school=school, year=year, raw=raw, reasons=reasons, prefetched=prefetched)
    if not check.ok or check.warnings:
        raise StatisticsRejected(check)
    if prefetched is not None:
        # The caller loaded the record with select_for_update in this transaction (the importer
        # locks a whole file's records in one query): no second read per school.
        stats = prefetched.stored
    else:
        stats = AnnualStatistics.objects.select_for_update().filter(school=school, year=year).first()
    created = stats is None
    if stats is None:
        stats = AnnualStatistics(school=school, year=year)
    changes = {
        key: [_jsonable(getattr(stats, key)), _jsonable(values[key])]
        for key in STAT_KEYS
        if not _same(getattr(stats, key), values[key])
    }
    if not created and not changes:
        # Nothing to write, so nothing to refuse (a re-import of an approved school's row).
        return SaveResult(stats, {}, False)
    if not created and stats.status not in EDITABLE_STATUSES:
        raise ValidationError(_("该年度数据已提交或已审核,不能修改;如需修改请先退回"))
    if not created:
        revisions.check(
            stored=stats.revision,
            expected=expected_revision,
            changes=lambda since: _changed_since(stats, since),
        )
    for key in STAT_KEYS:
        setattr(stats, key, values[key])
    given = {k: v.strip() for k, v in (reasons or {}).items() if v and v.strip()}
    stats.change_reasons = {**stats.change_reasons, **{k: v for k, v in given.items() if k in changes}}
    stats.unconfirmed = False
    stats.updated_by = user
    if not created:
        stats.revision += 1
    if prefetched is not None:
        # The school and the user are objects in hand and the record was locked by the caller:
        # the three existence queries of full_clean would only repeat what is known.
        stats.full_clean(exclude=["school", "updated_by"], validate_constraints=False)
    else:
        stats.full_clean()
    event = StatisticsEvent(
        statistics=stats,
        action=StatisticsEvent.Action.CREATE if created and action == StatisticsEvent.Action.SAVE else action,
        user=user,
        changes=changes,
        reason="; ".join(f"{k}: {v}" for k, v in given.items() if k in changes),
    )
    return _Pending(stats, changes, created, event)


@transaction.atomic
def statistics_save(
    *,
    school: School,
    year: int,
    raw: Mapping[str, Any],
    user: User | None,
    reasons: Mapping[str, str] | None = None,
    expected_revision: revisions.Expected = None,
    action: str = StatisticsEvent.Action.SAVE,
    prefetched: Prefetched | None = None,
) -> SaveResult:
    """Save a school-year's statistics (all fields) after every check passes.

    Nothing is written unless every value is valid and every >50 % jump has a reason.
    `expected_revision` is the revision the editor started from (core.revisions): replacing a
    record without one raises RevisionRequired, and if somebody saved in between StaleRevision;
    nothing is overwritten. Server-side writers pass revisions.UNCHECKED. Approved records are
    locked.
    `prefetched` (statistics_check) must hold the record as read with select_for_update in the
    caller's transaction.
    """
    prepared = _prepare(
        school=school,
        year=year,
        raw=raw,
        user=user,
        reasons=reasons,
        expected_revision=expected_revision,
        action=action,
        prefetched=prefetched,
    )
    if isinstance(prepared, SaveResult):
        return prepared
    prepared.statistics.save()
    prepared.event.statistics = prepared.statistics
    prepared.event.save()
    _after_change(school.district_id, year)
    return SaveResult(prepared.statistics, prepared.changes, prepared.created)


@dataclass(frozen=True)
class SaveItem:
    """One school's part of statistics_save_many."""

    school: School
    raw: Mapping[str, Any]
    reasons: Mapping[str, str]
    prefetched: Prefetched


class ItemRejected(Exception):  # noqa: N818 - a domain outcome, like StatisticsRejected
    """statistics_save_many refused item `index`; `error` is what statistics_save would raise."""

    def __init__(self, index: int, error: Exception) -> None:
        self.index = index
        self.error = error
        super().__init__(f"item {index}: {error}")


@transaction.atomic
def statistics_save_many(
    *, items: Sequence[SaveItem], year: int, user: User | None, action: str = StatisticsEvent.Action.IMPORT
) -> list[SaveResult]:
    """statistics_save for many schools of one year at once (an import, a new school year): the
    same checks, values, reasons and events, written in a few bulk queries. All or nothing: the
    first refused item raises ItemRejected (with statistics_save's own error) and nothing is
    written. Every item's `prefetched` holds its record as locked by the caller.
    """
    results: list[SaveResult | _Pending] = []
    districts: set[int] = set()
    for index, item in enumerate(items):
        try:
            prepared = _prepare(
                school=item.school,
                year=year,
                raw=item.raw,
                user=user,
                reasons=item.reasons,
                # An import is checked against its preview's fingerprint instead; a new year only creates.
                expected_revision=revisions.UNCHECKED,
                action=action,
                prefetched=item.prefetched,
            )
        except (StatisticsRejected, StaleRevision, ValidationError) as error:
            raise ItemRejected(index, error) from error
        results.append(prepared)
        if isinstance(prepared, _Pending):
            districts.add(item.school.district_id)
    pending = [p for p in results if isinstance(p, _Pending)]
    now = timezone.now()
    changed = [p.statistics for p in pending if not p.created]
    for stats in changed:
        stats.updated_at = now  # bulk_update does not apply auto_now
    AnnualStatistics.objects.bulk_create([p.statistics for p in pending if p.created])
    AnnualStatistics.objects.bulk_update(
        changed, fields=[*STAT_KEYS, "change_reasons", "unconfirmed", "updated_by", "revision", "updated_at"]
    )
    for p in pending:
        p.event.statistics = p.statistics  # now with its primary key
    for event in StatisticsEvent.objects.bulk_create([p.event for p in pending]):
        # What StatisticsEvent.objects.create() sends: listeners (the audit trail) see each event
        # of a bulk write as they see a single save.
        post_save.send(
            sender=StatisticsEvent, instance=event, created=True, raw=False, using=event._state.db, update_fields=None
        )
    for district_id in sorted(districts):
        _after_change(district_id, year)
    return [r if isinstance(r, SaveResult) else SaveResult(r.statistics, r.changes, r.created) for r in results]


@transaction.atomic
def statistics_confirm(*, stats: AnnualStatistics, user: User | None) -> AnnualStatistics:
    """A person confirms figures carried over from last year (a new school year starts with them
    marked unconfirmed). Saving the record confirms it too."""
    locked = AnnualStatistics.objects.select_for_update().get(pk=stats.pk)
    if not locked.unconfirmed:
        return locked
    if not locked.editable:
        raise ValidationError(_("该年度数据已提交或已审核,不能修改;如需修改请先退回"))
    locked.unconfirmed = False
    locked.updated_by = user
    # A save event without changes: it counts as a revision, as every save event does
    # (_changed_since), so an editor who opened the form before the confirmation is told.
    locked.revision += 1
    locked.save(update_fields=["unconfirmed", "updated_by", "updated_at", "revision"])
    StatisticsEvent.objects.create(
        statistics=locked, action=StatisticsEvent.Action.SAVE, user=user, reason=str(CONFIRMED)
    )
    _after_change(stats.school.district_id, locked.year)
    return locked


def _changed_since(stats: AnnualStatistics, revision: int) -> dict[str, list[Any]]:
    """What changed after `revision`: the editor is shown this instead of losing it."""
    merged: dict[str, list[Any]] = {}
    events = stats.events.filter(action__in=["save", "import", "create"]).order_by("at", "id")
    saves = list(events)
    # Revisions count saves after creation: revision r was produced by the (r)-th save event.
    for event in saves[revision:]:
        for key, (old, new) in event.changes.items():
            merged[key] = [merged.get(key, [old])[0], new]
    return merged


def _transition(
    stats: AnnualStatistics,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    user: User | None,
    action: str,
    reason: str = "",
) -> AnnualStatistics:
    locked = AnnualStatistics.objects.select_for_update().get(pk=stats.pk)
    if locked.status not in allowed_from:
        raise ValidationError(_("当前状态“%(status)s”不能执行此操作") % {"status": locked.get_status_display()})
    locked.status = to
    locked.updated_by = user
    locked.save(update_fields=["status", "updated_by", "updated_at"])
    StatisticsEvent.objects.create(statistics=locked, action=action, user=user, reason=reason)
    _after_change(locked.school.district_id, locked.year)
    return locked


@transaction.atomic
def statistics_submit(*, stats: AnnualStatistics, user: User | None) -> AnnualStatistics:
    """Send a draft to the bureau. Incomplete data may be submitted; the list shows completeness."""
    return _transition(
        stats, allowed_from=EDITABLE_STATUSES, to=Status.SUBMITTED, user=user, action=StatisticsEvent.Action.SUBMIT
    )


@transaction.atomic
def statistics_approve(*, stats: AnnualStatistics, user: User | None) -> AnnualStatistics:
    """Approve and lock. Only bureau staff (checked by the caller through core.access)."""
    return _transition(
        stats, allowed_from=(Status.SUBMITTED,), to=Status.APPROVED, user=user, action=StatisticsEvent.Action.APPROVE
    )


@transaction.atomic
def statistics_reopen(*, stats: AnnualStatistics, user: User | None, reason: str) -> AnnualStatistics:
    """Return submitted or approved data for correction, with a reason the school sees."""
    if not reason.strip():
        raise ValidationError({"reason": _("退回时必须填写原因")})
    return _transition(
        stats,
        allowed_from=(Status.SUBMITTED, Status.APPROVED),
        to=Status.REOPENED,
        user=user,
        action=StatisticsEvent.Action.REOPEN,
        reason=reason.strip(),
    )


def _after_change(district_id: int, year: int) -> None:
    """Results depending on this district-year are now stale; one recompute is queued after commit.

    The mark is written in this transaction, with the data, so nothing commits new figures beside
    results still marked current; balance_mark_stale hands the queueing to
    core.transactions.on_commit_once, so a burst of saves queues one run.
    """
    from indicators.services import balance_mark_stale

    balance_mark_stale(district_id=district_id, year=year)


__all__ = [
    "ItemRejected",
    "Prefetched",
    "RevisionRequired",
    "SaveItem",
    "SaveResult",
    "StaleRevision",
    "StatisticsRejected",
    "district_get_or_create",
    "school_change",
    "school_create",
    "statistics_approve",
    "statistics_check",
    "statistics_confirm",
    "statistics_reopen",
    "statistics_save",
    "statistics_save_many",
    "statistics_submit",
    "version_for_year",
]
