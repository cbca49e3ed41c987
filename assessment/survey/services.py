"""Writes of the 社会认可度 survey: opening it with its links, the bureau's sample plan and an
administrator's scoring rules, closing and reopening, and the public questionnaire's responses.

Every write is atomic: a refused input (a figure out of range, an answer missing) raises
ValidationError, and a refused submission SurveyRefusedError, before anything is written.
"""

from __future__ import annotations

import datetime
import math
import secrets
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment import formulas, selectors
from assessment.defaults import AREA_LABELS, GROUPS, QUESTIONNAIRES
from assessment.models import RespondentToken, Survey, SurveyAnswer, SurveyLink, SurveyResponse
from assessment.problems.services import schedule_problems_sync
from assessment.services import MSG_INTEGER, MSG_NUMBER
from core.models import User
from indicators.models import RuleProfile
from schools.models import District, School
from schools.selectors import district_school_rows

# Messages (Chinese source strings; translated where raised).
MSG_ANSWER_MISSING = "请回答第 %(n)s 题"
MSG_ANSWER_INVALID = "第 %(n)s 题的选项无效"
MSG_GROUP = "请选择您的身份"
MSG_GRADE = "请选择年级"
MSG_AREA = "请选择您居住的区域(城区、镇区或乡村)"


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
