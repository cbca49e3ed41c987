"""The audit trail over the API: read-only, in the caller's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers, viewsets

from audit.models import AuditEvent
from audit.presentation import EventView, describe
from core import access

CHANGE = inline_serializer(
    "AuditChange",
    fields={
        "field": serializers.CharField(help_text="the stored key, as in `changes`"),
        "label": serializers.CharField(help_text="the field's label in the request's language"),
        "old": serializers.CharField(help_text="the old value formatted for reading; empty when there was none"),
        "new": serializers.CharField(help_text="the new value formatted for reading; empty when there is none"),
    },
    many=True,
)


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    """An event with its machine keys (`action`, `object_type`, `changes`) and, beside them, what
    the history pages show: labels in the request's language, the person's name and role."""

    district_code = serializers.CharField(source="district.code", default=None, read_only=True)
    school_code = serializers.CharField(source="school.code", default=None, read_only=True)
    action_label = serializers.SerializerMethodField()
    object_type_label = serializers.SerializerMethodField()
    user_display = serializers.SerializerMethodField()
    user_role = serializers.SerializerMethodField()
    changes_labelled = serializers.SerializerMethodField()

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
            "action_label",
            "object_type_label",
            "user_display",
            "user_role",
            "changes_labelled",
        ]

    def _view(self, event: AuditEvent) -> EventView:
        described: dict[int, EventView] = self.context.setdefault("described", {})
        if event.pk not in described:
            described[event.pk] = describe([event])[0]
        return described[event.pk]

    def get_action_label(self, event: AuditEvent) -> str:
        return self._view(event).action

    def get_object_type_label(self, event: AuditEvent) -> str:
        return self._view(event).object

    def get_user_display(self, event: AuditEvent) -> str:
        return self._view(event).person

    def get_user_role(self, event: AuditEvent) -> str:
        return self._view(event).role

    @extend_schema_field(CHANGE)
    def get_changes_labelled(self, event: AuditEvent) -> list[dict[str, str]]:
        return [{"field": c.field, "label": c.label, "old": c.old, "new": c.new} for c in self._view(event).changes]


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

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        """A page of events is described at once (its people and schools read in two queries)."""
        if kwargs.get("many") and args:
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["described"] = {view.event.pk: view for view in describe(args[0])}
        return super().get_serializer(*args, **kwargs)
