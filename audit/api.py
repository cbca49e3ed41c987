"""The audit trail over the API: read-only, in the caller's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from audit.models import AuditEvent
from core import access


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    district_code = serializers.CharField(source="district.code", default=None, read_only=True)
    school_code = serializers.CharField(source="school.code", default=None, read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "username",
            "action",
            "object_type",
            "object_id",
            "district_code",
            "school_code",
            "year",
            "summary",
            "changes",
            "reason",
        ]


class AuditFilter(filters.FilterSet):
    district = filters.CharFilter(field_name="district__code")
    school = filters.CharFilter(field_name="school__code")
    year = filters.NumberFilter()
    object_type = filters.CharFilter()

    class Meta:
        model = AuditEvent
        fields = ["district", "school", "year", "object_type"]


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet[AuditEvent]):
    """Who changed what and when (append-only). Rule-profile changes are visible to everyone."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditFilter

    def get_queryset(self) -> QuerySet[AuditEvent]:
        user = self.request.user
        if access.can(user, "view_all"):
            scope = AuditEvent.objects.all()
        else:
            scope = AuditEvent.objects.filter(
                Q(school__in=access.school_scope(user))
                | Q(district__in=access.district_scope(user), school__isnull=True)
                | Q(object_type="profile")
            )
        return scope.select_related("district", "school").order_by("-at", "-id")
