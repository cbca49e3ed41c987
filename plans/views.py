"""Plan pages: the principal's editor and progress form, the bureau's review queue, the plan
page (targets against actuals), progress oversight and the county plan board. Thin views."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import access, revisions
from core.years import current_school_year
from indicators.chart_data import lines_spec
from indicators.charts import trend_lines
from plans import files, selectors, services
from plans.forms import EvidenceForm, GoalForm, PlanCreateForm, SectionsForm, TargetForm
from plans.metrics import METRICS
from plans.models import (
    SECTION_FIELDS,
    AnnualProgress,
    CountyTargetKind,
    Evidence,
    Notification,
    PlanGoal,
    PlanTarget,
    ProgressDeadline,
    ReviewStatus,
    SchoolPlan,
)
from schools.models import District, School


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _posted_pk(request: HttpRequest, name: str) -> int | None:
    """A posted id; None (so a 404, not a server error) when it is not a number."""
    value = request.POST.get(name, "")
    return int(value) if value.isdecimal() else None


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """Principals: their school's plans. Bureau and inspectors: the review queue with filters."""
    status = request.GET.get("status", "")
    start = request.GET.get("start_year", "")
    plans = selectors.review_queue(
        request.user,
        status=status if status in ReviewStatus.values else "",
        start_year=int(start) if start.isdecimal() else None,
        q=request.GET.get("q", "").strip(),
    )
    user = access.acting_user(request)
    can_create = access.own_school(user) is not None
    return render(
        request,
        "plans/plan_list.html",
        {
            "plans": plans[:200],
            "statuses": ReviewStatus.choices,
            "status": status,
            "start_year": start,
            "q": request.GET.get("q", ""),
            "can_create": can_create,
            "counts": selectors.plans_of_school_status(selectors.plan_scope(user)),
        },
    )


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    user = access.acting_user(request)
    own = access.own_school(user)
    if own is None:
        raise PermissionDenied(_("只有校长可以为本校编制规划"))
    school: School = access.get_school_for_user(user, own.code, "edit_plan")
    # A link may propose the first year (the adopted rectification plan's, from 我的学校).
    proposed = request.GET.get("start_year", "")
    start_year = int(proposed) if proposed.isdigit() and 2000 <= int(proposed) <= 2100 else current_school_year()
    form = PlanCreateForm(request.POST or None, initial={"start_year": start_year, "title": ""})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(
                school=school,
                start_year=form.cleaned_data["start_year"],
                title=form.cleaned_data["title"],
                user=access.acting_user(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("plans:plan_edit", plan.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "plans/plan_create.html", {"form": form, "school": school}, status=status)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan: SchoolPlan = access.get_plan_for_user(request.user, pk)
    district, school = plan.school.district, plan.school
    rows = selectors.plan_target_rows(plan)
    comments = list(plan.comments.select_related("author"))
    pinned: dict[str, list[Any]] = {}
    for comment in comments:
        pinned.setdefault(comment.anchor, []).append(comment)
    goals = list(plan.goals.select_related("area").prefetch_related("targets"))
    for goal in goals:
        goal.pinned = pinned.get(f"goal:{goal.pk}", [])  # type: ignore[attr-defined]
    for row in rows:
        row.pinned = pinned.get(f"target:{row.target.pk}", [])  # type: ignore[attr-defined]
    chart = chart_spec = None
    reported = [r for r in rows if any(c["achievement"] is not None for c in r.cells)]
    if reported:
        series = [(r.target.name, [c["achievement"] for c in r.cells]) for r in reported[:8]]
        chart = mark_safe(trend_lines(plan.years, series, threshold=100.0, axis=_("目标完成度(%)")))  # noqa: S308
        chart_spec = lines_spec(
            plan.years, series, axis=_("目标完成度"), threshold=100.0, unit="%", digits=1, threshold_label=_("达成")
        )
    versions = list(SchoolPlan.objects.filter(school=school, start_year=plan.start_year).order_by("version"))
    diff = services.plan_diff(plan.previous, plan) if plan.previous else []
    reports = {r.year: r for r in plan.progress_reports.all()}
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "school": school,
            "goals": goals,
            "rows": rows,
            "pinned": pinned,
            "comments": comments,
            "sections": [
                (f, services.section_label(f), getattr(plan, f), pinned.get(f"section:{f}", [])) for f in SECTION_FIELDS
            ],
            "chart": chart,
            "chart_spec": chart_spec,
            "versions": versions,
            "diff": diff,
            "years": [(y, reports.get(y)) for y in plan.years],
            "can_edit": access.can(request.user, "edit_plan", district, school),
            "can_review": access.can(request.user, "review", district, school),
            "missing": services.plan_missing_parts(plan) if plan.editable else [],
            "metrics": METRICS,
        },
    )


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The principal's editor: sections, goals and their measurable targets."""
    plan: SchoolPlan = access.get_plan_for_user(request.user, pk, "edit_plan")
    if not plan.editable:
        messages.warning(request, _("规划已提交或已通过,不能修改"))
        return redirect("plans:plan_detail", plan.pk)
    sections = SectionsForm(instance=plan, initial={"revision": plan.revision})
    goal_form = GoalForm()
    target_form = TargetForm(years=plan.years)
    if request.method == "POST":
        action = request.POST.get("action", "")
        revision = revisions.parse(request.POST.get("revision"))  # of the record the form edits
        try:
            if action == "sections":
                sections = SectionsForm(request.POST, instance=SchoolPlan.objects.get(pk=plan.pk))
                data = {f: request.POST.get(f, "") for f in ("title", *SECTION_FIELDS)}
                services.plan_save_sections(
                    plan=plan, data=data, user=access.acting_user(request), expected_revision=revision
                )
                messages.success(request, _("已保存"))
            elif action in ("goal_add", "goal_edit"):
                goal_form = GoalForm(request.POST)
                if not goal_form.is_valid():
                    raise ValidationError(_("请检查目标的填写"))
                goal = (
                    get_object_or_404(PlanGoal, pk=_posted_pk(request, "goal"), plan=plan)
                    if action == "goal_edit"
                    else None
                )
                services.goal_save(
                    plan=plan,
                    goal=goal,
                    user=access.acting_user(request),
                    expected_revision=revision,
                    **goal_form.cleaned_data,
                )
                messages.success(request, _("目标已保存"))
            elif action == "goal_delete":
                services.goal_delete(
                    user=access.acting_user(request),
                    goal=get_object_or_404(PlanGoal, pk=_posted_pk(request, "goal"), plan=plan),
                    expected_revision=revision,
                )
            elif action in ("target_add", "target_edit"):
                goal = get_object_or_404(PlanGoal, pk=_posted_pk(request, "goal"), plan=plan)
                target_form = TargetForm(request.POST, years=plan.years)
                if not target_form.is_valid():
                    raise ValidationError(_("请检查指标的填写"))
                data = target_form.cleaned_data
                target = (
                    get_object_or_404(PlanTarget, pk=_posted_pk(request, "target"), goal__plan=plan)
                    if action == "target_edit"
                    else None
                )
                services.target_save(
                    goal=goal,
                    target=target,
                    name=data["name"],
                    values=target_form.year_values(),
                    metric=data["metric"],
                    level=data["level"],
                    unit=data["unit"],
                    direction=data["direction"],
                    baseline=data["baseline"],
                    user=access.acting_user(request),
                    expected_revision=revision,
                )
                messages.success(request, _("指标已保存"))
            elif action == "target_delete":
                services.target_delete(
                    user=access.acting_user(request),
                    target=get_object_or_404(PlanTarget, pk=_posted_pk(request, "target"), goal__plan=plan),
                    expected_revision=revision,
                )
            elif action == "submit":
                services.plan_submit(plan=plan, user=access.acting_user(request))
                messages.success(request, _("规划已提交,等待教育局审核"))
                return redirect("plans:plan_detail", plan.pk)
        except ValidationError as error:
            _errors(request, error)
            status = revisions.status_of(error)
        else:
            return redirect("plans:plan_edit", plan.pk)
        plan.refresh_from_db()
    else:
        status = 200
    goals = list(plan.goals.select_related("area").prefetch_related("targets"))
    pinned: dict[str, list[Any]] = {}
    for comment in plan.comments.filter(resolved=False):
        pinned.setdefault(comment.anchor, []).append(comment)
    for goal in goals:
        goal.pinned = pinned.get(f"goal:{goal.pk}", [])  # type: ignore[attr-defined]
    return render(
        request,
        "plans/plan_edit.html",
        {
            "plan": plan,
            "sections": sections,
            "goal_form": goal_form,
            "target_form": target_form,
            "goals": goals,
            "pinned": pinned,
            "missing": services.plan_missing_parts(plan),
            "metrics": METRICS,
        },
        status=status,
    )


@login_required
@require_POST
def plan_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Bureau: return with comments pinned to parts of the plan, or approve."""
    plan: SchoolPlan = access.get_plan_for_user(request.user, pk, "review")
    user = access.acting_user(request)
    try:
        if request.POST.get("action") == "approve":
            services.plan_approve(plan=plan, user=access.acting_user(request))
            messages.success(request, _("规划已审核通过"))
        else:
            comments = [
                (key.removeprefix("comment__"), request.POST.get(key, ""))
                for key in request.POST
                if key.startswith("comment__")
            ]
            general = request.POST.get("comment", "")
            services.plan_return(plan=plan, user=user, comments=[("", general), *comments])
            messages.success(request, _("规划已退回,并通知学校"))
    except ValidationError as error:
        _errors(request, error)
    return redirect("plans:plan_detail", plan.pk)


@login_required
@require_POST
def plan_revise(request: HttpRequest, pk: int) -> HttpResponse:
    plan: SchoolPlan = access.get_plan_for_user(request.user, pk, "edit_plan")
    try:
        new = services.plan_revise(plan=plan, user=access.acting_user(request))
    except ValidationError as error:
        _errors(request, error)
        return redirect("plans:plan_detail", plan.pk)
    messages.success(request, _("已生成修订稿 v%(v)s") % {"v": new.version})
    return redirect("plans:plan_edit", new.pk)


@login_required
def progress_page(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """年度自评: the school fills it in; the bureau reviews it."""
    plan: SchoolPlan = access.get_plan_for_user(request.user, pk)
    district, school = plan.school.district, plan.school
    can_edit = access.can(request.user, "edit_plan", district, school)
    can_review = access.can(request.user, "review", district, school)
    progress = AnnualProgress.objects.filter(plan=plan, year=year).first()
    if progress is None:
        if not can_edit:
            raise Http404(_("尚未填报该年度自评"))
        try:
            progress = services.progress_open(plan=plan, year=year, user=access.acting_user(request))
        except ValidationError as error:
            _errors(request, error)
            return redirect("plans:plan_detail", plan.pk)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            _progress_post(request, progress, action, can_edit=can_edit, can_review=can_review)
        except ValidationError as error:
            _errors(request, error)
            status = revisions.status_of(error)
            if request.FILES.getlist("evidence"):
                messages.warning(request, _("所选文件未上传:浏览器不能保留已选的文件,请改正后重新选择"))
        else:
            return redirect("plans:progress", plan.pk, year)
    # After a refused save nothing was saved: show back everything the user typed.
    posted = request.POST if status != 200 else None
    items = list(
        progress.items.select_related("target", "target__goal").order_by("target__goal__order", "target__order")
    )
    for item in items:
        item.year_target = item.target.values.get(str(year))  # type: ignore[attr-defined]
        item.posted_actual = posted.get(f"actual_{item.pk}") if posted else None  # type: ignore[attr-defined]
        if posted is not None:
            item.status = posted.get(f"status_{item.pk}", item.status)
            item.narrative = posted.get(f"narrative_{item.pk}", item.narrative)
    if posted is not None:
        progress.summary = posted.get("summary", progress.summary)
    return render(
        request,
        "plans/progress.html",
        {
            "plan": plan,
            "progress": progress,
            "year": year,
            "items": items,
            "evidence": progress.evidence.all(),
            "can_edit": can_edit and progress.editable,
            "can_review": can_review and progress.status == ReviewStatus.SUBMITTED,
            "upload_form": EvidenceForm(),
        },
        status=status,
    )


@transaction.atomic
def _progress_post(
    request: HttpRequest, progress: AnnualProgress, action: str, *, can_edit: bool, can_review: bool
) -> None:
    """One posted action of the progress page, all of it or nothing: the typed values, the chosen
    evidence files and (for 保存并提交) the submission are saved together."""
    if action in ("save", "submit", "upload", "refresh") and can_edit:
        uploads = request.FILES.getlist("evidence")
        if action == "upload" and not uploads:
            raise ValidationError(_("请选择要上传的文件"))
        entries = {
            item.pk: {
                "actual": request.POST.get(f"actual_{item.pk}"),
                "status": request.POST.get(f"status_{item.pk}", ""),
                "narrative": request.POST.get(f"narrative_{item.pk}", ""),
            }
            for item in progress.items.all()
        }
        services.progress_save(
            progress=progress,
            items=entries,
            summary=request.POST.get("summary", ""),
            user=access.acting_user(request),
            expected_revision=revisions.parse(request.POST.get("revision")),
            uploads=uploads,
        )
        if action == "submit":
            services.progress_submit(progress=progress, user=access.acting_user(request))
            messages.success(request, _("年度自评已提交"))
        elif action == "refresh":  # what was typed is saved first, then linked values are fetched
            count = services.progress_autofill(progress)
            messages.success(request, _("已保存,并从统计数据和计算结果更新 %(n)s 项") % {"n": count})
        elif uploads:
            messages.success(request, _("已保存,佐证材料已上传"))
        else:
            messages.success(request, _("已保存"))
    elif action in ("approve", "return") and can_review:
        services.progress_review(
            progress=progress,
            user=access.acting_user(request),
            approve=action == "approve",
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, _("已处理"))
    else:
        raise PermissionDenied


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence is only ever downloaded as an attachment, never shown inline from our origin."""
    evidence = get_object_or_404(Evidence.objects.select_related("progress__plan"), pk=pk)
    access.get_plan_for_user(request.user, evidence.progress.plan_id)
    return files.download(evidence.sha256, evidence.original_name)


@login_required
def progress_overview(request: HttpRequest, district_code: str, year: int) -> HttpResponse:
    """Bureau: who has submitted the year's progress, who is late; deadline and reminders."""
    district: District = access.get_district_for_user(request.user, district_code)
    can_manage = access.can(request.user, "manage", district)
    if request.method == "POST":
        access.require(request.user, "manage", district)
        try:
            if request.POST.get("action") == "deadline":
                due = date.fromisoformat(request.POST.get("due", ""))
                services.deadline_set(district=district, year=year, due=due)
                messages.success(request, _("截止日期已设置"))
            elif request.POST.get("action") == "remind":
                count = services.send_reminders(district=district, year=year, user=access.acting_user(request))
                messages.success(request, _("已向 %(n)s 位校长发送提醒") % {"n": count})
        except ValueError:
            messages.error(request, _("日期格式应为 YYYY-MM-DD"))
        return redirect("plans:progress_overview", district.code, year)
    deadline = ProgressDeadline.objects.filter(district=district, year=year).first()
    late = {p.pk for p in services.late_progress(district, year)}
    rows = selectors.progress_overview(district, year)
    return render(
        request,
        "plans/progress_overview.html",
        {
            "district": district,
            "year": year,
            "rows": rows,
            "late": late,
            "deadline": deadline,
            "can_manage": can_manage,
        },
    )


@login_required
def county_plan(request: HttpRequest, district_code: str) -> HttpResponse:
    """县域推进计划: targets per year against the stored results and entered figures."""
    district: District = access.get_district_for_user(request.user, district_code)
    can_manage = access.can(request.user, "manage", district)
    plan = selectors.county_plan_for(district)
    if request.method == "POST":
        access.require(request.user, "manage", district)
        action = request.POST.get("action")
        try:
            if action == "plan":
                inspection = request.POST.get("inspection_date", "")
                services.county_plan_save(
                    district=district,
                    start_year=int(request.POST["start_year"]),
                    title=request.POST.get("title", ""),
                    inspection_date=date.fromisoformat(inspection) if inspection else None,
                    notes=request.POST.get("notes", ""),
                    expected_revision=revisions.parse(request.POST.get("revision")),
                )
            elif action == "target" and plan is not None:
                services.county_target_set(
                    plan=plan,
                    kind=request.POST.get("kind", ""),
                    year=int(request.POST.get("year", "0")),
                    value=request.POST.get("value"),
                    indicator=request.POST.get("indicator", ""),
                    level=request.POST.get("level", ""),
                    expected_revision=revisions.parse(request.POST.get("revision")),
                )
            elif action == "figure":
                services.county_figure_set(
                    district=district,
                    year=int(request.POST.get("year", "0")),
                    kind=request.POST.get("kind", ""),
                    value=request.POST.get("value"),
                )
            messages.success(request, _("已保存"))
        except (ValidationError, ValueError, KeyError) as error:
            if isinstance(error, ValidationError):
                _errors(request, error)
            else:
                messages.error(request, _("请检查填写的年份、日期(YYYY-MM-DD)和数值"))
        return redirect("plans:county_plan", district.code)
    rows = selectors.county_plan_board(plan) if plan else []
    charts = []
    if plan:
        years = list(range(plan.start_year, plan.end_year + 1))
        for n, row in enumerate(rows):
            series = [
                (_("实际"), [c["actual"] for c in row["cells"]]),
                (_("目标"), [c["target"] for c in row["cells"]]),
            ]
            svg = mark_safe(trend_lines(years, series, axis=str(row["label"])))  # noqa: S308 - text escaped there
            spec = lines_spec(years, series, axis=str(row["label"]), digits=3)
            charts.append({"svg": svg, "spec": spec, "id": f"chart-target-{n}"})
    return render(
        request,
        "plans/county_plan.html",
        {
            "district": district,
            "plan": plan,
            "rows": list(zip(rows, charts, strict=False)) if plan else [],
            "kinds": CountyTargetKind.choices,
            "can_manage": can_manage,
            "indicators": METRICS,
            "this_year": current_school_year(),
        },
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.filter(user=access.acting_user(request))
    if request.method == "POST":
        items.update(read=True)
        return redirect("plans:notifications")
    return render(request, "plans/notifications.html", {"items": items[:100]})
