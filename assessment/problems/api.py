"""REST API of the problem list (/api/v1/problems/): the same rules as the pages: a district's
bureau, its inspectors and administrators read it; the bureau (and administrators) add problems,
update and close them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from assessment.models import Problem
from assessment.problems import services as problem_services
from core import access
from core.api import request_body
from schools.models import District

SCHOOL_NOT_FOUND = "该区县没有这所学校 / No such school in this district"


class ProblemSerializer(serializers.ModelSerializer[Problem]):
    district_code = serializers.CharField(source="district.code", read_only=True)
    school_code = serializers.CharField(source="school.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Problem
        fields = [
            "id",
            "district_code",
            "year",
            "source",
            "key",
            "profile_name",
            "school_code",
            "title",
            "detail",
            "owner",
            "deadline",
            "state",
            "closed_auto",
            "closed_at",
            "close_note",
            "created_at",
            "updated_at",
        ]


class ProblemCreateSerializer(serializers.Serializer[Any]):
    district_code = serializers.CharField(max_length=20)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    title = serializers.CharField(max_length=300)
    detail = serializers.CharField(required=False, allow_blank=True, default="")
    owner = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    school_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class ProblemUpdateSerializer(serializers.Serializer[Any]):
    owner = serializers.CharField(max_length=100, allow_blank=True)
    deadline = serializers.DateField(allow_null=True)
    state = serializers.ChoiceField(choices=[Problem.State.OPEN, Problem.State.IN_PROGRESS])


class ProblemCloseSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(help_text="整改说明 (required)")


class ProblemFilter(filters.FilterSet):
    district = filters.CharFilter(field_name="district__code")
    school = filters.CharFilter(field_name="school__code")
    year = filters.NumberFilter()
    state = filters.ChoiceFilter(choices=Problem.State.choices)
    source = filters.ChoiceFilter(choices=Problem.Source.choices)

    class Meta:
        model = Problem
        fields = ["district", "school", "year", "state", "source"]


class ProblemViewSet(viewsets.ReadOnlyModelViewSet[Problem]):
    """问题清单: problems found by the system or added by the bureau; update and close them."""

    serializer_class = ProblemSerializer
    filterset_class = ProblemFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Problem]:
        return (
            Problem.objects.filter(district__in=access.district_scope(self.request.user))
            .select_related("district", "school")
            .order_by("district__code", "-year", "state", "deadline", "id")
        )

    def _managed(self) -> Problem:
        problem = self.get_object()  # 404 outside the caller's districts
        access.require(self.request.user, "manage", problem.district)
        return problem

    @extend_schema(request=ProblemCreateSerializer, responses={201: ProblemSerializer})
    def create(self, request: Request) -> Response:
        district_code = str(request_body(request).get("district_code", ""))
        district: District = access.get_district_for_user(request.user, district_code, "manage")
        incoming = ProblemCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        school = None
        if data["school_code"]:
            school = district.schools.filter(code=data["school_code"]).first()
            if school is None:
                raise ValidationError({"school_code": [SCHOOL_NOT_FOUND]})
        problem = problem_services.problem_create(
            district=district,
            year=data["year"],
            title=data["title"],
            detail=data["detail"],
            owner=data["owner"],
            deadline=data["deadline"],
            school=school,
            user=access.acting_user(request),
        )
        return Response(ProblemSerializer(problem).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProblemUpdateSerializer, responses=ProblemSerializer, operation_id="problems_update_state")
    @action(detail=True, methods=["post"], url_path="update")
    def update_problem(self, request: Request, pk: str) -> Response:
        """Owner, deadline and 待整改 / 整改中 of an open problem."""
        problem = self._managed()
        incoming = ProblemUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        problem = problem_services.problem_update(problem=problem, **incoming.validated_data)
        return Response(ProblemSerializer(problem).data)

    @extend_schema(request=ProblemCloseSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Close by hand, saying what was done."""
        problem = self._managed()
        incoming = ProblemCloseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        problem = problem_services.problem_close(
            problem=problem, note=incoming.validated_data["note"], user=access.acting_user(request)
        )
        return Response(ProblemSerializer(problem).data)
