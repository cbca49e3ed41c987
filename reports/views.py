"""Report pages: request a report, watch its progress, download it (access checked each time)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import access
from indicators.models import RuleProfile
from reports import selectors, services
from reports.forms import ReportRequestForm
from reports.models import JobStatus, ReportJob, ReportKind
from schools.models import District, School


def _choices(profiles: list[RuleProfile]) -> list[tuple[str, str]]:
    return [(p.name, _(p.label)) for p in profiles]


@login_required
def district_reports(request: HttpRequest, district_code: str) -> HttpResponse:
    """Inspectors, bureau staff and administrators: the county report and any school's report."""
    district: District = access.get_district_for_user(request.user, district_code)
    years = selectors.report_years(district)
    year = years[0] if years else None
    schools = selectors.school_names(district, year) if year else []
    profiles = selectors.report_profiles(district)  # once per request: the choices and the default
    form = ReportRequestForm(
        request.POST or None,
        years=years,
        profiles=_choices(profiles),
        schools=schools,
        initial=_initial(request, district, profiles),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        school: School | None = None
        if data["kind"] == ReportKind.SCHOOL and data["school"]:
            school = access.get_school_for_user(request.user, data["school"])
            if school.district_id != district.pk:
                raise Http404
        job = _request(request, form, data["kind"], district, school)
        if job is not None:
            return redirect(f"{reverse('reports:district_reports', args=[district.code])}?job={job.pk}")
    return render(
        request,
        "reports/district_reports.html",
        {"district": district, "form": form, "jobs": selectors.jobs_for_district(district), "years": years},
    )


@login_required
def school_reports(request: HttpRequest, school_code: str) -> HttpResponse:
    """A school's report: principals for their own school, the bureau and inspectors for theirs."""
    school: School = access.get_school_for_user(request.user, school_code)
    district = school.district
    years = selectors.report_years(district)
    profiles = selectors.report_profiles(district)
    form = ReportRequestForm(
        request.POST or None, years=years, profiles=_choices(profiles), initial=_initial(request, district, profiles)
    )
    if request.method == "POST" and form.is_valid():
        job = _request(request, form, ReportKind.SCHOOL, district, school)
        if job is not None:
            return redirect(f"{reverse('reports:school_reports', args=[school.code])}?job={job.pk}")
    return render(
        request,
        "reports/school_reports.html",
        {
            "school": school,
            "school_name": selectors.school_display_name(school),
            "form": form,
            "jobs": selectors.jobs_for_school(school),
            "years": years,
        },
    )


def _initial(request: HttpRequest, district: District, profiles: list[RuleProfile]) -> dict[str, object]:
    """After a request (?job=N), the form shows that job's choices again."""
    job_id = request.GET.get("job", "")
    job = ReportJob.objects.filter(pk=int(job_id), district=district).first() if job_id.isdigit() else None
    if job is None:
        return {"profile": profiles[0].name} if profiles else {}
    return {
        "kind": job.kind,
        "school": job.school.code if job.school else "",
        "year": job.year,
        "profile": job.profile_name,
        "fmt": job.fmt,
    }


def _request(
    request: HttpRequest, form: ReportRequestForm, kind: str, district: District, school: School | None
) -> ReportJob | None:
    data = form.cleaned_data
    try:
        job = services.report_request(
            user=access.acting_user(request),
            kind=kind,
            fmt=data["fmt"],
            district=district,
            school=school,
            year=data["year"],
            profile_name=data["profile"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    if job.status == JobStatus.DONE:
        messages.success(request, _("数据未变化,已提供此前生成的报告"))
    else:
        messages.info(request, _("报告已提交生成"))
    return job


@login_required
@require_GET
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The small status document the page polls (status, progress, reason, download link)."""
    job = selectors.job_get_for_user(request.user, pk)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_label": str(job.get_status_display()),
            "progress": job.progress,
            # Reasons the service stores are catalogue strings (INTERRUPTED …); others pass unchanged.
            "reason": _(job.reason) if job.reason else "",
            "pages": job.pages,
            "size": job.size,
            "download_url": reverse("reports:job_download", args=[job.pk])
            if job.status == JobStatus.DONE and job.file
            else None,
        },
        headers={"Cache-Control": "no-store"},
    )


@login_required
@require_GET
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    """The stored file, only as an attachment and only after the access check."""
    return file_response(selectors.job_get_for_user(request.user, pk))


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_response(job: ReportJob) -> FileResponse:
    """A job's stored file as an attachment that a browser will not run (pages and the API)."""
    path = selectors.job_file(job)
    if path is None:
        raise Http404(_("文件不存在,请重新生成"))
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=job.filename, content_type=CONTENT_TYPES[job.fmt]
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
