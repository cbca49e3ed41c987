"""Writes of the county assessment: checklist versions, entered figures and evidence (the survey's
and the problem list's writes are in assessment/survey/services.py and
assessment/problems/services.py).

Every service is atomic: a refused input (a figure out of range, an answer missing, an evidence
file too big or of the wrong kind) raises ValidationError before anything is written, so nothing
is half-saved.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from assessment import formulas
from assessment.defaults import CHECKLIST_DEFAULT_PROFILE, DEFAULT_CHECKLIST
from assessment.models import (
    ChecklistVersion,
    ItemEntry,
    ItemEvidence,
)
from assessment.problems.services import schedule_problems_sync
from core import revisions
from core.labels import display_label
from core.models import User
from indicators.models import RuleProfile
from plans import files
from schools.models import District

log = logging.getLogger(__name__)

# Messages (Chinese source strings; translated where raised).
MSG_NUMBER = "“%(label)s”应为数字,收到“%(raw)s”"
MSG_INTEGER = "“%(label)s”应为整数"
MSG_MIN = "“%(label)s”不能小于 %(min)s%(unit)s"
MSG_MAX = "“%(label)s”不能大于 %(max)s%(unit)s"
MSG_MAX_OF = "“%(label)s”(%(value)s)不能大于“%(other)s”(%(other_value)s)"
MSG_BOOL = "“%(label)s”请选择“是”或“否”"
MSG_FILE_TOO_BIG = "文件“%(n)s”超过 %(mb)s MB 上限"
MSG_FILE_EMPTY = "文件“%(n)s”是空文件"
MSG_FILE_KIND = "文件“%(n)s”不是允许的类型(PDF、图片、Word、Excel);系统按文件内容判断,而不是扩展名"


# --- checklist ------------------------------------------------------------------------------


def checklist_install_defaults() -> list[ChecklistVersion]:
    """Install the default checklist for the national 2017 profile where it has none (idempotent)."""
    profile = RuleProfile.objects.filter(name=CHECKLIST_DEFAULT_PROFILE).first()
    if profile is None or ChecklistVersion.objects.filter(profile=profile).exists():
        return []
    return [
        ChecklistVersion.objects.create(profile=profile, version=1, definition=DEFAULT_CHECKLIST, note="默认检查项")
    ]


@transaction.atomic
def checklist_update(
    *, profile: RuleProfile, definition: Mapping[str, Any], user: User | None, note: str = ""
) -> ChecklistVersion:
    """Save an edited checklist as the profile's next version (earlier versions stay)."""
    try:
        checked = formulas.Checklist.from_dict(definition)
    except formulas.ChecklistError as exc:
        raise ValidationError(str(exc)) from exc
    RuleProfile.objects.select_for_update().filter(pk=profile.pk).first()
    latest = ChecklistVersion.objects.filter(profile=profile).order_by("-version").first()
    number = (latest.version if latest else 0) + 1
    return ChecklistVersion.objects.create(
        profile=profile, version=number, definition=checked.to_dict(), note=note, created_by=user
    )


# --- entered items --------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def parse_entry(item: formulas.ItemSpec, raw: Mapping[str, Any]) -> tuple[dict[str, str | None], dict[str, list[str]]]:
    """Check the figures typed for an item: (values as text, errors per input key).

    Empty means "not entered" (allowed: the item then can't be judged yet). Numbers must parse,
    integers be whole, every value lie in the input's [min, max] and not exceed its `max_of`.
    """
    values: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    numbers: dict[str, Decimal] = {}
    for spec in item.inputs:
        text = raw.get(spec.key)
        text = "" if text is None else str(text).strip()
        if spec.type == "bool":
            if text in ("", None):
                values[spec.key] = None
            elif text in ("true", "false"):
                values[spec.key] = text
            else:
                errors.setdefault(spec.key, []).append(_(MSG_BOOL) % {"label": display_label(spec.label)})
            continue
        if not text:
            values[spec.key] = None
            continue
        cleaned = text.replace(",", "").replace(",", "").removesuffix("%").strip()
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            errors.setdefault(spec.key, []).append(_(MSG_NUMBER) % {"label": display_label(spec.label), "raw": text})
            continue
        if not number.is_finite():
            errors.setdefault(spec.key, []).append(_(MSG_NUMBER) % {"label": display_label(spec.label), "raw": text})
            continue
        if spec.type == "integer" and number != number.to_integral_value():
            errors.setdefault(spec.key, []).append(_(MSG_INTEGER) % {"label": display_label(spec.label)})
            continue
        if spec.min is not None and number < Decimal(str(spec.min)):
            errors.setdefault(spec.key, []).append(
                _(MSG_MIN)
                % {"label": display_label(spec.label), "min": _fmt(spec.min), "unit": display_label(spec.unit)}
            )
            continue
        if spec.max is not None and number > Decimal(str(spec.max)):
            errors.setdefault(spec.key, []).append(
                _(MSG_MAX)
                % {"label": display_label(spec.label), "max": _fmt(spec.max), "unit": display_label(spec.unit)}
            )
            continue
        numbers[spec.key] = number
        values[spec.key] = format(number.to_integral_value() if spec.type == "integer" else number, "f")
    for spec in item.inputs:
        if spec.max_of and spec.key in numbers and spec.max_of in numbers and numbers[spec.key] > numbers[spec.max_of]:
            other = item.input(spec.max_of)
            errors.setdefault(spec.key, []).append(
                _(MSG_MAX_OF)
                % {
                    "label": display_label(spec.label),
                    "value": values[spec.key],
                    "other": display_label(other.label) if other else spec.max_of,
                    "other_value": values[spec.max_of],
                }
            )
    return values, errors


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: str
    data: bytes


def check_evidence(upload: UploadedFile) -> CheckedFile:
    """Size and content checks of plans/files.py (the content decides the kind, not the name)."""
    name = (upload.name or "evidence")[:200]
    limit = files.MAX_EVIDENCE_BYTES
    too_big = _(MSG_FILE_TOO_BIG) % {"n": name, "mb": limit // (1024 * 1024)}
    if upload.size is not None and upload.size > limit:
        raise ValidationError(too_big)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(too_big)
    if not data:
        raise ValidationError(_(MSG_FILE_EMPTY) % {"n": name})
    kind = files.sniff(data[:16], data)
    if kind is None:
        raise ValidationError(_(MSG_FILE_KIND) % {"n": name})
    return CheckedFile(name, kind, data)


@transaction.atomic
def item_entry_save(
    *,
    district: District,
    year: int,
    item: formulas.ItemSpec,
    raw: Mapping[str, Any],
    note: str = "",
    uploads: Sequence[UploadedFile] = (),
    user: User | None,
    revision: revisions.Expected = None,
) -> ItemEntry:
    """Save the bureau's figures and evidence for an entered item, all or nothing.

    Inputs linked to a county figure (巩固率) are written through plans.services.county_figure_set.
    `revision` is the entry's revision the form was opened at (0: no entry then): a save over an
    existing entry without it, or over someone else's newer save, is refused (core.revisions).
    """
    if item.judge != "entered":
        raise ValidationError(_("该项由系统根据统计数据自动判定,无需填报"))
    values, errors = parse_entry(item, raw)
    if errors:
        raise ValidationError(errors)
    checked = [check_evidence(upload) for upload in uploads]  # every file checked before any write
    entry = ItemEntry.objects.select_for_update().filter(district=district, year=year, item_key=item.key).first()
    if entry is not None:
        saved = {**entry.values, "note": entry.note}
        posted = {**{k: v for k, v in values.items() if v is not None}, "note": note.strip()}
        revisions.check(
            stored=entry.revision, expected=revision, changes=lambda _r: revisions.differences(posted, saved)
        )
    if entry is None:
        entry = ItemEntry(district=district, year=year, item_key=item.key, revision=0)
    stored: dict[str, str] = {}
    for spec in item.inputs:
        value = values.get(spec.key)
        if spec.source and spec.source.startswith("county_figure:"):
            if value is not None:
                from plans.services import county_figure_set

                county_figure_set(district=district, year=year, kind=spec.source.split(":", 1)[1], value=value)
            continue
        if value is not None:
            stored[spec.key] = value
    entry.values = stored
    entry.note = note.strip()
    entry.revision += 1
    entry.updated_by = user
    entry.full_clean()
    entry.save()
    for each in checked:
        digest = files.store(each.data)
        ItemEvidence.objects.create(
            entry=entry, original_name=each.name, kind=each.kind, size=len(each.data), sha256=digest, uploaded_by=user
        )
    schedule_problems_sync(district_id=district.pk, year=year)
    return entry


@transaction.atomic
def item_evidence_delete(*, evidence: ItemEvidence) -> None:
    """Remove an evidence row (the stored file may be shared by checksum and stays)."""
    evidence.delete()
