"""The audit trail: one append-only row per change, whoever made it and however it came in.

Rows are never updated or deleted: the model refuses it, and on PostgreSQL a trigger refuses it
too (migration 0002), so not even a bug or a shell session can rewrite history.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No database constraints: deleting a user or school must never need to rewrite an audit row
    # (the trigger would refuse it); the names are kept in the row itself.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
    username = models.CharField(max_length=150, blank=True)  # kept if the user is deleted
    action = models.CharField(_("操作"), max_length=30)
    object_type = models.CharField(_("对象"), max_length=30)  # statistics, school, plan, progress, profile …
    object_id = models.CharField(max_length=64, blank=True)
    district = models.ForeignKey(
        "schools.District", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {field: [old, new]}
    reason = models.TextField(_("原因"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["school", "year", "at"]),
            models.Index(fields=["district", "at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:  # an event loaded from the database: never rewritten
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("audit events are append-only")
