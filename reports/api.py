"""REST API for report jobs (/api/v1/reports/): ask for a report, follow its job, download its file.

The same rules as the report pages: a county report is for the district's bureau, its
inspectors and administrators; a school report also for the school's principal. Asking for a
report whose inputs are unchanged answers 200 with the finished job (its file is served at
once); otherwise 202 with the queued (or already running) job, whose status the caller polls.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core import access
from core.api import request_body
from reports import selectors, services
from reports.models import JobStatus, ReportFormat, ReportJob, ReportKind
from reports.views import file_response
from schools.models import District, School

SCHOOL_NOT_IN_DISTRICT = "该学校不属于所选区县 / The school is not in this district"


class ReportJobSerializer(serializers.ModelSerializer[ReportJob]):
    district_code = serializers.CharField(source="district.code", read_only=True)
    school_code = serializers.CharField(source="school.code", read_only=True, allow_null=True, default=None)
    profile = serializers.CharField(source="profile_name", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "kind",
            "fmt",
            "district_code",
            "school_code",
            "year",
            "profile",
            "status",
            "progress",
            "reason",
            "pages",
            "size",
            "fingerprint",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, job: ReportJob) -> str | None:
        if job.status != JobStatus.DONE or not job.file:
            return None
        return reverse("api:report-download", args=[job.pk])


class ReportRequestSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    fmt = serializers.ChoiceField(choices=ReportFormat.choices, default=ReportFormat.PDF)
    district_code = serializers.CharField(max_length=20, help_text="区县代码")
    school_code = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="学校标识码(学校报告)"
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    profile = serializers.CharField(max_length=64, help_text="评估规则, e.g. quality-2017")


class ReportJobFilter(filters.FilterSet):
    district = filters.CharFilter(field_name="district__code")
    school = filters.CharFilter(field_name="school__code")
    kind = filters.ChoiceFilter(choices=ReportKind.choices)
    fmt = filters.ChoiceFilter(choices=ReportFormat.choices)
    status = filters.ChoiceFilter(choices=JobStatus.choices)
    profile = filters.CharFilter(field_name="profile_name")
    year = filters.NumberFilter()

    class Meta:
        model = ReportJob
        fields = ["district", "school", "kind", "fmt", "status", "profile", "year"]


class ReportJobViewSet(viewsets.ReadOnlyModelViewSet[ReportJob]):
    """Report jobs (督导评估报告 and school reports, PDF or XLSX) the caller may see, newest first."""

    serializer_class = ReportJobSerializer
    filterset_class = ReportJobFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[ReportJob]:
        return selectors.job_scope(self.request.user).select_related("district", "school")

    @extend_schema(
        request=ReportRequestSerializer,
        responses={
            200: OpenApiResponse(ReportJobSerializer, description="unchanged inputs: the finished report"),
            202: OpenApiResponse(ReportJobSerializer, description="queued or rendering: poll its status"),
        },
    )
    def create(self, request: Request) -> Response:
        request_body(request)
        incoming = ReportRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        school: School | None = None
        district: District
        if data["kind"] == ReportKind.SCHOOL and data.get("school_code"):
            school = access.get_school_for_user(request.user, data["school_code"])
            if school.district.code != data["district_code"]:
                raise ValidationError(SCHOOL_NOT_IN_DISTRICT)
            district = school.district
        else:
            district = access.get_district_for_user(request.user, data["district_code"])
        job = services.report_request(
            user=access.acting_user(request),
            kind=data["kind"],
            fmt=data["fmt"],
            district=district,
            school=school,
            year=data["year"],
            profile_name=data["profile"],
        )
        reused = job.status == JobStatus.DONE  # as found, before a worker (or eager run) touched it
        job.refresh_from_db()
        body = ReportJobSerializer(job).data
        if reused:
            return Response(body, status=status.HTTP_200_OK)
        location = reverse("api:report-detail", args=[job.pk])
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> FileResponse:
        """The finished report's file, as an attachment (404 while it is not done or after pruning)."""
        return file_response(self.get_object())
