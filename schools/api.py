"""REST API for districts, schools and annual statistics (/api/v1/). Thin: scope from
core.access, rules from schools.services, keys from the data dictionary."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core import access
from core.api import request_body
from core.years import current_school_year
from schools import services
from schools.fields import AREA_TYPES, OWNERSHIPS, SCHOOL_TYPES, STAT_FIELDS, STAT_KEYS
from schools.models import AnnualStatistics, District, School, SchoolVersion, Status
from schools.selectors import version_for_year


class DistrictSerializer(serializers.ModelSerializer[District]):
    district_code = serializers.CharField(source="code", read_only=True)

    class Meta:
        model = District
        fields = ["district_code", "name", "province", "resident_population"]


class DistrictViewSet(viewsets.ReadOnlyModelViewSet[District]):
    """Districts the caller can see (bureau: its own; inspectors: assigned; administrators: all)."""

    serializer_class = DistrictSerializer
    lookup_field = "code"
    lookup_url_kwarg = "district_code"

    def get_queryset(self) -> QuerySet[District]:
        return access.district_scope(self.request.user).order_by("code")


class SchoolSerializer(serializers.Serializer[School]):
    """A school as it stands in a school year (`?year=`, default the current school year)."""

    school_code = serializers.CharField(max_length=10)
    district_code = serializers.CharField(max_length=6)  # the district to register the school in (required)
    school_name = serializers.CharField(max_length=128)
    school_type = serializers.ChoiceField(choices=list(SCHOOL_TYPES))
    parent_school_code = serializers.CharField(max_length=10, required=False, allow_null=True, allow_blank=True)
    ownership = serializers.ChoiceField(choices=list(OWNERSHIPS), default="public")
    county_run = serializers.BooleanField(default=True)
    area_type = serializers.ChoiceField(choices=list(AREA_TYPES), default="urban")
    year = serializers.IntegerField(
        min_value=2000, max_value=2100, required=False, write_only=True, help_text="自该学年起登记(默认当前学年)"
    )
    closed = serializers.BooleanField(read_only=True)
    valid_from = serializers.IntegerField(read_only=True)

    def to_representation(self, school: School) -> dict[str, Any]:
        year = self.context.get("year") or current_school_year()
        # A list prefetches every school's versions as a plain list (SchoolViewSet.get_queryset).
        versions = getattr(school, "version_list", None)
        if versions is None:
            versions = list(school.versions.select_related("parent"))
        version = version_for_year(versions, year) or version_for_year(versions, 9999)
        return {
            "school_code": school.code,
            "district_code": school.district.code,
            "school_name": version.name if version else None,
            "school_type": version.school_type if version else None,
            "parent_school_code": version.parent.code if version and version.parent else None,
            "ownership": version.ownership if version else None,
            "county_run": version.county_run if version else None,
            "area_type": version.area_type if version else None,
            "closed": version.closed if version else None,
            "valid_from": version.valid_from if version else None,
        }


class SchoolFilter(filters.FilterSet):
    district = filters.CharFilter(field_name="district__code")

    class Meta:
        model = School
        fields = ["district"]


class SchoolViewSet(viewsets.ReadOnlyModelViewSet[School]):
    """The school registry. Registering a school (POST) needs the district's "manage" right."""

    serializer_class = SchoolSerializer
    lookup_field = "code"
    lookup_url_kwarg = "school_code"
    filterset_class = SchoolFilter

    def get_queryset(self) -> QuerySet[School]:
        return (
            access.school_scope(self.request.user)
            .select_related("district")
            # One query for the page's versions with their parents, kept as plain lists (to_attr):
            # no queryset per school, as a nested prefetch would build.
            .prefetch_related(
                Prefetch("versions", queryset=SchoolVersion.objects.select_related("parent"), to_attr="version_list")
            )
            .order_by("code")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        year = self.request.query_params.get("year", "")
        context["year"] = int(year) if year.isdecimal() else None
        return context

    @extend_schema(request=SchoolSerializer, responses=SchoolSerializer)
    def create(self, request: Request) -> Response:
        district_code = request_body(request).get("district_code", "")
        district: District = access.get_district_for_user(request.user, str(district_code), "manage")
        data = SchoolSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        parent = None
        if values.get("parent_school_code"):
            parent = School.objects.filter(code=values["parent_school_code"], district=district).first()
        year = values.get("year") or current_school_year()
        school = services.school_create(
            district=district,
            code=values["school_code"],
            year=year,
            user=access.acting_user(request),
            name=values["school_name"],
            school_type=values["school_type"],
            parent=parent,
            ownership=values["ownership"],
            county_run=values["county_run"],
            area_type=values["area_type"],
        )
        return Response(SchoolSerializer(school, context={"year": year}).data, status=status.HTTP_201_CREATED)


def _number_field(key: str, integer: bool) -> serializers.Field[Any, Any, Any, Any]:
    if integer:
        return serializers.IntegerField(min_value=0, required=False, allow_null=True)
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True)


class StatisticsSerializer(serializers.Serializer[AnnualStatistics]):
    """One school-year's statistics with the data dictionary's keys. Empty = not reported."""

    id = serializers.IntegerField(read_only=True)
    school_code = serializers.CharField(max_length=10)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    status = serializers.CharField(read_only=True)
    revision = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="编辑时所基于的版本号:替换已有记录时必填(缺少 → 428,已被他人修改 → 409);新建时可省略或为 0",
    )
    unconfirmed = serializers.BooleanField(read_only=True)
    change_reasons = serializers.DictField(child=serializers.CharField(), required=False)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        for spec in STAT_FIELDS:
            fields[spec.key] = _number_field(spec.key, spec.integer)
        return fields

    def to_representation(self, stats: AnnualStatistics) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": stats.pk,
            "school_code": stats.school.code,
            "year": stats.year,
            "status": stats.status,
            "revision": stats.revision,
            "unconfirmed": stats.unconfirmed,
            "change_reasons": stats.change_reasons,
        }
        for key in STAT_KEYS:
            value = getattr(stats, key)
            out[key] = None if value is None else (float(value) if not isinstance(value, int) else value)
        return out


class StatisticsFilter(filters.FilterSet):
    district = filters.CharFilter(field_name="school__district__code")
    school = filters.CharFilter(field_name="school__code")
    year = filters.NumberFilter()
    status = filters.ChoiceFilter(choices=Status.choices)

    class Meta:
        model = AnnualStatistics
        fields = ["district", "school", "year", "status"]


class ReopenSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()


class StatisticsViewSet(viewsets.ReadOnlyModelViewSet[AnnualStatistics]):
    """Annual statistics. POST creates or replaces a school-year (all fields, like the form);
    workflow actions: submit, approve, reopen (with a reason). A save that replaces a record must
    name the revision it started from (without one: 428, nothing saved); a concurrent change
    answers 409 with what changed."""

    serializer_class = StatisticsSerializer
    filterset_class = StatisticsFilter

    def get_queryset(self) -> QuerySet[AnnualStatistics]:
        return access.statistics_scope(self.request.user).select_related("school").order_by("school__code", "year")

    @extend_schema(request=StatisticsSerializer, responses=StatisticsSerializer)
    def create(self, request: Request) -> Response:
        school_code = str(request_body(request).get("school_code", ""))
        school: School = access.get_school_for_user(request.user, school_code, "edit_statistics")
        incoming = StatisticsSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            result = services.statistics_save(
                school=school,
                year=values["year"],
                raw={k: values.get(k) for k in STAT_KEYS},
                reasons=values.get("change_reasons") or {},
                user=access.acting_user(request),
                expected_revision=values.get("revision"),
            )
        except services.StatisticsRejected as rejected:
            return Response(
                {"detail": str(services.REJECTED_MESSAGE), "errors": rejected.errors, "warnings": rejected.warnings},
                status=status.HTTP_400_BAD_REQUEST,
            )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(StatisticsSerializer(result.statistics).data, status=code)

    def _step(self, request: Request, pk: str, needed: access.Action) -> AnnualStatistics:
        stats = self.get_queryset().filter(pk=pk).first() if pk.isdecimal() else None
        if stats is None:
            raise Http404
        access.require(request.user, needed, stats.school.district, stats.school)
        return stats

    @extend_schema(request=None, responses=StatisticsSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        stats = self._step(request, pk, "submit")
        stats = services.statistics_submit(stats=stats, user=access.acting_user(request))
        return Response(StatisticsSerializer(stats).data)

    @extend_schema(request=None, responses=StatisticsSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        stats = self._step(request, pk, "review")
        stats = services.statistics_approve(stats=stats, user=access.acting_user(request))
        return Response(StatisticsSerializer(stats).data)

    @extend_schema(request=ReopenSerializer, responses=StatisticsSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        stats = self._step(request, pk, "review")
        stats = services.statistics_reopen(
            stats=stats, user=access.acting_user(request), reason=str(request_body(request).get("reason", ""))
        )
        return Response(StatisticsSerializer(stats).data)
