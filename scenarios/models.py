"""What-if scenarios (模拟方案): a named set of changes to one county's figures for one year.

A scenario stores only its changes, each `{"school_code", "field", "to"}` with a data-dictionary
key of the annual statistics (indicators.whatif.Change without its `from`): the figure it starts
from is always the county's current statistics, read when the scenario is evaluated. Approved
statistics are never written; the engine evaluates copies of them with the changes applied.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from schools.models import District


class Scenario(models.Model):
    """A bureau's what-if on a district-year under one rule profile, named and saved."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="scenarios")
    year = models.PositiveSmallIntegerField(_("学年"))
    profile_name = models.CharField(_("评估规则"), max_length=64)
    name = models.CharField(_("方案名称"), max_length=100)
    # [{"school_code": "...", "field": "<data-dictionary key>", "to": number | null}, ...]
    changes = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # No silent overwrite (core/revisions.py): every edit names the revision it started from.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["district_id", "-year", "-updated_at", "-id"]
        indexes = [models.Index(fields=["district", "year"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.district_id}/{self.year})"

    @property
    def change_list(self) -> list[dict[str, Any]]:
        return list(self.changes or [])
