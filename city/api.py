"""REST API of the multi-county overview (/api/v1/city/): the same rows as the page, for the same
users (inspectors and city supervision offices, administrators), only their own counties."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from city import selectors
from core import access
from schools.models import District

YEAR = OpenApiParameter("year", int, description="学年 (default: the newest with a stored result)")
PROFILE = OpenApiParameter("profile", str, description="rule profile name; a county that does not use it shows its own")
SORT = OpenApiParameter("sort", str, enum=list(selectors.SORT_KEYS))
DIRECTION = OpenApiParameter("dir", str, enum=["asc", "desc"])


def _int(raw: Any) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and 1990 <= int(text) <= 2100 else None


def readiness_json(row: selectors.Readiness) -> dict[str, Any]:
    """A county-year as JSON: stored figures at full precision (pages round CVs to 3 places)."""
    return {
        "district_code": row.code,
        "district_name": row.name,
        "year": row.year,
        "profile": row.profile_name,
        "has_result": row.has_result,
        "verdict": row.verdict,
        "preview": row.preview,
        "cv_over": row.cv_over,
        "cv_judged": row.cv_judged,
        "units_assessed": row.assessed,
        "units_passing": row.passing,
        "share_passing": row.share,
        "levels": [
            {
                "level": level.level,
                "units": level.units,
                "passes": level.passes,
                "composite": level.composite,
                "composite_threshold": level.composite_threshold,
                "assessed": level.assessed,
                "passing": level.passing,
                "cvs": [
                    {
                        "key": line.key,
                        "label": line.label,
                        "cv": line.cv,
                        "threshold": line.threshold,
                        "passes": line.passes,
                        "near_threshold": line.near,
                    }
                    for line in level.cvs
                ],
            }
            for level in row.levels
        ],
        "guarantee": asdict(row.guarantee) if row.guarantee else None,
        "quality": asdict(row.quality) if row.quality else None,
        "survey": asdict(row.survey) if row.survey else None,
        "open_problems": row.open_problems,
        "inspection_date": row.inspection_date.isoformat() if row.inspection_date else None,
    }


class CityViewSet(viewsets.ViewSet):
    """Readiness of the caller's counties for the acceptance inspection."""

    lookup_field = "district_code"
    lookup_value_regex = r"\d{6}"

    @extend_schema(operation_id="city_list", parameters=[YEAR, PROFILE, SORT, DIRECTION], responses=OpenApiTypes.OBJECT)
    def list(self, request: Request) -> Response:
        """Every county of the caller's scope side by side in one year, with its trend."""
        user = access.acting_user(request)
        access.require(user, "compare")
        districts = list(access.district_scope(user).order_by("code"))
        profile = str(request.query_params.get("profile") or "") or None
        data = selectors.overview(districts, year=_int(request.query_params.get("year")), profile_name=profile)
        sort = str(request.query_params.get("sort") or "code")
        rows = selectors.sort_rows(data.rows, sort, request.query_params.get("dir") == "desc")
        return Response(
            {
                "year": data.year,
                "years": data.years,
                "trend_years": data.trend_years,
                "left_out": data.cut,
                "counties": [
                    {**readiness_json(r), "trend": [asdict(p) for p in data.trends.get(r.code, [])]} for r in rows
                ],
            }
        )

    @extend_schema(operation_id="city_retrieve", parameters=[PROFILE], responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, district_code: str | None = None) -> Response:
        """One county's readiness in every year with a stored result (oldest first)."""
        user = access.acting_user(request)
        district: District = access.get_district_for_user(user, str(district_code))
        profile = selectors.profile_for(district, str(request.query_params.get("profile") or "") or None)
        years = selectors.district_years(district, profile)
        return Response(
            {
                "district_code": district.code,
                "district_name": district.name,
                "profile": profile.name if profile else None,
                "years": [readiness_json(r) for r in years],
            }
        )
