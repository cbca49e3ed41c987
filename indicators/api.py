"""REST API for rule profiles and the stored balance results (/api/v1/)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core import access
from indicators import results, services
from indicators.models import BalanceResult, RuleProfile


class ProfileSerializer(serializers.ModelSerializer[RuleProfile]):
    version = serializers.SerializerMethodField()
    definition = serializers.SerializerMethodField()

    class Meta:
        model = RuleProfile
        fields = ["name", "label", "province", "version", "definition"]

    def get_version(self, profile: RuleProfile) -> int | None:
        current = profile.current_version()
        return current.version if current else None

    def get_definition(self, profile: RuleProfile) -> dict[str, Any]:
        current = profile.current_version()
        return current.definition if current else {}


class ProfileUpdateSerializer(serializers.Serializer[Any]):
    definition = serializers.DictField()
    note = serializers.CharField(max_length=200)


class ProfileViewSet(viewsets.ReadOnlyModelViewSet[RuleProfile]):
    """Rule profiles (standards as versioned data). Administrators PUT new rules: a new version."""

    serializer_class = ProfileSerializer
    lookup_field = "name"
    queryset = RuleProfile.objects.prefetch_related("versions").order_by("province", "name")

    @extend_schema(request=ProfileUpdateSerializer, responses=ProfileSerializer)
    def update(self, request: Request, name: str) -> Response:
        if not access.can(request.user, "configure"):
            raise PermissionDenied
        profile = self.get_object()
        incoming = ProfileUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.profile_update(
            profile=profile,
            definition=incoming.validated_data["definition"],
            user=access.acting_user(request),
            note=incoming.validated_data["note"],
        )
        return Response(ProfileSerializer(profile).data)


class ResultSerializer(serializers.ModelSerializer[BalanceResult]):
    district_code = serializers.CharField(source="district.code", read_only=True)
    profile_version = serializers.IntegerField(source="profile_version.version", read_only=True)

    class Meta:
        model = BalanceResult
        fields = [
            "id",
            "district_code",
            "year",
            "profile_name",
            "profile_version",
            "input_fingerprint",
            "units_total",
            "units_approved",
            "computed_at",
        ]


class ResultFilter(filters.FilterSet):
    district = filters.CharFilter(field_name="district__code")
    year = filters.NumberFilter()
    profile = filters.CharFilter(field_name="profile_name")

    class Meta:
        model = BalanceResult
        fields = ["district", "year", "profile"]


class ResultViewSet(viewsets.ReadOnlyModelViewSet[BalanceResult]):
    """The stored balance results (current ones). The detail is the `balance_summary` document;
    `?full=true` adds the calculation (per-unit terms, totals, notes)."""

    serializer_class = ResultSerializer
    filterset_class = ResultFilter

    def get_queryset(self) -> QuerySet[BalanceResult]:
        queryset = (
            BalanceResult.objects.filter(district__in=access.district_scope(self.request.user), is_current=True)
            .select_related("district", "profile_version")
            .order_by("district__code", "year", "profile_name")
        )
        # The list shows no stored outcome: only the detail reads it.
        return queryset.defer("payload") if self.action == "list" else queryset

    @extend_schema(parameters=[OpenApiParameter("full", bool, description="含计算过程的完整文档")])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        result = self.get_object()
        full = request.query_params.get("full", "").lower() in ("1", "true", "yes")
        return Response({**ResultSerializer(result).data, "result": results.to_json(result.outcome, full=full)})
