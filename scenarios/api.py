"""REST API of scenarios (/api/v1/scenarios/): the same rules as the pages. A district's bureau
staff and inspectors (and administrators) list and read its scenarios and their evaluation; the
bureau creates them (with changes, as the planner's plan) and edits them one change at a time,
naming the revision it started from."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core import access, revisions
from core.api import request_body
from indicators.whatif import Change
from scenarios import edits, presentation, selectors, services
from scenarios.models import Scenario
from schools.models import District


class ScenarioSerializer(serializers.ModelSerializer[Scenario]):
    district_code = serializers.CharField(source="district.code", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Scenario
        fields = [
            "id",
            "district_code",
            "year",
            "profile_name",
            "name",
            "changes",
            "revision",
            "created_by",
            "created_at",
            "updated_at",
        ]


class ChangeSerializer(serializers.Serializer[Any]):
    school_code = serializers.CharField(max_length=20)
    field = serializers.CharField(max_length=64)
    to = serializers.FloatField(allow_null=True)


class ScenarioCreateSerializer(serializers.Serializer[Any]):
    district_code = serializers.CharField(max_length=20)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    profile_name = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=100)
    changes = ChangeSerializer(many=True, required=False, default=list)


class EditSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField(required=False, allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=list(edits.KINDS))
    school_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    field = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    amount = serializers.FloatField(required=False, allow_null=True, default=None)
    level = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    teacher_kind = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    count = serializers.IntegerField(required=False, allow_null=True, default=None)
    to_school_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class ScenarioFilter(filters.FilterSet):
    district = filters.CharFilter(field_name="district__code")
    year = filters.NumberFilter()
    profile = filters.CharFilter(field_name="profile_name")

    class Meta:
        model = Scenario
        fields = ["district", "year", "profile"]


class ScenarioViewSet(viewsets.ReadOnlyModelViewSet[Scenario]):
    """模拟方案: what-if changes to a county's figures, evaluated beside its own (never stored)."""

    serializer_class = ScenarioSerializer
    filterset_class = ScenarioFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Scenario]:
        readable = [
            d.pk for d in access.district_scope(self.request.user) if access.can(self.request.user, "view_scenarios", d)
        ]
        return (
            Scenario.objects.filter(district__in=readable)
            .select_related("district", "created_by")
            .order_by("district__code", "-year", "-updated_at", "-id")
        )

    @extend_schema(request=ScenarioCreateSerializer, responses={201: ScenarioSerializer})
    def create(self, request: Request) -> Response:
        district_code = str(request_body(request).get("district_code", ""))
        district: District = access.get_district_for_user(request.user, district_code, "edit_scenarios")
        incoming = ScenarioCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        scenario = services.scenario_create(
            district=district,
            year=data["year"],
            profile_name=data["profile_name"],
            name=data["name"],
            changes=[Change(c["school_code"], c["field"], None, c["to"]) for c in data["changes"]],
            user=access.acting_user(request),
        )
        return Response(ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EditSerializer, responses=ScenarioSerializer, operation_id="scenarios_edit")
    @action(detail=True, methods=["post"])
    def edit(self, request: Request, pk: str) -> Response:
        """One change (kind: facility, hire, designate, move, close_point, merge_point, set, undo),
        naming the `revision` it starts from (none: 428; an older one: 409)."""
        scenario = self.get_object()  # 404 outside the caller's districts
        access.require(request.user, "edit_scenarios", scenario.district)
        incoming = EditSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        expected = revisions.parse(data.pop("revision"))
        scenario = services.scenario_apply_edit(
            scenario=scenario,
            edit=edits.Edit.from_data(data),
            user=access.acting_user(request),
            expected_revision=expected,
        )
        return Response(ScenarioSerializer(scenario).data)

    @extend_schema(responses={200: dict}, operation_id="scenarios_evaluate")
    @action(detail=True, methods=["get"])
    def evaluate(self, request: Request, pk: str) -> Response:
        """The scenario evaluated now beside the county's own figures: the county verdict, every
        CV per level, every unit's compliance and gaps, and the changes with their `from`."""
        scenario = self.get_object()
        evaluated = selectors.scenario_evaluate(scenario)
        return Response({**ScenarioSerializer(scenario).data, "evaluation": presentation.to_json(evaluated)})
