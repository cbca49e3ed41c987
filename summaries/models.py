"""Annual work summaries (年度工作总结): the bureau's for its county and each school's
self-assessment, drafted from the data, edited by people, kept in versions.

A version stores only the draft's blocks (summaries.blocks): the clerk's words with figure
placeholders and the places of the data blocks. The figures are filled in whenever the summary
is shown or downloaded, from the data as it is then.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from schools.models import District, School


class WorkSummary(models.Model):
    """One county's or one school's summary of a school year, under one rule profile."""

    class Kind(models.TextChoices):
        COUNTY = "county", _("县域年度工作总结")
        SCHOOL = "school", _("学校年度自评总结")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已随年度自评提交")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="work_summaries")
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.CASCADE, related_name="work_summaries")
    year = models.PositiveSmallIntegerField(_("学年"))
    profile_name = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    # A school's summary goes to the bureau with the year's progress report (年度自评).
    progress = models.ForeignKey(
        "plans.AnnualProgress", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_summaries"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["district_id", "year", "kind", "school_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year"], condition=Q(kind="county"), name="one_county_summary_per_year"
            ),
            models.UniqueConstraint(
                fields=["school", "year"], condition=Q(kind="school"), name="one_school_summary_per_year"
            ),
            models.CheckConstraint(
                condition=Q(kind="county", school__isnull=True) | Q(kind="school", school__isnull=False),
                name="summary_kind_matches_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.district_id}/{self.school_id or '-'}/{self.year}"


class SummaryVersion(models.Model):
    """One saved version of a summary's draft (immutable; a save adds the next number)."""

    summary = models.ForeignKey(WorkSummary, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    blocks = models.JSONField()  # summaries.blocks.blocks_json
    note = models.CharField(_("版本说明"), max_length=200, blank=True)
    data_stamp = models.CharField(max_length=64, blank=True)  # the data the figures came from when saved
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["summary_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["summary", "number"], name="one_summary_version_number")]

    def __str__(self) -> str:
        return f"{self.summary_id} v{self.number}"
