"""Writes of the county assessment: checklist versions, entered figures and evidence, the survey
and its responses, and the problem list.

Every service is atomic: a refused input (a figure out of range, an answer missing, an evidence
file too big or of the wrong kind) raises ValidationError before anything is written, so nothing
is half-saved.
"""

from __future__ import annotations

import datetime
import logging
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment import formulas, selectors
from assessment.defaults import AREA_LABELS, CHECKLIST_DEFAULT_PROFILE, DEFAULT_CHECKLIST, GROUPS, QUESTIONNAIRES
from assessment.models import (
    ChecklistVersion,
    ItemEntry,
    ItemEvidence,
    Problem,
    RespondentToken,
    Survey,
    SurveyAnswer,
    SurveyLink,
    SurveyResponse,
)
from core.models import User
from core.transactions import on_commit_once
from indicators.models import BalanceResult, RuleProfile
from indicators.selectors import profiles_for_district
from plans import files
from schools.fields import SECTION_LABELS
from schools.models import District, School
from schools.selectors import district_school_rows

log = logging.getLogger(__name__)

# Messages (Chinese source strings; translated where raised).
MSG_NUMBER = "“%(label)s”应为数字,收到“%(raw)s”"
MSG_INTEGER = "“%(label)s”应为整数"
MSG_MIN = "“%(label)s”不能小于 %(min)s%(unit)s"
MSG_MAX = "“%(label)s”不能大于 %(max)s%(unit)s"
MSG_MAX_OF = "“%(label)s”(%(value)s)不能大于“%(other)s”(%(other_value)s)"
MSG_BOOL = "“%(label)s”请选择“是”或“否”"
MSG_STALE_ENTRY = "该项已被他人修改,请刷新后重新填写"
MSG_FILE_TOO_BIG = "文件“%(n)s”超过 %(mb)s MB 上限"
MSG_FILE_EMPTY = "文件“%(n)s”是空文件"
MSG_FILE_KIND = "文件“%(n)s”不是允许的类型(PDF、图片、Word、Excel);系统按文件内容判断,而不是扩展名"
MSG_ANSWER_MISSING = "请回答第 %(n)s 题"
MSG_ANSWER_INVALID = "第 %(n)s 题的选项无效"
MSG_GROUP = "请选择您的身份"
MSG_GRADE = "请选择年级"
MSG_AREA = "请选择您居住的区域(城区、镇区或乡村)"

# A problem found in school year Y is due by the end of that school year's summer (before the
# statistics of Y+1 are taken on 9月1日) unless the bureau sets another deadline.
DEADLINE_MONTH_DAY = (8, 31)


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
                errors.setdefault(spec.key, []).append(_(MSG_BOOL) % {"label": spec.label})
            continue
        if not text:
            values[spec.key] = None
            continue
        cleaned = text.replace(",", "").replace(",", "").removesuffix("%").strip()
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            errors.setdefault(spec.key, []).append(_(MSG_NUMBER) % {"label": spec.label, "raw": text})
            continue
        if not number.is_finite():
            errors.setdefault(spec.key, []).append(_(MSG_NUMBER) % {"label": spec.label, "raw": text})
            continue
        if spec.type == "integer" and number != number.to_integral_value():
            errors.setdefault(spec.key, []).append(_(MSG_INTEGER) % {"label": spec.label})
            continue
        if spec.min is not None and number < Decimal(str(spec.min)):
            errors.setdefault(spec.key, []).append(
                _(MSG_MIN) % {"label": spec.label, "min": _fmt(spec.min), "unit": spec.unit}
            )
            continue
        if spec.max is not None and number > Decimal(str(spec.max)):
            errors.setdefault(spec.key, []).append(
                _(MSG_MAX) % {"label": spec.label, "max": _fmt(spec.max), "unit": spec.unit}
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
                    "label": spec.label,
                    "value": values[spec.key],
                    "other": other.label if other else spec.max_of,
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
    revision: int | None = None,
) -> ItemEntry:
    """Save the bureau's figures and evidence for an entered item, all or nothing.

    Inputs linked to a county figure (巩固率) are written through plans.services.county_figure_set.
    `revision` (the entry's revision the form was opened at) refuses a save over someone else's.
    """
    if item.judge != "entered":
        raise ValidationError(_("该项由系统根据统计数据自动判定,无需填报"))
    values, errors = parse_entry(item, raw)
    if errors:
        raise ValidationError(errors)
    checked = [check_evidence(upload) for upload in uploads]  # every file checked before any write
    entry = ItemEntry.objects.select_for_update().filter(district=district, year=year, item_key=item.key).first()
    if entry is not None and revision is not None and entry.revision != revision:
        raise ValidationError(_(MSG_STALE_ENTRY))
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


# --- survey ---------------------------------------------------------------------------------


def _token(nbytes: int) -> str:
    return secrets.token_urlsafe(nbytes)


def _default_area_shares(district: District, year: int) -> dict[str, str]:
    """Area shares of the sample: the district's compulsory students by 城区/镇区/乡村 as a proxy
    for the resident population (which the system does not hold by area); equal thirds without data."""
    totals = dict.fromkeys(AREA_LABELS, 0.0)
    for row in district_school_rows(district, year):
        stats = row.statistics
        if stats is None:
            continue
        students = (stats.students_primary or 0) + (stats.students_junior or 0)
        totals[row.version.area_type] = totals.get(row.version.area_type, 0) + students
    total = sum(totals.values())
    if not total:
        return {area: "0.334" if area == "urban" else "0.333" for area in AREA_LABELS}
    shares = {area: round(value / total, 3) for area, value in totals.items()}
    return {area: f"{share:.3f}" for area, share in shares.items()}


def _survey_definition() -> dict[str, Any]:
    return {"questionnaires": QUESTIONNAIRES, "groups": GROUPS, "areas": AREA_LABELS}


@transaction.atomic
def survey_open(*, district: District, year: int, user: User | None, profile: RuleProfile | None = None) -> Survey:
    """Open the district's survey for a year with the three questionnaires and their links."""
    if Survey.objects.filter(district=district, year=year).exists():
        raise ValidationError(_("%(y)s 学年的社会认可度调查已经开启") % {"y": year})
    recognition = formulas.RecognitionSpec()
    profile = profile or selectors.district_profile(district)
    version = selectors.checklist_version_for(profile) if profile is not None else None
    if version is not None:
        recognition = selectors.checklist_of(version).recognition
    survey = Survey.objects.create(
        district=district,
        year=year,
        population=district.resident_population,
        sample_permille=Decimal(str(recognition.sample_permille)),
        parent_share=Decimal(str(recognition.parent_share)),
        area_shares=_default_area_shares(district, year),
        positive_options=list(recognition.positive_options),
        group_weights=dict(recognition.group_weights),
        rate_basis=recognition.rate_basis,
        threshold=Decimal(str(recognition.threshold)),
        veto=recognition.veto,
        definition=_survey_definition(),
        opened_by=user,
    )
    survey_links_refresh(survey=survey)
    return survey


@transaction.atomic
def survey_links_refresh(*, survey: Survey) -> int:
    """Create the missing links: per open school the three questionnaires (the student one for
    schools with 小学 or 初中 students), and one district-wide 社会卷 for 人大代表, 政协委员 and
    other residents. Idempotent; returns how many were created."""
    existing = set(SurveyLink.objects.filter(survey=survey).values_list("questionnaire", "school_id"))
    wanted: list[tuple[str, School | None]] = [("social", None)]
    for row in district_school_rows(survey.district, survey.year):
        for questionnaire in ("social", "staff", "student"):
            wanted.append((questionnaire, row.school))
    created = 0
    for questionnaire, school in wanted:
        if (questionnaire, school.pk if school else None) in existing:
            continue
        SurveyLink.objects.create(survey=survey, questionnaire=questionnaire, school=school, token=_token(16))
        created += 1
    return created


def _decimal(raw: Any, label: str, low: Decimal, high: Decimal) -> Decimal:
    text = str(raw if raw is not None else "").strip().replace(",", "").replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationError(_(MSG_NUMBER) % {"label": label, "raw": raw}) from exc
    if not value.is_finite() or value < low or value > high:
        raise ValidationError(
            _("“%(label)s”应在 %(low)s 到 %(high)s 之间") % {"label": label, "low": low, "high": high}
        )
    return value


@transaction.atomic
def survey_plan_set(
    *,
    survey: Survey,
    population: Any,
    permille: Any,
    parent_share_percent: Any,
    area_percents: Mapping[str, Any],
    min_fill_seconds: Any = None,
) -> Survey:
    """The bureau's sample plan: population, ‰, parents' minimum share and area shares (%, sum 100)."""
    errors: dict[str, list[str]] = {}

    def field(name: str, fn: Any) -> Any:
        try:
            return fn()
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
            return None

    pop = field("population", lambda: _decimal(population, _("常住人口"), Decimal(1), Decimal(100_000_000)))
    if pop is not None and pop != pop.to_integral_value():
        errors.setdefault("population", []).append(_(MSG_INTEGER) % {"label": _("常住人口")})
    rate = field("permille", lambda: _decimal(permille, _("抽样比例(‰)"), Decimal("0.001"), Decimal(1000)))
    parents = field("parent_share", lambda: _decimal(parent_share_percent, _("家长最低占比"), Decimal(0), Decimal(100)))
    shares = {
        area: field(
            f"area_{area}", lambda a=area: _decimal(area_percents.get(a), _(AREA_LABELS[a]), Decimal(0), Decimal(100))
        )
        for area in AREA_LABELS
    }
    seconds = None
    if min_fill_seconds not in (None, ""):
        seconds = field(
            "min_fill_seconds", lambda: _decimal(min_fill_seconds, _("最短作答时间(秒)"), Decimal(0), Decimal(3600))
        )
    if not errors and abs(sum(v for v in shares.values() if v is not None) - 100) > Decimal("0.5"):
        errors.setdefault("area_urban", []).append(_("城区、镇区、乡村的占比合计应为 100%"))
    if errors:
        raise ValidationError(errors)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    survey.population = int(pop)
    survey.sample_permille = rate
    survey.parent_share = (parents / 100).quantize(Decimal("0.001"))
    survey.area_shares = {area: f"{(share / 100):.3f}" for area, share in shares.items()}
    if seconds is not None:
        survey.min_fill_seconds = int(seconds)
    survey.save()
    return survey


@transaction.atomic
def survey_scoring_set(
    *,
    survey: Survey,
    positive_options: Sequence[str],
    group_weights: Mapping[str, Any],
    rate_basis: str,
    threshold_percent: Any,
) -> Survey:
    """An administrator's scoring rules for a survey: which answers count as 认可, weights, basis."""
    options = {
        o[0]
        for q in survey.definition["questionnaires"].values()
        for question in q["questions"]
        for o in question["options"]
    }
    chosen = [o for o in positive_options if o in options]
    if not chosen:
        raise ValidationError({"positive_options": [_("至少选择一个计为认可的选项")]})
    if rate_basis not in formulas.RATE_BASES:
        raise ValidationError({"rate_basis": [_("计算口径无效")]})
    weights: dict[str, float] = {}
    for group, raw in group_weights.items():
        if group not in GROUPS or raw in (None, ""):
            continue
        weights[group] = float(_decimal(raw, _(GROUPS[group]), Decimal(0), Decimal(1000)))
    threshold = _decimal(threshold_percent, _("认可度标准"), Decimal(1), Decimal(100))
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    survey.positive_options = chosen
    survey.group_weights = {g: w for g, w in weights.items() if w > 0}
    survey.rate_basis = rate_basis
    survey.threshold = (threshold / 100).quantize(Decimal("0.001"))
    survey.save()
    schedule_problems_sync(district_id=survey.district_id, year=survey.year)
    return survey


@transaction.atomic
def survey_close(*, survey: Survey, user: User | None) -> Survey:
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if not survey.is_open:
        raise ValidationError(_("调查已经结束"))
    survey.state = Survey.State.CLOSED
    survey.closed_at = timezone.now()
    survey.save(update_fields=["state", "closed_at"])
    schedule_problems_sync(district_id=survey.district_id, year=survey.year)
    return survey


@transaction.atomic
def survey_reopen(*, survey: Survey) -> Survey:
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    survey.state = Survey.State.OPEN
    survey.closed_at = None
    survey.save(update_fields=["state", "closed_at"])
    return survey


def link_for_token(token: str) -> SurveyLink | None:
    if not token or len(token) > 32:
        return None
    return SurveyLink.objects.select_related("survey", "school").filter(token=token, active=True).first()


def respondent_token_issue(*, link: SurveyLink) -> RespondentToken:
    """A new one-time token for one visitor of a link."""
    return RespondentToken.objects.create(link=link, token=_token(24))


class SurveyRefusedError(Exception):
    """A submission that is refused as a whole (not a form error): bad token, used, closed …"""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


REFUSALS: dict[str, tuple[str, int]] = {
    "invalid": ("链接无效或已失效,请重新扫描二维码", 404),
    "used": ("该问卷已经提交过,同一份问卷不能重复提交。感谢您的参与!", 409),
    "closed": ("本次调查已经结束,感谢您的关注", 410),
    "too_fast": ("提交过快,请认真阅读每道题后再提交", 400),
    "robot": ("提交未被接受,请刷新页面后重新填写", 400),
    "rate": ("提交过于频繁,请稍后再试", 429),
}


def refuse(code: str) -> SurveyRefusedError:
    message, status = REFUSALS[code]
    return SurveyRefusedError(code, _(message), status)


def questionnaire_of(link: SurveyLink) -> dict[str, Any]:
    return dict(link.survey.definition["questionnaires"][link.questionnaire])


def link_area(link: SurveyLink) -> str | None:
    """The 城乡 area of a school link's school in the survey year (None for district links)."""
    if link.school is None:
        return None
    from schools.selectors import school_version

    version = school_version(link.school, link.survey.year)
    return version.area_type if version is not None else None


def parse_answers(link: SurveyLink, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a questionnaire's answers: (clean values, errors by field). Every question is required."""
    definition = questionnaire_of(link)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {"answers": {}}
    groups = definition["groups"]
    group = groups[0] if len(groups) == 1 else str(raw.get("group") or "")
    if group not in groups:
        errors["group"] = _(MSG_GROUP)
    clean["group"] = group
    grade = None
    if definition.get("asks_grade") and group in ("parent", "student"):
        text = str(raw.get("grade") or "")
        if not text.isdecimal() or int(text) not in definition["grades"]:
            errors["grade"] = _(MSG_GRADE)
        else:
            grade = int(text)
    clean["grade"] = grade
    area = link_area(link)
    if area is None:
        area = str(raw.get("area") or "")
        if area not in AREA_LABELS:
            errors["area"] = _(MSG_AREA)
    clean["area"] = area
    for number, question in enumerate(definition["questions"], start=1):
        value = str(raw.get(f"q_{question['key']}") or "")
        if not value:
            errors[f"q_{question['key']}"] = _(MSG_ANSWER_MISSING) % {"n": number}
        elif value not in {o[0] for o in question["options"]}:
            errors[f"q_{question['key']}"] = _(MSG_ANSWER_INVALID) % {"n": number}
        else:
            clean["answers"][question["key"]] = value
    return clean, errors


def response_submit(
    *, token: str, raw: Mapping[str, Any], link: SurveyLink | None = None, now: datetime.datetime | None = None
) -> SurveyResponse:
    """Store one questionnaire, using up its respondent token; all or nothing.

    Raises SurveyRefusedError (invalid/used token, survey closed, filled faster than the survey's
    minimum time, honeypot filled) or ValidationError with the missing answers; in either case
    nothing is saved and the token stays as it was (a refused form can be corrected and sent).
    """
    now = now or timezone.now()
    if str(raw.get("website") or "").strip():
        raise refuse("robot")  # the honeypot field is hidden from people
    with transaction.atomic():
        respondent = (
            RespondentToken.objects.select_for_update(of=("self",))
            .select_related("link__survey", "link__school")
            .filter(token=str(token or "")[:48])
            .first()
        )
        if respondent is None or not respondent.link.active or (link is not None and respondent.link_id != link.pk):
            raise refuse("invalid")
        link = respondent.link
        survey = link.survey
        if respondent.used_at is not None:
            raise refuse("used")
        if not survey.is_open:
            raise refuse("closed")
        elapsed = (now - respondent.issued_at).total_seconds()
        if elapsed < survey.min_fill_seconds:
            raise refuse("too_fast")
        clean, errors = parse_answers(link, raw)
        if errors:
            raise ValidationError(errors)
        respondent.used_at = now
        respondent.save(update_fields=["used_at"])
        response = SurveyResponse.objects.create(
            survey=survey,
            link=link,
            respondent=respondent,
            questionnaire=link.questionnaire,
            group=clean["group"],
            area_type=clean["area"],
            grade=clean["grade"],
            school=link.school,
            seconds=max(0, math.floor(elapsed)),
        )
        SurveyAnswer.objects.bulk_create(
            [SurveyAnswer(response=response, question=q, option=o) for q, o in clean["answers"].items()]
        )
    return response


# --- problems -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """Something that fails now and should be a problem (when it has none)."""

    key: str
    source: str
    title: str
    detail: str = ""
    school_code: str = ""
    owner: str = ""
    profile_name: str = ""


@dataclass
class Findings:
    failing: dict[str, Finding]
    resolved: set[str]  # keys that pass on approved data: their open problems close

    def fail(self, finding: Finding) -> None:
        self.failing.setdefault(finding.key, finding)
        self.resolved.discard(finding.key)

    def resolve(self, key: str) -> None:
        if key not in self.failing:
            self.resolved.add(key)


def _level(level: str) -> str:
    return SECTION_LABELS.get(level, level)


def _balance_findings(district: District, year: int, found: Findings) -> None:
    """Failing school indicators (the stored units' gaps) and CVs over their threshold."""
    profiles = [p.name for p in profiles_for_district(district)]
    for result in BalanceResult.objects.filter(
        district=district, year=year, is_current=True, profile_name__in=profiles
    ):
        doc = result.document
        name = result.profile_name
        labels = {r["key"]: r for r in doc.get("rules", {}).get("indicators", [])}
        all_approved = result.units_approved >= result.units_total
        for unit in doc.get("units", []):
            if not unit.get("included") or unit.get("passes") is None:
                continue
            code, level = unit["school_code"], unit["level"]
            school_name = unit.get("school_name", code)
            for key, rule in labels.items():
                problem_key = f"unit:{name}:{code}:{level}:{key}"
                gap = unit.get("gaps", {}).get(key)
                if gap is not None:
                    value = gap.get("value")
                    shown = _("未填报") if value is None else f"{value:,.2f}"
                    found.fail(
                        Finding(
                            key=problem_key,
                            source=Problem.Source.BALANCE_UNIT,
                            title=_("%(school)s(%(level)s)%(label)s未达标")
                            % {"school": school_name, "level": _level(level), "label": rule["label"]},
                            detail=_("现值 %(v)s,标准 %(s)s %(u)s;%(gap)s")
                            % {
                                "v": shown,
                                "s": gap.get("standard"),
                                "u": rule.get("unit", ""),
                                "gap": gap.get("text", ""),
                            },
                            school_code=code,
                            owner=school_name,
                            profile_name=name,
                        )
                    )
                elif unit.get("approved") and (rule.get("standards") or {}).get(level) is not None:
                    found.resolve(problem_key)
        for level, data in doc.get("levels", {}).items():
            for key, ind in data.get("indicators", {}).items():
                problem_key = f"cv:{name}:{level}:{key}"
                label = ind.get("label") or labels.get(key, {}).get("label", key)
                if ind.get("passes") is False:
                    found.fail(
                        Finding(
                            key=problem_key,
                            source=Problem.Source.BALANCE_CV,
                            title=_("%(level)s%(label)s校际差异系数超标") % {"level": _level(level), "label": label},
                            detail=_("差异系数 %(cv).3f,标准 ≤ %(t)s")
                            % {"cv": ind.get("cv") or 0, "t": ind.get("threshold")},
                            owner=_("县教育局"),
                            profile_name=name,
                        )
                    )
                elif ind.get("passes") is True and all_approved:
                    found.resolve(problem_key)
            threshold = data.get("composite_threshold")
            if threshold is not None:
                problem_key = f"cv:{name}:{level}:composite"
                if data.get("passes") is False:
                    found.fail(
                        Finding(
                            key=problem_key,
                            source=Problem.Source.BALANCE_CV,
                            title=_("%(level)s综合差异系数超标") % {"level": _level(level)},
                            detail=_("综合差异系数 %(cv).3f,标准 ≤ %(t)s")
                            % {"cv": data.get("composite") or 0, "t": threshold},
                            owner=_("县教育局"),
                            profile_name=name,
                        )
                    )
                elif data.get("passes") is True and all_approved:
                    found.resolve(problem_key)


def _checklist_findings(district: District, year: int, found: Findings) -> None:
    for profile in profiles_for_district(district):
        checklist = selectors.county_checklist(district, year, profile)
        if checklist is None:
            continue
        for view in checklist.items.values():
            judgement = view.judgement
            item = judgement.item
            title = f"{AREA_LABELS_BY_AREA.get(item.area, '')} {item.key}:{item.text}"[:300]
            if item.judge == "auto":
                for finding in judgement.findings:
                    key = f"item:{item.key}:{finding.school_code}"
                    if finding.outcome == "fail":
                        found.fail(
                            Finding(
                                key=key,
                                source=Problem.Source.ITEM_SCHOOL,
                                title=f"{finding.school_name}:{item.standard_text}"[:300],
                                detail=f"{finding.detail}({item.key} {item.text})",
                                school_code=finding.school_code,
                                owner=finding.school_name,
                            )
                        )
                    elif finding.outcome in ("pass", "n/a") and finding.approved:
                        found.resolve(key)
            elif judgement.verdict is False:
                failing = [c for c in judgement.checks if c.passes is False]
                detail = ";".join(
                    f"{c.label}:{'否' if c.value is None else f'{c.value:,.2f}'}(标准 {c.standard})" for c in failing
                )
                found.fail(
                    Finding(
                        key=f"item:{item.key}", source=Problem.Source.ITEM, title=title, detail=detail, owner=item.owner
                    )
                )
            elif judgement.verdict is True:
                found.resolve(f"item:{item.key}")


AREA_LABELS_BY_AREA = {"guarantee": "政府保障程度", "quality": "教育质量", "veto": "一票否决事项"}


def _survey_findings(district: District, year: int, found: Findings) -> None:
    survey = selectors.survey_get(district, year)
    if survey is None or survey.is_open:
        return  # judged when the survey is closed
    summary = selectors.survey_summary(survey)
    if summary.verdict is False:
        found.fail(
            Finding(
                key="recognition",
                source=Problem.Source.RECOGNITION,
                title=_("社会认可度未达到 %(t)s%%") % {"t": f"{float(survey.threshold) * 100:g}"},
                detail=_("认可度 %(r).1f%%,有效问卷 %(n)s 份")
                % {"r": (summary.rate or 0) * 100, "n": summary.responses},
                owner=_("县人民政府、县教育局"),
            )
        )
    elif summary.verdict is True:
        found.resolve("recognition")


def default_deadline(year: int) -> datetime.date:
    return datetime.date(year + 1, *DEADLINE_MONTH_DAY)


@dataclass(frozen=True)
class SyncResult:
    opened: int
    closed: int


@transaction.atomic
def problems_sync(*, district: District, year: int) -> SyncResult:
    """Open a problem for each current failing finding of the year, close the ones now passing.

    Idempotent: a finding opens a problem only when no open problem has its key and no problem of
    that key was already recorded for this year (so a problem closed by hand stays closed for the
    year it was found). An open system problem found in this year or earlier closes itself when
    this year's approved data passes it. Problems the bureau added (`manual`) are never touched.
    """
    District.objects.select_for_update().filter(pk=district.pk).first()  # one sync per district at a time
    found = Findings({}, set())
    _balance_findings(district, year, found)
    _checklist_findings(district, year, found)
    _survey_findings(district, year, found)
    problems = Problem.objects.filter(district=district).exclude(source=Problem.Source.MANUAL)
    open_keys = set(problems.exclude(state=Problem.State.CLOSED).values_list("key", flat=True))
    this_year = set(problems.filter(year=year).values_list("key", flat=True))
    schools = {s.code: s for s in School.objects.filter(district=district)}
    opened = 0
    for key, finding in found.failing.items():
        if key in open_keys or key in this_year:
            continue
        Problem.objects.create(
            district=district,
            year=year,
            source=finding.source,
            key=key,
            profile_name=finding.profile_name,
            school=schools.get(finding.school_code),
            title=finding.title[:300],
            detail=finding.detail,
            owner=finding.owner[:100],
            deadline=default_deadline(year),
        )
        opened += 1
    now = timezone.now()
    closed = (
        problems.exclude(state=Problem.State.CLOSED)
        .filter(key__in=found.resolved, year__lte=year)
        .update(
            state=Problem.State.CLOSED,
            closed_auto=True,
            closed_at=now,
            closed_by=None,
            close_note=_("%(y)s 学年已审核数据达标,系统自动关闭") % {"y": year},
            updated_at=now,
        )
    )
    return SyncResult(opened, closed)


def schedule_problems_sync(*, district_id: int, year: int) -> None:
    """Sync the problem list after the current transaction commits (a Celery task).

    Once per district-year and transaction: twenty entries saved in one transaction give one sync.
    """
    on_commit_once(("problems-sync", district_id, year), partial(_queue_sync, district_id, year))


def _queue_sync(district_id: int, year: int) -> None:
    from assessment.tasks import sync_problems

    try:
        sync_problems.delay(district_id, year)
    except Exception:
        # The next recompute or entry runs it again; the list is only late, never wrong.
        log.warning("could not queue problem sync for district %s year %s", district_id, year, exc_info=True)


@transaction.atomic
def problem_create(
    *,
    district: District,
    year: int,
    title: str,
    detail: str,
    owner: str,
    deadline: datetime.date | None,
    school: School | None,
    user: User | None,
) -> Problem:
    """A problem the bureau adds itself (e.g. from an inspection visit)."""
    if not title.strip():
        raise ValidationError({"title": [_("请填写问题")]})
    problem = Problem(
        district=district,
        year=year,
        source=Problem.Source.MANUAL,
        title=title.strip(),
        detail=detail.strip(),
        owner=owner.strip(),
        deadline=deadline,
        school=school,
    )
    problem.full_clean()
    problem.save()
    return problem


@transaction.atomic
def problem_update(*, problem: Problem, owner: str, deadline: datetime.date | None, state: str) -> Problem:
    """Owner, deadline and 待整改/整改中 (closing goes through problem_close)."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if not problem.is_open:
        raise ValidationError(_("问题已关闭,不能修改"))
    if state not in (Problem.State.OPEN, Problem.State.IN_PROGRESS):
        raise ValidationError({"state": [_("状态无效")]})
    problem.owner = owner.strip()[:100]
    problem.deadline = deadline
    problem.state = state
    problem.save(update_fields=["owner", "deadline", "state", "updated_at"])
    return problem


@transaction.atomic
def problem_close(*, problem: Problem, note: str, user: User | None) -> Problem:
    """Close by hand, with a note saying what was done (required)."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if not problem.is_open:
        raise ValidationError(_("问题已关闭"))
    if not note.strip():
        raise ValidationError({"note": [_("关闭问题时必须填写整改说明")]})
    problem.state = Problem.State.CLOSED
    problem.closed_auto = False
    problem.closed_at = timezone.now()
    problem.closed_by = user
    problem.close_note = note.strip()
    problem.save(update_fields=["state", "closed_auto", "closed_at", "closed_by", "close_note", "updated_at"])
    return problem
