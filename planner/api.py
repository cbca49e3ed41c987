"""REST API of the planner (/api/v1/planner/CODE/): the adopted plan of a district-year for anyone
who may see the district; running the planner (POST .../run/) for its bureau staff."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core import access
from indicators import selectors
from planner import services
from planner.models import AdoptedPlan
from schools.models import District
from schools.selectors import default_year

YEAR = OpenApiParameter("year", int, description="学年 (default: the district's newest)")
PROFILE = OpenApiParameter("profile", str, description="rule profile name (default: the district's first)")


def _year(raw: Any, district: District) -> int:
    text = str(raw or "")
    if not text:
        return default_year(district.pk)
    if not text.isdigit() or not 1990 <= int(text) <= 2100:
        raise ValidationError({"year": _("学年无效")})
    return int(text)


def _profile(raw: Any, district: District) -> str:
    names = [p.name for p in selectors.profiles_for_district(district)]
    name = str(raw or "") or (names[0] if names else "")
    if name not in names:
        raise ValidationError({"profile": _("该区县未采用此评估规则")})
    return name


class PlannerViewSet(viewsets.ViewSet):
    """The cheapest plan for a county to pass: the adopted one, or a new run."""

    lookup_field = "district_code"
    lookup_value_regex = r"\d{6}"

    @extend_schema(operation_id="planner_retrieve", parameters=[YEAR, PROFILE], responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, district_code: str | None = None) -> Response:
        """The newest adopted plan of the district-year and profile (404 when none is adopted)."""
        user = access.acting_user(request)
        district: District = access.get_district_for_user(user, str(district_code))
        year = _year(request.query_params.get("year"), district)
        plans = AdoptedPlan.objects.filter(district=district, year=year)
        if request.query_params.get("profile"):  # else the newest adopted under any profile
            plans = plans.filter(profile_name=_profile(request.query_params.get("profile"), district))
        adopted = plans.first()
        if adopted is None:
            raise Http404(_("该学年尚未采纳整改方案"))
        return Response(
            {
                "district_code": district.code,
                "year": year,
                "profile": adopted.profile_name,
                "start_year": adopted.start_year,
                "budgets": adopted.budgets,
                "adopted_at": adopted.adopted_at.isoformat(),
                "plan": adopted.content,
            }
        )

    @extend_schema(operation_id="planner_run", request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def run(self, request: Request, district_code: str | None = None) -> Response:
        """Run the planner: body {"year", "profile", "budget"?}; the plan as `plan_to_pass --json` prints it."""
        user = access.acting_user(request)
        district: District = access.get_district_for_user(user, str(district_code), "manage")
        body = request.data if isinstance(request.data, dict) else {}
        year = _year(body.get("year"), district)
        profile = _profile(body.get("profile"), district)
        budget = body.get("budget")
        if budget is not None:
            try:
                budget = float(budget)
            except (TypeError, ValueError):
                raise ValidationError({"budget": _("预算必须是数值")}) from None
        plan = services.plan_run(district=district, year=year, profile_name=profile, budget=budget)
        return Response(plan.to_json())
