"""Pages of the problem list (问题清单): the district's list (add a problem), one problem (edit,
close) and the sync from the current findings, through core.access (404 outside the user's
districts, 403 for a forbidden action)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assessment.forms import ProblemCloseForm, ProblemEditForm, ProblemForm
from assessment.models import Problem
from assessment.problems import selectors as problem_selectors
from assessment.problems import services as problem_services
from assessment.views import show_errors
from core import access
from schools.models import District
from schools.selectors import default_year


@login_required
@require_http_methods(["GET", "POST"])
def problem_list(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code)
    state = request.GET.get("state", "open")
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdecimal() else None
    form = ProblemForm(request.POST or None, district=district)
    status = 200
    if request.method == "POST":
        access.require(request.user, "manage", district)
        if form.is_valid():
            data = form.cleaned_data
            try:
                problem_services.problem_create(
                    district=district,
                    year=int(request.POST.get("problem_year") or default_year(district.pk)),
                    title=data["title"],
                    detail=data["detail"],
                    owner=data["owner"],
                    deadline=data["deadline"],
                    school=data["school"],
                    user=access.acting_user(request),
                )
            except ValidationError as error:
                show_errors(request, error)
                status = 400
            else:
                messages.success(request, _("已添加问题"))
                return redirect("assessment:problems", district.code)
        else:
            status = 400
    problems = problem_selectors.problem_list(district, state=None if state == "all" else state, year=year)
    return render(
        request,
        "assessment/problems.html",
        {
            "district": district,
            "problems": problems,
            "state": state,
            "year": year,
            "form": form,
            "states": Problem.State.choices,
            "can_manage": access.can(request.user, "manage", district),
            "default_year": default_year(district.pk),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_object_or_404(Problem.objects.select_related("district", "school", "closed_by"), pk=pk)
    district: District = access.get_district_for_user(request.user, problem.district.code)
    edit = ProblemEditForm(
        request.POST if request.POST.get("action") == "update" else None,
        initial={"owner": problem.owner, "deadline": problem.deadline, "state": problem.state},
    )
    close = ProblemCloseForm(request.POST if request.POST.get("action") == "close" else None)
    status = 200
    if request.method == "POST":
        access.require(request.user, "manage", district)
        form = edit if request.POST.get("action") == "update" else close
        if form.is_valid():
            try:
                if form is edit:
                    problem_services.problem_update(
                        problem=problem,
                        owner=edit.cleaned_data["owner"],
                        deadline=edit.cleaned_data["deadline"],
                        state=edit.cleaned_data["state"],
                    )
                    messages.success(request, _("已保存"))
                else:
                    problem_services.problem_close(
                        problem=problem, note=close.cleaned_data["note"], user=access.acting_user(request)
                    )
                    messages.success(request, _("问题已关闭"))
            except ValidationError as error:
                show_errors(request, error)
                status = 400
            else:
                return redirect("assessment:problem", problem.pk)
        else:
            status = 400
    return render(
        request,
        "assessment/problem.html",
        {
            "district": district,
            "problem": problem,
            "edit": edit,
            "close": close,
            "can_manage": access.can(request.user, "manage", district),
        },
        status=status,
    )


@login_required
@require_POST
def problems_sync_view(request: HttpRequest, district_code: str, year: int) -> HttpResponse:
    """Bring the list up to date now (it also follows every recompute and entry by itself)."""
    district: District = access.get_district_for_user(request.user, district_code, "manage")
    result = problem_services.problems_sync(district=district, year=year)
    messages.success(
        request, _("已更新问题清单:新增 %(o)s 个,自动关闭 %(c)s 个") % {"o": result.opened, "c": result.closed}
    )
    return redirect(f"{reverse('assessment:problems', args=[district.code])}?year={year}&state=all")
