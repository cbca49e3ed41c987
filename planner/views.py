"""Planner pages: the cheapest plan to pass for a district-year, its schedule, adoption and export;
the district's unit-cost table. Bureau staff of the district run, adopt and edit; inspectors and
the city office read the adopted plan."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import access, revisions
from indicators import selectors
from indicators.selectors import county_inputs
from planner import adoption, files, services
from planner import selectors as planner_selectors
from planner.costs import COST_KEYS, COST_LABELS
from planner.labels import BINDING_LABELS, LEVEL_LABELS, kind_label, unit_label
from planner.models import UnitCost
from planner.schedule import schedule_plan
from plans.models import CountyPlan
from plans.services.common import PLAN_YEARS
from plans.services.plan import current_plan
from scenarios.services import scenario_create
from schools.models import District
from schools.selectors import default_year


def _choices(request: HttpRequest, district: District) -> tuple[int, str, list[Any]]:
    profiles = selectors.profiles_for_district(district)
    if not profiles:
        raise Http404(_("尚未配置评估规则"))
    data = request.POST if request.method == "POST" else request.GET
    try:
        year = int(data.get("year") or default_year(district.pk))
    except ValueError:
        raise Http404(_("学年无效")) from None
    current = selectors.current_profile(district, profiles)  # the profile the county is assessed under
    name = data.get("profile") or (current or profiles[0]).name
    if name not in {p.name for p in profiles}:
        raise Http404(_("该区县未采用此评估规则"))
    return year, name, profiles


def _budgets(data: Any, start_year: int) -> list[float | None]:
    out: list[float | None] = []
    for i in range(PLAN_YEARS):
        raw = (data.get(f"budget_{i}") or "").strip().replace(",", "")
        if not raw:
            out.append(None)
            continue
        try:
            value = float(raw)
        except ValueError:
            raise ValidationError(_("%(y)s 年预算必须是数值") % {"y": start_year + i}) from None
        if value < 0:
            raise ValidationError(_("%(y)s 年预算不能为负数") % {"y": start_year + i})
        out.append(value)
    return out


def _rows(content: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            **a,
            "what": kind_label(a["kind"]),
            "unit_label": unit_label(a["unit"]),
            "level_label": str(LEVEL_LABELS.get(a.get("level") or "", "")),
        }
        for a in content.get("actions", [])
    ]


def _by_kind(content: dict[str, Any]) -> list[tuple[str, float]]:
    totals: dict[str, float] = {}
    for a in content.get("actions", []):
        totals[a["kind"]] = totals.get(a["kind"], 0.0) + a["cost_yuan"]
    return [(kind_label(k), v) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])]


def _run(
    district: District, year: int, profile_name: str, start_year: int, budgets: list[float | None]
) -> dict[str, Any]:
    """Run the planner (whole budget = the sum of the years' budgets when every year has one) and
    spread its plan over the years."""
    total = None if any(b is None for b in budgets) else sum(b for b in budgets if b is not None)
    plan = services.plan_run(district=district, year=year, profile_name=profile_name, budget=total)
    profile = services.profile_for(district, profile_name)
    records = county_inputs([district.pk], year)[district.pk].records
    schedule = schedule_plan(records, profile, plan.actions, start_year, budgets)
    content = plan.to_json()
    content["schedule"] = schedule.to_json()
    return {"plan": plan, "schedule": schedule, "content": content}


@login_required
def planner_page(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code)
    year, profile_name, profiles = _choices(request, district)
    can_manage = access.can(request.user, "manage", district)
    data = request.POST if request.method == "POST" else request.GET
    county_plan = CountyPlan.objects.filter(district=district).order_by("-start_year").first()
    # The work starts the year after the data's, or with a county plan that starts later (a plan
    # already running would schedule work in years gone by).
    proposed = max(year + 1, county_plan.start_year if county_plan else 0)
    try:
        start_year = int(data.get("start_year") or proposed)
    except ValueError:
        start_year = proposed
    adopted = planner_selectors.adopted_plan(district, year, profile_name)
    shown: dict[str, Any] | None = None
    fresh = False
    budgets: list[float | None] = [None] * PLAN_YEARS
    if request.method == "POST":
        access.require(request.user, "manage", district)
        action = request.POST.get("action", "run")
        try:
            budgets = _budgets(request.POST, start_year)
            if action in ("run", "adopt"):
                run = _run(district, year, profile_name, start_year, budgets)
                if action == "adopt":
                    adoption.plan_adopt(
                        district=district,
                        year=year,
                        profile_name=profile_name,
                        plan=run["plan"],
                        schedule=run["schedule"],
                        start_year=start_year,
                        budgets=budgets,
                        user=request.user,
                    )
                    messages.success(request, _("已采纳该整改方案"))
                    return redirect(f"{request.path}?year={year}&profile={profile_name}")
                shown, fresh = run["content"], True
            elif action == "scenario":
                # Open the plan as a what-if scenario: the same changes, shown side by side.
                access.require(request.user, "edit_scenarios", district)
                run = _run(district, year, profile_name, start_year, budgets)
                scenario = scenario_create(
                    district=district,
                    year=year,
                    profile_name=profile_name,
                    name=_("达标规划 %(y)s %(p)s") % {"y": year, "p": profile_name},
                    changes=run["plan"].changes,
                    user=request.user,  # type: ignore[arg-type]
                )
                return redirect("scenarios:detail", scenario.pk)
            elif action == "county_targets":
                if adopted is None or county_plan is None:
                    raise ValidationError(_("请先采纳整改方案并建立县域推进计划"))
                n = adoption.county_targets_from_schedule(
                    county_plan=county_plan,
                    adopted=adopted,
                    profile=services.profile_for(district, profile_name),
                    expected_revision=revisions.parse(request.POST.get("revision")),
                )
                messages.success(request, _("已按规划设定县域推进计划的 %(n)s 项年度目标") % {"n": n})
                return redirect(f"{request.path}?year={year}&profile={profile_name}")
        except ValidationError as e:
            for message in e.messages:
                messages.error(request, message)
    if shown is None and adopted is not None:
        shown = adopted.content
    context = {
        "district": district,
        "year": year,
        "profile": profile_name,
        "profiles": profiles,
        "can_manage": can_manage,
        "can_scenarios": access.can(request.user, "edit_scenarios", district),
        "start_year": start_year,
        "budget_fields": [
            (start_year + i, f"budget_{i}", "" if b is None else f"{b:.0f}") for i, b in enumerate(budgets)
        ],
        "adopted": adopted,
        "fresh": fresh,
        "shown": shown,
        "rows": _rows(shown) if shown else [],
        "by_kind": _by_kind(shown) if shown else [],
        "binding": str(BINDING_LABELS.get(shown.get("binding") or "", "")) if shown else "",
        "county_plan": county_plan,
    }
    return render(request, "planner/planner_page.html", context)


@login_required
def planner_export(request: HttpRequest, district_code: str) -> HttpResponse:
    """The adopted plan of the district-year as XLSX, else the planner's plan as it is now (anyone
    who may see the district)."""
    district: District = access.get_district_for_user(request.user, district_code)
    year, profile_name, profiles = _choices(request, district)
    adopted = planner_selectors.adopted_plan(district, year, profile_name)
    if adopted is not None:
        content = adopted.content
    else:  # nothing adopted yet: the plan as the planner finds it now (no budgets)
        start_year = year + 1
        try:
            content = _run(district, year, profile_name, start_year, [None] * PLAN_YEARS)["content"]
        except ValidationError as e:
            raise Http404(" ".join(e.messages)) from e
    label = next((p.label for p in profiles if p.name == profile_name), profile_name)
    body = files.plan_xlsx(content, district_name=district.name, year=year, profile_label=label)
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="plan-{district.code}-{year}-{profile_name}.xlsx"'
    return response


@login_required
def unit_costs_page(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code)
    can_manage = access.can(request.user, "manage", district)
    row = UnitCost.objects.filter(district=district).first()
    current = services.unit_costs_for(district).as_dict()
    values: dict[str, Any] = dict(current)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        access.require(request.user, "manage", district)
        values = {k: request.POST.get(k, "") for k in COST_KEYS}
        try:
            services.unit_costs_save(
                district=district,
                values=values,
                expected_revision=revisions.parse(request.POST.get("revision")),
                user=request.user,
            )
            messages.success(request, _("单价表已保存"))
            return redirect(request.path)
        except ValidationError as e:
            if hasattr(e, "error_dict"):
                errors = {k: [m for err in e.error_dict[k] for m in err.messages] for k in e.error_dict}
            else:
                messages.error(request, " ".join(e.messages))
    english = (get_language() or "").startswith("en")
    items = [
        {
            "key": k,
            "label": COST_LABELS[k][1 if english else 0],
            "unit": COST_LABELS[k][2],
            "value": values.get(k),
            "errors": errors.get(k, []),
        }
        for k in COST_KEYS
    ]
    context = {
        "district": district,
        "items": items,
        "can_manage": can_manage,
        "revision": row.revision if row else 0,
        "custom": row is not None,
    }
    status = 400 if errors else 200
    return render(request, "planner/unit_costs.html", context, status=status)


@require_POST
@login_required
def school_targets(request: HttpRequest, school_code: str) -> HttpResponse:
    """A principal takes the school's part of the district's newest adopted plan into the school's
    three-year plan (as targets of a goal 达标整改); then the plan's editor opens."""
    school = access.get_school_for_user(request.user, school_code, "edit_plan")
    adopted = planner_selectors.newest_adopted_plan(school.district)
    try:
        if adopted is None:
            raise ValidationError(_("该学年尚未采纳整改方案"))
        school_plan = current_plan(school, adopted.start_year)
        if school_plan is None:
            raise ValidationError(_("请先建立本校 %(y)s 年起的三年规划") % {"y": adopted.start_year})
        n = adoption.school_targets_from_schedule(
            school_plan=school_plan,
            adopted=adopted,
            profile=services.profile_for(school.district, adopted.profile_name),
            user=request.user,
        )
    except ValidationError as e:
        for message in e.messages:
            messages.error(request, message)
        return redirect("plans:plan_list")
    messages.success(request, _("已将本校的 %(n)s 项规划目标加入学校三年规划") % {"n": n})
    return redirect("plans:plan_edit", school_plan.pk)
