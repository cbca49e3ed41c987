"""Scenario pages: the district's scenarios (open one), a scenario beside the county's own
figures with a form for each kind of change, and deleting one. Through core.access: 404 outside
the user's districts, 403 for a role that may not (reading: bureau staff and inspectors; changing:
the bureau)."""

from __future__ import annotations

from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import access, revisions
from indicators import selectors as indicator_selectors
from scenarios import edits, presentation, selectors, services
from scenarios.forms import ScenarioCreateForm
from scenarios.models import Scenario
from schools.fields import STAT_FIELDS, display_label
from schools.models import District
from schools.selectors import default_year


@login_required
@require_http_methods(["GET", "POST"])
def scenario_list(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code, "view_scenarios")
    profiles = indicator_selectors.profiles_for_district(district)
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdecimal() else default_year(district.pk)
    profile = request.GET.get("profile") or (profiles[0].name if profiles else "")
    number = Scenario.objects.filter(district=district).count() + 1
    form = ScenarioCreateForm(
        request.POST or None,
        profiles=profiles,
        initial={"year": year, "profile": profile, "name": _("方案 %(n)s") % {"n": number}},
    )
    status = 200
    if request.method == "POST":
        access.require(request.user, "edit_scenarios", district)
        if form.is_valid():
            data = form.cleaned_data
            try:
                scenario = services.scenario_create(
                    district=district,
                    year=data["year"],
                    profile_name=data["profile"],
                    name=data["name"],
                    changes=[],
                    user=access.acting_user(request),
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("已新建模拟方案"))
                return redirect("scenarios:detail", scenario.pk)
        status = 400
    return render(
        request,
        "scenarios/list.html",
        {
            "district": district,
            "scenarios": selectors.scenario_list(user=request.user, district=district),  # type: ignore[arg-type]
            "form": form,
            "can_edit": access.can(request.user, "edit_scenarios", district),
            "year": year,
            "profile": profile,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def scenario_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scenario: Scenario = access.get_scenario_for_user(request.user, pk)
    district = scenario.district
    inputs = selectors.county_inputs(district, scenario.year)  # once per request
    errors: list[str] = []
    posted: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        access.require(request.user, "edit_scenarios", district)
        posted = {key: str(value) for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
        try:
            scenario = services.scenario_apply_edit(
                scenario=scenario,
                edit=edits.Edit.from_data(request.POST),
                user=access.acting_user(request),
                expected_revision=revisions.parse(request.POST.get("revision")),
                inputs=inputs,
            )
        except ValidationError as error:
            errors, status = error.messages, revisions.status_of(error)
            scenario.refresh_from_db()
        else:
            messages.success(request, _("已修改方案,结果已重新计算"))
            return redirect(reverse("scenarios:detail", args=[scenario.pk]) + "#result")
    evaluated = selectors.scenario_evaluate(scenario, inputs=inputs)
    comparison = presentation.compare(evaluated)
    schools = sorted(((r.school_code, r.school_name, r.school_type) for r in inputs.records), key=lambda s: s[0])
    return render(
        request,
        "scenarios/detail.html",
        {
            "scenario": scenario,
            "district": district,
            "comparison": comparison,
            "unit_rows": presentation.unit_table_rows(comparison.units),
            "can_edit": access.can(request.user, "edit_scenarios", district),
            "errors": errors,
            "values": {str(posted.get("kind", "")): posted},
            # 200 options: joined here, not by a template loop (its cost counts in each change's answer).
            "school_options": mark_safe(  # noqa: S308 - codes and names escaped
                "".join(f'<option value="{escape(code)}">{escape(name)}</option>' for code, name, _type in schools)
            ),
            "points": [s for s in schools if s[2] == "teaching_point"],
            "facility_fields": [
                (f.key, display_label(f.label), f.unit) for f in STAT_FIELDS if f.key in edits.FACILITY_KEYS
            ],
            "all_fields": [(f.key, display_label(f.label)) for f in STAT_FIELDS],
            "teacher_kinds": [(k, edits.kind_label(k)) for k in edits.TEACHER_KINDS],
            "sub_kinds": [(k, edits.kind_label(k)) for k in edits.SUB_KINDS],
        },
        status=status,
    )


@login_required
@require_POST
def scenario_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    scenario: Scenario = access.get_scenario_for_user(request.user, pk, "edit_scenarios")
    try:
        services.scenario_delete(
            scenario=scenario,
            user=access.acting_user(request),
            expected_revision=revisions.parse(request.POST.get("revision")),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("scenarios:detail", scenario.pk)
    messages.success(request, _("已删除模拟方案"))
    return redirect("scenarios:list", scenario.district.code)
