"""REST API for school plans and annual progress (/api/v1/)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core import access
from plans import selectors, services
from plans.models import AnnualProgress, PlanGoal, PlanTarget, ProgressItem, ReviewStatus, SchoolPlan


class TargetSerializer(serializers.ModelSerializer[PlanTarget]):
    class Meta:
        model = PlanTarget
        fields = ["id", "name", "metric", "level", "unit", "direction", "baseline", "values"]


class GoalSerializer(serializers.ModelSerializer[PlanGoal]):
    area = serializers.CharField(source="area.name")
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = PlanGoal
        fields = ["id", "area", "title", "measures", "targets"]


class PlanSerializer(serializers.ModelSerializer[SchoolPlan]):
    school_code = serializers.CharField(source="school.code", read_only=True)
    goals = GoalSerializer(many=True, read_only=True)

    class Meta:
        model = SchoolPlan
        fields = [
            "id",
            "school_code",
            "title",
            "start_year",
            "end_year",
            "version",
            "status",
            "strengths",
            "weaknesses",
            "opportunities",
            "challenges",
            "philosophy",
            "overall_goal",
            "safeguards",
            "goals",
            "updated_at",
        ]


class PlanFilter(filters.FilterSet):
    district = filters.CharFilter(field_name="school__district__code")
    school = filters.CharFilter(field_name="school__code")
    status = filters.ChoiceFilter(choices=ReviewStatus.choices)
    start_year = filters.NumberFilter()

    class Meta:
        model = SchoolPlan
        fields = ["district", "school", "status", "start_year"]


class ReturnSerializer(serializers.Serializer[Any]):
    comments = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        help_text='[{"anchor": "section:weaknesses" | "goal:ID" | "target:ID" | "", "text": "…"}]',
    )


class PlanViewSet(viewsets.ReadOnlyModelViewSet[SchoolPlan]):
    """School three-year plans with the review workflow: submit (school), approve / return (bureau)."""

    serializer_class = PlanSerializer
    filterset_class = PlanFilter

    def get_queryset(self) -> QuerySet[SchoolPlan]:
        return (
            selectors.plan_scope(self.request.user)
            .select_related("school")
            .prefetch_related("goals__area", "goals__targets")
            .order_by("school__code", "start_year", "version")
        )

    def _plan(self, pk: str, needed: access.Action) -> SchoolPlan:
        if not pk.isdecimal():  # "²" is a digit but no number: int() would fail
            raise Http404
        plan: SchoolPlan = access.get_plan_for_user(self.request.user, int(pk), needed)
        return plan

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        plan = services.plan_submit(plan=self._plan(pk, "edit_plan"), user=access.acting_user(request))
        return Response(PlanSerializer(plan).data)

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        plan = services.plan_approve(plan=self._plan(pk, "review"), user=access.acting_user(request))
        return Response(PlanSerializer(plan).data)

    @extend_schema(request=ReturnSerializer, responses=PlanSerializer, operation_id="plans_return")
    @action(detail=True, methods=["post"], url_path="return")
    def return_plan(self, request: Request, pk: str) -> Response:
        plan = self._plan(pk, "review")  # scope and role first, then the input
        incoming = ReturnSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        comments = [(c.get("anchor", ""), c.get("text", "")) for c in incoming.validated_data["comments"]]
        plan = services.plan_return(plan=plan, user=access.acting_user(request), comments=comments)
        return Response(PlanSerializer(plan).data)


class ProgressItemSerializer(serializers.ModelSerializer[ProgressItem]):
    target = serializers.CharField(source="target.name")

    class Meta:
        model = ProgressItem
        fields = ["id", "target", "actual", "auto_filled", "source", "status", "narrative"]


class ProgressSerializer(serializers.ModelSerializer[AnnualProgress]):
    plan = serializers.IntegerField(source="plan_id", read_only=True)
    items = ProgressItemSerializer(many=True, read_only=True)

    class Meta:
        model = AnnualProgress
        fields = ["id", "plan", "year", "status", "summary", "submitted_at", "items"]


class ProgressViewSet(viewsets.ReadOnlyModelViewSet[AnnualProgress]):
    """Annual progress reports (年度自评) of the plans the caller can see."""

    serializer_class = ProgressSerializer
    filterset_fields = ["year", "status"]

    def get_queryset(self) -> QuerySet[AnnualProgress]:
        return (
            AnnualProgress.objects.filter(plan__in=selectors.plan_scope(self.request.user))
            .prefetch_related("items__target")
            .order_by("plan_id", "year")
        )
