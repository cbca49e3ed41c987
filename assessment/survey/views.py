"""Pages of the 社会认可度 survey: the bureau's survey page, its live figures and the links with
their QR codes (through core.access: 404 outside the user's districts, 403 for a forbidden
action), and the public questionnaire, which needs no account, only a valid link token; each
visit gets a one-time respondent token (see assessment.survey.services.response_submit).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from assessment import ratelimit
from assessment.defaults import AREA_LABELS, GROUPS
from assessment.models import RespondentToken, Survey, SurveyLink
from assessment.qr import qr_svg
from assessment.survey import selectors as survey_selectors
from assessment.survey import services as survey_services
from assessment.views import show_errors
from core import access
from schools.models import District

COOKIE_DAYS = 30


def _link_rows(request: HttpRequest, survey: Survey) -> list[dict[str, Any]]:
    from schools.selectors import district_school_rows

    names = {row.school.pk: row.version.name for row in district_school_rows(survey.district, survey.year)}
    rows = []
    for link in SurveyLink.objects.filter(survey=survey, active=True).select_related("school"):
        url = request.build_absolute_uri(reverse("assessment:survey_public", args=[link.token]))
        label = survey.definition["questionnaires"][link.questionnaire]["label"]
        rows.append(
            {
                "link": link,
                "url": url,
                "questionnaire": label,
                "school": names.get(link.school.pk, link.school.code)
                if link.school
                else _("全县(人大代表、政协委员、其他群众)"),
            }
        )
    rows.sort(key=lambda r: (r["link"].school_id is not None, str(r["school"]), r["link"].questionnaire))
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, district_code: str, year: int) -> HttpResponse:
    """Open the survey, set its sample plan, watch it fill (live), read the results, close it."""
    district: District = access.get_district_for_user(request.user, district_code)
    survey = survey_selectors.survey_get(district, year)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "scoring":
            access.require(request.user, "configure", district)
        else:
            access.require(request.user, "manage", district)
        try:
            if action == "open":
                survey_services.survey_open(district=district, year=year, user=access.acting_user(request))
                messages.success(request, _("已开启社会认可度调查,可打印各校二维码"))
            elif survey is None:
                raise Http404(_("尚未开启调查"))
            elif action == "plan":
                survey_services.survey_plan_set(
                    survey=survey,
                    population=request.POST.get("population"),
                    permille=request.POST.get("permille"),
                    parent_share_percent=request.POST.get("parent_share"),
                    area_percents={a: request.POST.get(f"area_{a}") for a in AREA_LABELS},
                    min_fill_seconds=request.POST.get("min_fill_seconds"),
                )
                messages.success(request, _("已保存抽样方案"))
            elif action == "scoring":
                survey_services.survey_scoring_set(
                    survey=survey,
                    positive_options=request.POST.getlist("positive"),
                    group_weights={g: request.POST.get(f"weight_{g}") for g in GROUPS},
                    rate_basis=request.POST.get("rate_basis", "overall"),
                    threshold_percent=request.POST.get("threshold"),
                )
                messages.success(request, _("已保存计算规则"))
            elif action == "close":
                survey_services.survey_close(survey=survey, user=access.acting_user(request))
                messages.success(request, _("调查已结束"))
            elif action == "reopen":
                survey_services.survey_reopen(survey=survey)
                messages.success(request, _("调查已重新开启"))
            elif action == "links":
                count = survey_services.survey_links_refresh(survey=survey)
                messages.success(request, _("已生成 %(n)s 个新链接") % {"n": count})
            else:
                raise PermissionDenied
        except ValidationError as error:
            show_errors(request, error)
            status = 400
        else:
            return redirect("assessment:survey", district.code, year)
        survey = survey_selectors.survey_get(district, year)
    context: dict[str, Any] = {
        "district": district,
        "year": year,
        "survey": survey,
        "can_manage": access.can(request.user, "manage", district),
        "can_configure": access.can(request.user, "configure"),
        "groups": GROUPS,
        "areas": AREA_LABELS,
    }
    if survey is not None:
        summary = survey_selectors.survey_summary(survey)
        options = _options(survey)
        context.update(
            summary=summary,
            area_rows=[
                {
                    "key": a,
                    "label": label,
                    "share": float(survey.area_shares.get(a, 0)) * 100,
                    "count": summary.by_area.get(a, 0),
                    "target": summary.plan.area_targets.get(a) if summary.plan else None,
                    "needed": summary.fulfilment.area_needed(a) if summary.fulfilment else 0,
                }
                for a, label in AREA_LABELS.items()
            ],
            group_rows=_group_rows(survey, summary),
            options=options,
            weights=survey.group_weights or {},
            link_count=SurveyLink.objects.filter(survey=survey, active=True).count(),
            permille_text=f"{float(survey.sample_permille):g}",
            live_url=reverse("assessment:survey_live", args=[district.code, year]),
        )
    return render(request, "assessment/survey.html", context, status=status)


def _options(survey: Survey) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for questionnaire in survey.definition["questionnaires"].values():
        for question in questionnaire["questions"]:
            for key, label in question["options"]:
                seen.setdefault(key, label)
    return list(seen.items())


def _group_rows(survey: Survey, summary: survey_selectors.SurveySummary) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for group, question, option, n in summary.counts:
        counts.setdefault(group, {}).setdefault(question, {})[option] = n
    rows = []
    for group, label in GROUPS.items():
        positive, counted = summary.tallies.get(group, (0, 0))
        rows.append(
            {
                "key": group,
                "label": label,
                "responses": summary.by_group.get(group, 0),
                "positive": positive,
                "counted": counted,
                "rate": positive / counted if counted else None,
                "overall": counts.get(group, {}).get("overall", {}),
            }
        )
    return rows


@login_required
@require_GET
@never_cache
def survey_live(request: HttpRequest, district_code: str, year: int) -> JsonResponse:
    """The figures the survey page polls so its counts update while responses come in."""
    district: District = access.get_district_for_user(request.user, district_code)
    survey = survey_selectors.survey_get(district, year)
    if survey is None:
        raise Http404(_("尚未开启调查"))
    return JsonResponse(survey_selectors.survey_live(survey))


@login_required
def survey_links(request: HttpRequest, district_code: str, year: int) -> HttpResponse:
    """A printable sheet: per school and questionnaire its link and QR code."""
    district: District = access.get_district_for_user(request.user, district_code)
    survey = survey_selectors.survey_get(district, year)
    if survey is None:
        raise Http404(_("尚未开启调查"))
    rows = _link_rows(request, survey)
    school = request.GET.get("school")
    if school:
        rows = [r for r in rows if r["link"].school and r["link"].school.code == school]
    for row in rows:
        row["qr"] = mark_safe(qr_svg(row["url"]))  # noqa: S308 - SVG built by segno from our own URL
    return render(request, "assessment/survey_links.html", {"district": district, "year": year, "rows": rows})


# --- the public questionnaire ------------------------------------------------------------------


def _refused(
    request: HttpRequest, refusal: survey_services.SurveyRefusedError, link: SurveyLink | None = None
) -> HttpResponse:
    return render(
        request,
        "assessment/public_message.html",
        {"title": _("无法提交") if refusal.code != "used" else _("已提交"), "message": refusal.message, "link": link},
        status=refusal.status,
    )


def _cookie(link: SurveyLink) -> str:
    return f"svy{link.pk}"


def _public_form(
    request: HttpRequest,
    link: SurveyLink,
    respondent: RespondentToken,
    *,
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    survey = link.survey
    definition = survey_services.questionnaire_of(link)
    posted = request.POST if request.method == "POST" else {}
    school_name = ""
    if link.school is not None:
        from schools.selectors import school_version

        version = school_version(link.school, survey.year)
        school_name = version.name if version else link.school.code
    questions = [
        {
            "number": n,
            "key": q["key"],
            "name": f"q_{q['key']}",
            "text": q["text"],
            "options": q["options"],
            "value": posted.get(f"q_{q['key']}", ""),
            "error": (errors or {}).get(f"q_{q['key']}", ""),
        }
        for n, q in enumerate(definition["questions"], start=1)
    ]
    response = render(
        request,
        "assessment/public_form.html",
        {
            "link": link,
            "survey": survey,
            "district": survey.district,
            "questionnaire": definition,
            "school_name": school_name,
            "questions": questions,
            "groups": [(g, GROUPS[g]) for g in definition["groups"]],
            "grades": definition.get("grades", []),
            "asks_grade": definition.get("asks_grade", False),
            "ask_area": link.school is None,
            "areas": AREA_LABELS,
            "respondent": respondent.token,
            "posted": posted,
            "errors": errors or {},
            "message": message,
            "default_group": "parent" if link.questionnaire == "social" and link.school is not None else "",
        },
        status=status,
    )
    response.set_cookie(
        _cookie(link),
        respondent.token,
        max_age=COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@require_http_methods(["GET", "POST"])
@never_cache
def survey_public(request: HttpRequest, token: str) -> HttpResponse:
    """A questionnaire on a phone, without an account.

    GET issues (or reuses, from the cookie) a one-time respondent token for this link; POST
    submits the answers with that token, which is then used up: a second submission with it is
    refused. Flooding is refused by per-address, per-token and per-link rate limits, a honeypot
    field and a minimum time between opening and submitting.
    """
    link = survey_services.link_for_token(token)
    if link is None:
        return _refused(request, survey_services.refuse("invalid"))
    address = ratelimit.client_address(request)
    if request.method == "GET":
        if not link.survey.is_open:
            return _refused(request, survey_services.refuse("closed"), link)
        held = request.COOKIES.get(_cookie(link), "")
        respondent = RespondentToken.objects.filter(link=link, token=held).first() if held else None
        if respondent is not None and respondent.used_at is not None:
            return _refused(request, survey_services.refuse("used"), link)
        if respondent is None:
            if not ratelimit.allow("open_ip", address):
                return _refused(request, survey_services.refuse("rate"), link)
            respondent = survey_services.respondent_token_issue(link=link)
        return _public_form(request, link, respondent)
    given = str(request.POST.get("respondent") or "")[:48]
    if not (
        ratelimit.allow("submit_ip", address)
        and ratelimit.allow("submit_token", given or "-")
        and ratelimit.allow("submit_link", link.token)
    ):
        return _refused(request, survey_services.refuse("rate"), link)
    try:
        survey_services.response_submit(token=given, raw=request.POST, link=link)
    except survey_services.SurveyRefusedError as refusal:
        respondent = RespondentToken.objects.filter(link=link, token=given, used_at__isnull=True).first()
        if refusal.code == "too_fast" and respondent is not None:
            return _public_form(request, link, respondent, message=refusal.message, status=400)
        return _refused(request, refusal, link)
    except ValidationError as error:
        respondent = RespondentToken.objects.get(link=link, token=given)
        found = {k: str(v[0].messages[0]) for k, v in error.error_dict.items()} if hasattr(error, "error_dict") else {}
        return _public_form(
            request, link, respondent, errors=found, message=_("还有题目没有回答,请检查标出的题目"), status=400
        )
    return redirect("assessment:survey_thanks", link.token)


@require_GET
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    link = survey_services.link_for_token(token)
    return render(
        request,
        "assessment/public_message.html",
        {"title": _("提交成功"), "message": _("问卷已提交,感谢您的参与!"), "link": link, "ok": True},
    )


@require_GET
def survey_qr(request: HttpRequest, token: str) -> HttpResponse:
    link = survey_services.link_for_token(token)
    if link is None:
        raise Http404(_("链接无效"))
    url = request.build_absolute_uri(reverse("assessment:survey_public", args=[link.token]))
    return HttpResponse(qr_svg(url, scale=8), content_type="image/svg+xml")
