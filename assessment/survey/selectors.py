"""Reads of the 社会认可度 survey: the survey of a district-year and its figures (sample plan and
fulfilment, raw counts, rate and verdict), computed from the stored answers on every read with
assessment/survey/formulas.py. Access is the caller's business (core.access)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from assessment.defaults import AREA_LABELS
from assessment.models import Survey, SurveyAnswer, SurveyResponse
from assessment.survey import formulas as survey_formulas
from schools.models import District


def survey_get(district: District, year: int) -> Survey | None:
    return Survey.objects.filter(district=district, year=year).first()


@dataclass
class SurveySummary:
    """A survey's figures: sample plan and fulfilment, raw counts, rate and verdict."""

    survey: Survey
    plan: survey_formulas.SamplePlan | None
    fulfilment: survey_formulas.Fulfilment | None
    responses: int
    by_group: dict[str, int]
    by_area: dict[str, int]
    by_questionnaire: dict[str, int]
    counts: list[tuple[str, str, str, int]]  # (group, question, option, n), the raw counts
    tallies: dict[str, tuple[int, int]]
    rate: float | None
    verdict: bool | None
    missing: list[str]


def survey_counts(survey: Survey) -> list[tuple[str, str, str, int]]:
    """Raw counts of valid answers per respondent group, question and option (one query)."""
    rows = (
        SurveyAnswer.objects.filter(response__survey=survey, response__valid=True)
        .values_list("response__group", "question", "option")
        .annotate(n=Count("id"))
        .order_by("response__group", "question", "option")
    )
    return [(g, q, o, n) for g, q, o, n in rows]


def _count_by(responses: QuerySet[SurveyResponse], column: str) -> dict[str, int]:
    rows = responses.order_by().values(column).annotate(n=Count("id")).values_list(column, "n")
    return {str(key): n for key, n in rows}


def survey_summary(survey: Survey) -> SurveySummary:
    valid = SurveyResponse.objects.filter(survey=survey, valid=True)
    by_group = _count_by(valid, "group")
    by_area = _count_by(valid, "area_type")
    by_questionnaire = _count_by(valid, "questionnaire")
    total = sum(by_group.values())
    plan = None
    fulfilment = None
    missing: list[str] = []
    if survey.population:
        plan = survey_formulas.sample_plan(
            survey.population, survey.sample_permille, survey.parent_share, survey.area_shares or {}
        )
        fulfilment = survey_formulas.plan_fulfilment(plan, total, by_group.get("parent", 0), by_area)
        if fulfilment.still_needed:
            missing.append(
                _("样本不足:已收回 %(n)s 份,应不少于 %(t)s 份,还需 %(k)s 份")
                % {"n": total, "t": plan.total, "k": fulfilment.still_needed}
            )
        if fulfilment.parents_needed:
            missing.append(
                _("家长问卷 %(n)s 份,应不少于 %(t)s 份,还需 %(k)s 份")
                % {"n": fulfilment.parents, "t": plan.parents_min, "k": fulfilment.parents_needed}
            )
        for area, (count, target) in fulfilment.areas.items():
            if count < target:
                missing.append(
                    _("%(area)s样本 %(n)s 份,应不少于 %(t)s 份,还需 %(k)s 份")
                    % {"area": _(AREA_LABELS.get(area, area)), "n": count, "t": target, "k": target - count}
                )
    else:
        missing.append(_("未填写常住人口,无法确定样本量"))
    counts = survey_counts(survey)
    overall = [q.get("overall", "overall") for q in survey.definition.get("questionnaires", {}).values()]
    tallies = survey_formulas.group_tallies(counts, survey.positive_options, survey.rate_basis, overall)
    rate = survey_formulas.recognition_rate(tallies, survey.group_weights or None)
    # Judged only on a sample that meets its plan (standards.md §3.5): a short stratum leaves the
    # survey 无法判定 whatever its rate so far, and `missing` says how many are still needed.
    verdict = survey_formulas.survey_verdict(rate, fulfilment, survey.threshold)
    if verdict is None and rate is not None and missing:
        missing.append(_("样本未达到抽样方案,认可度暂不判定"))
    if total == 0:
        missing.append(_("尚无有效问卷"))
    return SurveySummary(
        survey=survey,
        plan=plan,
        fulfilment=fulfilment,
        responses=total,
        by_group=by_group,
        by_area=by_area,
        by_questionnaire=by_questionnaire,
        counts=counts,
        tallies=tallies,
        rate=None if rate is None else float(rate),
        verdict=verdict,
        missing=missing,
    )


def survey_live(survey: Survey, summary: SurveySummary | None = None) -> dict[str, Any]:
    """The figures the bureau's survey page polls (JSON-safe); the API serves them too."""
    summary = summary or survey_summary(survey)
    fulfilment = summary.fulfilment
    return {
        "responses": summary.responses,
        "by_group": summary.by_group,
        "by_area": summary.by_area,
        "by_questionnaire": summary.by_questionnaire,
        "target": summary.plan.total if summary.plan else None,
        "parents_min": summary.plan.parents_min if summary.plan else None,
        "area_targets": dict(summary.plan.area_targets) if summary.plan else {},
        "complete": fulfilment.complete if fulfilment else False,
        "rate": summary.rate,
        "verdict": summary.verdict,
        "verdict_text": {True: _("达标"), False: _("未达标"), None: _("无法判定")}[summary.verdict],
        "missing": summary.missing,
        "state": survey.state,
    }
