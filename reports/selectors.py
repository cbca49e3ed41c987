"""Reads for reports: the context of a county or school report, its identity, and report jobs.

The contexts are plain data built from the stored BalanceResult documents (every balance
figure), the registry and statistics (基本情况), the plans, the approval record and the
assessment provider (reports.sections). Templates and the spreadsheet writer only format them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from core import access
from core.identity import files_digest
from core.years import document_date, school_year_label
from indicators.formulas import Profile
from indicators.models import BalanceResult, BalanceState, RuleProfile, RuleProfileVersion
from indicators.presentation import note_text
from indicators.results import BalanceOutcome, UnitOutcome
from indicators.selectors import current_profile, profiles_for_district
from planner import selectors as planner_selectors
from plans.models import SchoolPlan
from plans.selectors import (
    county_plan_board,
    county_plan_for,
    plan_target_rows,
    plans_target_rows,
    progress_overview,
)
from reports import content, sections
from reports.charts import share_bars
from reports.identity import data_identity, stored_identity
from reports.models import ReportJob, ReportKind
from schools.fields import OWNERSHIPS, SCHOOL_TYPES
from schools.models import AnnualStatistics, District, School, SchoolVersion, StatisticsEvent
from schools.selectors import district_school_rows, school_version

if TYPE_CHECKING:
    from core.access import AnyUser

# Bump when what a report shows changes in a way the hashed files below do not capture.
REPORT_VERSION = "2026.11.1"
REPORT_SOURCES = (
    "templates/reports/pdf",
    "static/reports/print.css",
    "static/reports/fonts",
    "reports/content.py",
    "reports/charts.py",
    "reports/selectors.py",
    "reports/sections.py",
    "reports/xlsx.py",
    "reports/pdf.py",
    "reports/pdfsplit.py",
)


class ReportUnavailable(Exception):  # noqa: N818 - a condition the user is told about, not a bug
    """The report cannot be made (no stored result for the year and profile); says why."""


# --- identity -----------------------------------------------------------------------------------


def template_digest() -> str:
    """Hash of the report's templates, stylesheet, fonts and the code that shapes it (per process)."""
    return files_digest(REPORT_SOURCES, REPORT_VERSION)


def report_identity(
    *, kind: str, fmt: str, district: District, school: School | None, year: int, profile_name: str
) -> str:
    """The fingerprint of a report: everything its file shows.

    The district's own facts and the report templates; then the balance results, the staleness
    flag, the registry, the statistics, the approval record, the school plans, their targets and
    progress, the county plan, its targets and figures and the assessment data: on PostgreSQL
    through the versions the database keeps for them (reports.identity.stored_identity, one small
    read), elsewhere read and hashed (data_identity, and the assessment app's own identity). Same
    inputs give the same fingerprint, so the stored file is reused; any change the report would
    show gives a new one.
    """
    digest = hashlib.sha256()
    digest.update(f"{template_digest()}|{kind}|{fmt}|{year}|{profile_name}|".encode())
    digest.update(f"{district.pk}|{district.code}|{district.name}|{district.province}|".encode())
    digest.update(f"{district.resident_population}|".encode())
    if kind == ReportKind.COUNTY:
        # An adopted plan (its appendix 整改方案) is never edited: a new adoption is a new row.
        digest.update(f"adopted:{planner_selectors.adopted_plan_id(district, year, profile_name)}|".encode())
    if connection.vendor == "postgresql":
        # The stored versions cover the assessment data too (reports.identity.TRACKED).
        digest.update(f"stored:{stored_identity(kind, district, school, year)}".encode())
        return digest.hexdigest()
    digest.update(data_identity(kind, district, school, year, profile_name).encode())
    if kind == ReportKind.COUNTY:
        digest.update(f"assessment:{sections.assessment_identity(district, year, profile_name)}".encode())
    return digest.hexdigest()


# --- shared reads -------------------------------------------------------------------------------


def unavailable_message(district: District, year: int, profile_name: str) -> str:
    return f"{district.name} {school_year_label(year)}尚无“{profile_name}”规则的计算结果"


def result_exists(district: District, year: int, profile_name: str) -> bool:
    return BalanceResult.objects.filter(
        district=district, year=year, profile_name=profile_name, is_current=True
    ).exists()


def result_for(district: District, year: int, profile_name: str) -> BalanceResult:
    result = (
        BalanceResult.objects.filter(district=district, year=year, profile_name=profile_name, is_current=True)
        .select_related("profile_version", "profile_version__profile", "profile_version__created_by")
        .first()
    )
    if result is None:
        raise ReportUnavailable(unavailable_message(district, year, profile_name))
    return result


def issuing_block(district: District) -> dict[str, str]:
    """The cover's issuing body and date, as on a real report (成文日期 in Arabic numerals, GB/T 9704)."""
    today = timezone.localdate()
    return {"issuer": f"{district.name}教育局", "issued_on": document_date(today)}


def report_profiles(district: District) -> list[RuleProfile]:
    """The district's profiles, the one it is assessed under now first (the form's default)."""
    profiles = profiles_for_district(district)
    current = current_profile(district, profiles)
    return sorted(profiles, key=lambda p: p != current)


def report_years(district: District) -> list[int]:
    """Years with a stored result for the district, newest first."""
    years = BalanceResult.objects.filter(district=district, is_current=True).values_list("year", flat=True)
    return sorted(set(years), reverse=True)


def registry_rows(district: District, year: int) -> list[content.RegistryRow]:
    rows = []
    for row in district_school_rows(district, year):
        stats = row.statistics
        rows.append(
            content.RegistryRow(
                code=row.school.code,
                name=row.version.name,
                school_type=row.version.school_type,
                area_type=row.version.area_type,
                ownership=row.version.ownership,
                county_run=row.version.county_run,
                status=None if stats is None else stats.status,
                students={s: getattr(stats, f"students_{s}", None) for s in ("primary", "junior", "senior")},
                teachers={s: getattr(stats, f"teachers_{s}", None) for s in ("primary", "junior")},
            )
        )
    return rows


def approval_record(events: QuerySet[StatisticsEvent], names: dict[str, str]) -> list[dict[str, str]]:
    """Who approved which school's statistics and when (local time): one row per school.

    The row names the approval in force (the latest); earlier approvals and reopenings are
    counted in `history`, so the record stays one line per school however long its history.
    """
    chosen = events.filter(action__in=[StatisticsEvent.Action.APPROVE, StatisticsEvent.Action.REOPEN])
    rows = chosen.order_by("statistics__school__code", "at", "pk").values_list(
        "statistics__school__code", "action", "at", "user__display_name", "user__username", "reason"
    )
    by_school: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_school.setdefault(row[0], []).append(row)
    out = []
    for code, history in by_school.items():
        code, action, at, display, username, reason = history[-1]
        reopened = sum(1 for h in history if h[1] == StatisticsEvent.Action.REOPEN)
        earlier = len(history) - 1
        note = f"此前 {earlier} 次操作,其中退回修改 {reopened} 次" if earlier else ""
        out.append(
            {
                "code": code,
                "name": names.get(code, code),
                "action": str(StatisticsEvent.Action(action).label),
                "user": display or username or "—",
                "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
                "reason": "；".join(x for x in (reason, note) if x),
            }
        )
    return out


def _profile_info(result: BalanceResult) -> dict[str, Any]:
    version: RuleProfileVersion = result.profile_version
    profile = result.outcome.profile
    creator = version.created_by
    return {
        "name": result.profile_name,
        "label": profile.label or version.profile.label,
        "version": version.version,
        "created_at": timezone.localtime(version.created_at).strftime("%Y-%m-%d %H:%M"),
        "created_by": (creator.display_name or creator.username) if creator else "系统默认",
        "note": version.note,
        "indicators": [
            {
                "label": rule.label,
                "unit": rule.unit,
                "numerator": rule.numerator,
                "factor": content.plain(rule.factor),
                "standards": [content.plain(rule.standards.get(lv)) for lv in ("primary", "junior")],
                "thresholds": [
                    content.fixed(t, 2) if (t := rule.cv_thresholds.get(lv)) is not None else content.plain(None)
                    for lv in ("primary", "junior")
                ],
            }
            for rule in profile.indicators
        ],
        "county_rule": "各项指标差异系数分别判定" if profile.county_rule == "each_indicator" else "综合差异系数判定",
        "composite_thresholds": [
            content.fixed(t, 2) if t is not None else content.plain(None)
            for t in (profile.composite_thresholds.get(lv) for lv in ("primary", "junior"))
        ]
        if profile.composite_thresholds
        else None,
        "school_rule": content.school_rule_text(profile.school_rule),
        "scope": scope_lines(profile),
    }


TEACHING_POINT_MODES = {
    "separate": "单独作为计算单元",
    "exclude": "不参与计算",
    "merge_into_parent": "并入所属学校计算",
}


def scope_lines(profile: Profile) -> list[str]:
    """The profile's scope switches in words (§5.1, §5.2, §5.3)."""
    scope = profile.scope
    weights = profile.section_weights
    return [
        "民办学校" + ("不参与计算" if scope.exclude_private else "参与计算"),
        "非县属学校" + ("不参与计算" if scope.exclude_non_county else "参与计算"),
        "教学点"
        + TEACHING_POINT_MODES.get(scope.teaching_point_mode, scope.teaching_point_mode)
        + (
            f";在校生不足 {scope.teaching_point_min_students} 人的教学点不参与计算"
            if scope.teaching_point_min_students
            else ""
        ),
        "特殊教育学校" + ("不参与计算" if scope.exclude_special else "参与计算"),
        "职业初中" + ("不参与计算" if scope.exclude_vocational else "参与计算"),
        "教学及辅助用房面积" + ("扣除室内体育用房" if profile.subtract_indoor_sports else "不扣除室内体育用房"),
        "一贯制学校与完全中学的设施按加权学生数分摊,小学 : 初中 : 高中 = "
        + " : ".join(f"{weights.get(s, 0):g}" for s in ("primary", "junior", "senior")),
    ]


def _result_info(result: BalanceResult, district: District, year: int) -> dict[str, Any]:
    state = BalanceState.objects.filter(district=district, year=year).values_list("stale", flat=True).first()
    return {
        "fingerprint": result.input_fingerprint,
        "engine_version": result.outcome.engine_version,
        "computed_at": timezone.localtime(result.computed_at).strftime("%Y-%m-%d %H:%M"),
        "units_total": result.units_total,
        "units_approved": result.units_approved,
        "stale": bool(state),
        "preview": result.units_approved < result.units_total,
    }


# --- county report ------------------------------------------------------------------------------


def county_report_context(*, district: District, year: int, profile_name: str) -> dict[str, Any]:
    """Everything the county report (督导评估报告, §7.2) shows, as plain data."""
    result = result_for(district, year, profile_name)
    outcome = result.outcome
    registry = registry_rows(district, year)
    names = {r.code: r.name for r in registry}
    facts = content.basic_facts(registry)
    cv = content.cv_tables(outcome)
    units = content.unit_tables(outcome)
    gaps = content.gap_rows(outcome)
    assessment = sections.assessment_for_report(district, year, profile_name)
    county_plan = _county_plan(district, outcome)
    school_plans = _school_plans(district, year, names)
    problems = content.derive_problems(
        outcome,
        cv,
        unapproved=facts["unapproved"],
        not_reported=facts["not_reported"],
        plan_missing=school_plans["missing"],
    )
    info = _result_info(result, district, year)
    profile = _profile_info(result)
    events = StatisticsEvent.objects.filter(statistics__school__district=district, statistics__year=year)
    return {
        "kind": "county",
        "district": {"code": district.code, "name": district.name, "province": district.province},
        "population": content.count(district.resident_population),
        "year": year,
        "year_label": school_year_label(year),
        "title": f"{district.name}义务教育均衡发展督导评估报告",
        "cover_lines": [f"评估学年:{school_year_label(year)}", f"评估对象:{district.name}义务教育学校"],
        "profile": profile,
        "result": info,
        "facts": facts,
        "cv": cv,
        "calc": content.calc_tables(cv),
        "units": units,
        "gaps": gaps,
        "charts": content.compliance_charts(outcome, units),
        "assessment": content.assessment_view(assessment),
        "county_plan": county_plan,
        "school_plans": school_plans,
        "problems": problems,
        "conclusion": conclusion(outcome, cv, units, assessment, info, profile),
        "county_verdict": outcome.passes,
        "approvals": approval_record(events, names),
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "rectification": planner_selectors.appendix(district, year, profile_name),
        **issuing_block(district),
    }


def conclusion(
    outcome: BalanceOutcome,
    cv: Sequence[dict[str, Any]],
    units: dict[str, Any],
    assessment: sections.Assessment,
    info: dict[str, Any],
    profile: dict[str, Any],
) -> list[str]:
    """The conclusion in sentences, each from a stored verdict."""
    out = [
        f"依据《{profile['label']}》(规则第 {profile['version']} 版),本报告对 {info['units_total']} 所学校的"
        f"统计数据进行了计算,其中 {info['units_approved']} 所学校的数据已审核。"
    ]
    by_level = {lv["level"]: lv for lv in units["levels"]}
    for lv in cv:
        judged = [r for r in lv["rows"] if r["passes"] is not None]
        passing = sum(1 for r in judged if r["passes"])
        text = f"{lv['label']}:{lv['units']} 个计算单元参与校际差异系数计算"
        if judged:
            text += f",{len(judged)} 项指标中 {passing} 项达到标准"
        if lv["composite"] is not None:
            text += f",综合差异系数 {lv['composite']['cv']}"
        text += f",结论为“{lv['verdict']}”"
        table = by_level.get(lv["level"])
        if table and table["assessed"]:
            text += f";{table['assessed']} 个计算单元中 {table['passing']} 个达到学校达标要求"
        out.append(text + "。")
    verdict = outcome.passes
    out.append(
        {
            True: "县域义务教育学校资源配置校际差异系数达到本规则要求。",
            False: "县域义务教育学校资源配置校际差异系数未达到本规则要求,见问题清单与整改建议。",
            None: "县域义务教育学校资源配置校际差异系数无法判定。",
        }[verdict]
    )
    missing = [s.title for s in assessment.sections if not s.available]
    if missing:
        out.append(f"{'、'.join(missing)}:{sections.NO_DATA},本报告不对其作出结论。")
    for s in assessment.sections:
        if s.available:
            out.append(f"{s.title}:{s.summary},结论为“{content.verdict_text(s.verdict)}”。")
    if info["preview"]:
        out.append("本报告含未审核的学校统计数据,结论仅供预览,不作为正式评估结论。")
    if info["stale"]:
        out.append("生成本报告时学校数据已有变更、结果尚待重新计算,报告所用为上次计算结果。")
    return out


def _county_plan(district: District, outcome: BalanceOutcome) -> dict[str, Any] | None:
    plan = county_plan_for(district)
    if plan is None:
        return None
    return {
        "title": plan.title,
        "period": f"{plan.start_year}—{plan.end_year}",
        "inspection_date": plan.inspection_date.strftime("%Y-%m-%d") if plan.inspection_date else "",
        "years": list(range(plan.start_year, plan.end_year + 1)),
        "rows": content.board_rows(county_plan_board(plan), outcome.profile),
    }


def _school_plans(district: District, year: int, names: dict[str, str]) -> dict[str, Any]:
    """Approved school plans covering `year`: this year's self-evaluation and targets met."""
    rows = []
    missing = []
    overview = progress_overview(district, year)
    targets = plans_target_rows([entry["plan"] for entry in overview])
    for entry in overview:
        plan, report = entry["plan"], entry["report"]
        name = names.get(plan.school.code, plan.school.code)
        met = judged = 0
        for target in targets[plan.pk]:
            for cell in target.cells:
                if cell["year"] == year and cell["met"] is not None:
                    judged += 1
                    met += bool(cell["met"])
        status = report.get_status_display() if report else "未提交"
        if report is None or report.status != "approved":
            missing.append(name)
        rows.append(
            {
                "name": name,
                "title": plan.title,
                "period": f"{plan.start_year}—{plan.end_year}",
                "status": str(status),
                "met": f"{met}/{judged}" if judged else "—",
                "share": content.percent(met / judged if judged else None, 0),
            }
        )
    with_plans = {r["name"] for r in rows}
    return {"rows": rows, "missing": missing, "without_plan": [n for n in names.values() if n not in with_plans]}


# --- school report ------------------------------------------------------------------------------


def school_report_context(*, school: School, year: int, profile_name: str) -> dict[str, Any]:
    """One school's profile, its indicators against the standards over the years, gaps, plans."""
    district = school.district
    result = result_for(district, year, profile_name)
    history = list(
        BalanceResult.objects.filter(
            district=district, profile_name=profile_name, is_current=True, year__lte=year
        ).order_by("year")
    )
    outcomes = [(r.year, r.outcome) for r in history]
    version = school_version(school, year)
    stats = AnnualStatistics.objects.filter(school=school, year=year).first()
    outcome = result.outcome
    own_units = outcome.units_of(school.code)
    gaps = [g for g in content.gap_rows(outcome) if g["code"] == school.code]
    # The plan in force: the newest approved version covering the year, else the newest draft.
    plans = list(
        SchoolPlan.objects.filter(school=school, start_year__lte=year, end_year__gte=year).order_by(
            "-start_year", "-version"
        )
    )
    plan = next((p for p in plans if p.status == "approved"), plans[0] if plans else None)
    name = version.name if version else school.code
    events = StatisticsEvent.objects.filter(statistics__school=school, statistics__year=year)
    ratio = content.ratio_rows(outcome, school.code)
    return {
        "kind": "school",
        "district": {"code": district.code, "name": district.name, "province": district.province},
        "school": {
            "code": school.code,
            "name": name,
            "type": SCHOOL_TYPES.get(version.school_type, "") if version else "",
            "area": version.get_area_type_display() if version else "",
            "ownership": OWNERSHIPS.get(version.ownership, "") if version else "",
            "county_run": "是" if version and version.county_run else "否",
            "parent": version.parent.code if version and version.parent else "",
            "status": stats.get_status_display() if stats else "未填报",
            "students": {s: content.count(getattr(stats, f"students_{s}", None)) for s in ("primary", "junior")},
            "teachers": {s: content.count(getattr(stats, f"teachers_{s}", None)) for s in ("primary", "junior")},
        },
        "year": year,
        "year_label": school_year_label(year),
        "title": f"{name}办学条件与发展报告",
        "cover_lines": [f"学校:{name}(学校标识码 {school.code})", f"所属区县:{district.name}"],
        "profile": _profile_info(result),
        "result": _result_info(result, district, year),
        "units": own_units_view(own_units),
        "history": content.school_history(outcomes, school.code),
        "gaps": gaps,
        "chart": share_bars(ratio, title="各指标实际值与标准之比(100% = 达到标准)", scale_max=1.5, reference=1.0)
        if ratio
        else "",
        "plan": _plan_view(plan),
        "approvals": approval_record(events, {school.code: name}),
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        **issuing_block(district),
    }


def own_units_view(units: list[UnitOutcome]) -> list[dict[str, Any]]:
    return [
        {
            "level": content.level_label(u.level),
            "students": content.count(u.students),
            "included": u.included,
            "reason": note_text(u.exclusion),
            "met": f"{u.met}/{u.assessed}" if u.assessed else "—",
            "verdict": content.verdict_text(u.passes) if u.assessed else "—",
            "notes": [note_text(u.note)] if u.note else [],
        }
        for u in units
    ]


def _plan_view(plan: SchoolPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "title": plan.title,
        "period": f"{plan.start_year}—{plan.end_year}",
        "status": str(plan.get_status_display()),
        "version": plan.version,
        "years": plan.years,
        "goal": plan.overall_goal,
        "targets": content.target_rows(plan_target_rows(plan)),
    }


# --- jobs -----------------------------------------------------------------------------------


def job_scope(user: AnyUser) -> QuerySet[ReportJob]:
    """The report jobs a user may see: county reports of their districts, school reports of their schools."""
    return ReportJob.objects.filter(
        Q(kind=ReportKind.COUNTY, district__in=access.district_scope(user))
        | Q(kind=ReportKind.SCHOOL, school__in=access.school_scope(user))
    )


def job_get_for_user(user: AnyUser, pk: int) -> ReportJob:
    """A job through the access rules of what it reports on (404 outside the user's scope)."""
    job = job_scope(user).select_related("district", "school").filter(pk=pk).first()
    if job is None:
        from django.http import Http404

        raise Http404("没有找到该报告")
    return job


def _with_rule_names(jobs: QuerySet[ReportJob]) -> QuerySet[ReportJob]:
    """Jobs with `profile_label`, the rule's name (优质均衡…), for lists that show it, not its slug."""
    label = RuleProfile.objects.filter(name=OuterRef("profile_name")).values("label")[:1]
    return jobs.annotate(profile_label=Subquery(label)).select_related("school", "requested_by")


def jobs_for_district(district: District, limit: int = 20) -> list[ReportJob]:
    return list(_with_rule_names(ReportJob.objects.filter(district=district))[:limit])


def jobs_for_school(school: School, limit: int = 20) -> list[ReportJob]:
    return list(_with_rule_names(ReportJob.objects.filter(school=school, kind=ReportKind.SCHOOL))[:limit])


def reusable_job(fingerprint: str) -> ReportJob | None:
    """The newest finished job with this fingerprint whose file is still there."""
    for job in ReportJob.objects.filter(fingerprint=fingerprint, status="done").select_related("district", "school"):
        if job_file(job) is not None:
            return job
    return None


def expected_pages(job: ReportJob) -> int:
    """Pages of the last finished report of the same kind and district (for the progress bar)."""
    pages = (
        ReportJob.objects.filter(kind=job.kind, district_id=job.district_id, fmt=job.fmt, status="done")
        .exclude(pages=None)
        .values_list("pages", flat=True)
        .first()
    )
    return pages or (8 if job.kind == ReportKind.SCHOOL else 20)


def active_job(fingerprint: str) -> ReportJob | None:
    return ReportJob.objects.filter(fingerprint=fingerprint, status__in=["queued", "rendering"]).first()


def job_file(job: ReportJob) -> Path | None:
    """The job's stored file, when it is done and the file is there."""
    if job.status != "done" or not job.file:
        return None
    path = Path(settings.MEDIA_ROOT) / job.file
    return path if path.is_file() else None


def school_display_name(school: School) -> str:
    version = school.versions.order_by("-valid_from").first()
    return version.name if version else school.code


def school_names(district: District, year: int) -> list[tuple[str, str]]:
    """(code, name) of the district's schools open in `year`, in one light query."""
    latest: dict[str, tuple[str, bool]] = {}
    rows = (
        SchoolVersion.objects.filter(school__district=district, valid_from__lte=year)
        .order_by("school__code", "valid_from")
        .values_list("school__code", "name", "closed")
    )
    for code, name, closed in rows:
        latest[code] = (name, closed)  # ordered by valid_from: the last one wins
    return [(code, name) for code, (name, closed) in latest.items() if not closed]
