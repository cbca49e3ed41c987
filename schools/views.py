"""Pages of the registry and the statistics. Thin: access → form → service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import access, revisions
from core.identity import district_versions, files_digest
from core.years import current_school_year
from schools import services
from schools.fields import GROUPS, STAT_FIELD_BY_KEY, STAT_FIELDS, TYPE_SECTIONS, completeness
from schools.forms import ReopenForm, SchoolForm, StatisticsForm
from schools.models import AnnualStatistics, District, School, Status
from schools.selectors import default_year, district_school_rows, school_version


def _year(request: HttpRequest, default: int | None = None) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return default or current_school_year()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to where its work is."""
    user = access.acting_user(request)
    own = access.own_school(user)
    if own is not None:  # the school's own standing (plans/standing.py)
        return redirect("plans:school_standing", code=own.code)
    districts = list(access.district_scope(user)[:2])
    if len(districts) == 1:
        return redirect("schools:school_list", district_code=districts[0].code)
    if districts and access.can(user, "compare") and not access.is_admin(user):
        return redirect("city:overview")  # those who follow several counties compare them first
    return redirect("schools:district_list")


@login_required
def district_list(request: HttpRequest) -> HttpResponse:
    districts = access.district_scope(request.user).order_by("code")
    return render(request, "schools/district_list.html", {"districts": districts})


# What shapes the cached table of the school list (see school_list).
LIST_SOURCES = (
    "templates/schools/school_list.html",
    "core/templatetags/ui.py",
    "core/labels.py",
    "schools/fields.py",
    "schools/services.py",
    "locale",
)


def _list_rows(district: District, year: int) -> dict[str, Any]:
    """The school list's rows and the count of each status: read only when its table is not cached."""
    rows = []
    counts = {s.value: 0 for s in Status}
    counts["missing"] = 0
    for row in district_school_rows(district, year):
        values = services.stat_values(row.statistics)
        students = [values.get(f"students_{s}") for s in ("primary", "junior", "senior")]
        rows.append(
            {
                "row": row,
                "students": sum(s for s in students if s) if row.statistics else None,
                "completeness": completeness(dict(values), row.version.school_type) if row.statistics else 0.0,
            }
        )
        counts[row.statistics.status if row.statistics else "missing"] += 1
    return {"rows": rows, "counts": counts}


@login_required
def school_list(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code)
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = default_year(district.pk)  # read only when the address names no year
    years = sorted(
        set(
            AnnualStatistics.objects.filter(school__district=district)
            .order_by()
            .values_list("year", flat=True)
            .distinct()
        )
        | {year},
        reverse=True,
    )
    # The table is cached as rendered HTML, keyed by the stored versions of the district's schools,
    # their versions and this year's statistics (any write to them gives a new key), the language,
    # the user's right to manage and the code that shapes it; its rows are read only on a miss.
    data = SimpleLazyObject(lambda: _list_rows(district, year))
    version = district_versions(district.pk, parts=("school", "version", "statistics"), years=(year,))
    return render(
        request,
        "schools/school_list.html",
        {
            "district": district,
            "year": year,
            "years": years,
            "rows": SimpleLazyObject(lambda: data["rows"]),
            "counts": SimpleLazyObject(lambda: data["counts"]),
            "can_manage": access.can(request.user, "manage", district),
            "table_version": version,
            # An hour: every change of the data makes a new key, so old entries are never read again
            # and only leave memory; off PostgreSQL (no stored versions) nothing is cached.
            "table_seconds": 3600 if version else 0,
            "display_version": files_digest(LIST_SOURCES)[:16],
        },
    )


@login_required
def school_detail(request: HttpRequest, code: str) -> HttpResponse:
    school: School = access.get_school_for_user(request.user, code)
    stats = list(school.statistics.order_by("year"))
    versions = list(school.versions.select_related("parent").order_by("valid_from"))
    current = versions[-1] if versions else None
    # Sections the school has (had) in any year; rows of other sections would be empty noise.
    sections = {sec for v in versions for sec in TYPE_SECTIONS.get(v.school_type, ())}
    table = []
    for group, title in GROUPS.items():
        rows = []
        for f in STAT_FIELDS:
            values = [getattr(s, f.key) for s in stats]
            if f.group == group and (f.section is None or f.section in sections or any(v for v in values)):
                rows.append((f, values))
        table.append((title, rows))
    latest = stats[-1].year if stats else None
    this_year = current_school_year()
    next_year = this_year if latest is None else (latest + 1 if latest < this_year else None)
    return render(
        request,
        "schools/school_detail.html",
        {
            "school": school,
            "current": current,
            "versions": versions,
            "stats": stats,
            "table": table,
            "can_edit": access.can(request.user, "edit_statistics", school.district, school),
            "can_manage": access.can(request.user, "manage", school.district),
            "next_year": next_year,
        },
    )


@login_required
def statistics_edit(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Enter or correct one school-year's statistics (grouped form)."""
    school: School = access.get_school_for_user(request.user, code, "edit_statistics")
    version = school_version(school, year)
    if version is None:
        messages.error(request, _("%(year)s 学年该校尚未登记") % {"year": year})
        return redirect("schools:school_detail", code=code)
    stats = AnnualStatistics.objects.filter(school=school, year=year).first()
    if stats and not stats.editable:
        messages.warning(request, _("该年度数据已提交或已审核,不能修改;如需修改请由教育局退回"))
        return redirect("schools:school_detail", code=code)
    context: dict[str, Any] = {"school": school, "version": version, "year": year, "stats": stats}
    if request.method == "POST":
        form = StatisticsForm(request.POST, school_type=version.school_type)
        raw, reasons = form.raw_values(), form.reasons()
        expected = revisions.parse(request.POST.get("revision"))
        try:
            result = services.statistics_save(
                school=school,
                year=year,
                raw=raw,
                reasons=reasons,
                user=access.acting_user(request),
                expected_revision=expected,
            )
        except services.StatisticsRejected as rejected:
            form = StatisticsForm(request.POST, school_type=version.school_type, warned=rejected.warnings)
            form.is_valid()
            for key, errors in rejected.errors.items():
                for message in errors:
                    form.add_error(key if key in form.fields else None, message)
            messages.error(request, services.REJECTED_MESSAGE)
            return render(
                request,
                "schools/statistics_form.html",
                {**context, "form": form, "warned": rejected.warnings},
                status=400,
            )
        except services.StaleRevision as stale:
            form = StatisticsForm(request.POST, school_type=version.school_type)
            changed = [
                (STAT_FIELD_BY_KEY[k].label if k in STAT_FIELD_BY_KEY else k, old, new)
                for k, (old, new) in stale.changes.items()
            ]
            messages.error(request, stale.summary)
            return render(
                request,
                "schools/statistics_form.html",
                {**context, "form": form, "stale": changed, "current_revision": stale.current_revision},
                status=409,
            )
        except services.RevisionRequired as missing:
            # Said on the form, what was typed kept: a copy without its revision is not saved.
            form = StatisticsForm(request.POST, school_type=version.school_type)
            form.is_valid()
            form.add_error(None, missing)
            return render(request, "schools/statistics_form.html", {**context, "form": form}, status=428)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("schools:school_detail", code=code)
        if "submit" in request.POST:
            try:
                services.statistics_submit(stats=result.statistics, user=access.acting_user(request))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("schools:school_detail", code=code)
            messages.success(request, _("已保存并提交,等待教育局审核"))
        else:
            messages.success(request, _("已保存(%(n)s 项变动)") % {"n": len(result.changes)})
        return redirect("schools:school_detail", code=code)
    initial = {k: ("" if v is None else v) for k, v in services.stat_values(stats).items()}
    if stats is None:
        # A new year starts from last year's facility figures only when the user asks (issue #7).
        initial = {}
    # Revision 0 = "no record when I opened the form": a record someone creates meanwhile is a
    # conflict (StaleRevision), not something to overwrite.
    form = StatisticsForm(
        initial={**initial, "revision": stats.revision if stats else 0}, school_type=version.school_type
    )
    return render(request, "schools/statistics_form.html", {**context, "form": form})


@login_required
@require_POST
def statistics_action(request: HttpRequest, code: str, year: int, action: str) -> HttpResponse:
    """Workflow steps: submit (school or bureau), approve and reopen (bureau only)."""
    actions: dict[str, access.Action] = {"submit": "submit", "approve": "review", "reopen": "review"}
    needed = actions.get(action)
    if needed is None:
        raise Http404(_("未知的操作"))
    school: School = access.get_school_for_user(request.user, code, needed)
    stats = AnnualStatistics.objects.filter(school=school, year=year).first()
    if stats is None:
        messages.error(request, _("该年度尚无数据"))
        return redirect("schools:school_detail", code=code)
    try:
        if action == "submit":
            services.statistics_submit(stats=stats, user=access.acting_user(request))
            messages.success(request, _("已提交,等待教育局审核"))
        elif action == "approve":
            services.statistics_approve(stats=stats, user=access.acting_user(request))
            messages.success(request, _("已审核通过并锁定;均衡状况将按新数据重新计算"))
        else:
            form = ReopenForm(request.POST)
            reason = form.data.get("reason", "")
            services.statistics_reopen(stats=stats, user=access.acting_user(request), reason=reason)
            messages.success(request, _("已退回修改"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("schools:school_detail", code=code)


@login_required
def school_create(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code, "manage")
    candidates = School.objects.filter(district=district)
    form = SchoolForm(
        request.POST or None,
        district_schools=candidates,
        initial={"valid_from": current_school_year(), "county_run": "1"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            school = services.school_create(
                district=district,
                code=data["code"],
                year=data["valid_from"],
                user=access.acting_user(request),
                **_version_fields(data),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("学校已登记"))
            return redirect("schools:school_detail", code=school.code)
    return render(request, "schools/school_form.html", {"form": form, "district": district, "creating": True})


@login_required
def school_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Record a change (name, type, closure …) from a school year on; history is kept."""
    school: School = access.get_school_for_user(request.user, code, "manage")
    candidates = School.objects.filter(district=school.district).exclude(pk=school.pk)
    year = _year(request)
    version = school_version(school, year) or school.versions.order_by("-valid_from").first()
    initial = {
        "code": school.code,
        "valid_from": year,
        "name": version.name if version else "",
        "school_type": version.school_type if version else "primary",
        "parent": version.parent_id if version else None,
        "ownership": version.ownership if version else "public",
        "county_run": "1" if (version is None or version.county_run) else "0",
        "area_type": version.area_type if version else "urban",
        "closed": version.closed if version else False,
    }
    form = SchoolForm(request.POST or None, initial=initial, district_schools=candidates, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.school_change(
                school=school, year=data["valid_from"], user=access.acting_user(request), **_version_fields(data)
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("已记录自 %(year)s 学年起的变更") % {"year": data["valid_from"]})
            return redirect("schools:school_detail", code=school.code)
    return render(
        request,
        "schools/school_form.html",
        {"form": form, "district": school.district, "school": school, "creating": False},
    )


VERSION_FIELDS = ("name", "school_type", "parent", "ownership", "county_run", "area_type", "closed", "note")


def _version_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The school-version attributes a registry form submitted (`closed` only when editing)."""
    return {key: data[key] for key in VERSION_FIELDS if key in data}


def _add_errors(form: SchoolForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
