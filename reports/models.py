"""Report jobs: a request for a county or school report, rendered by a worker and stored once.

A job's `fingerprint` is the identity of everything the file shows (reports.selectors.
report_identity): the stored balance results, the rule-profile version, the registry, the
approval record, the plans, the assessment data and the report templates. A request whose
fingerprint matches a finished job is answered with that job's file at once; changed inputs
give a new fingerprint and so a new render.

A rendering job's `heartbeat_at` is renewed every few seconds by the worker rendering it. A
heartbeat that stopped means the worker died mid-render (killed, out of memory, its machine
restarted): reports.services then queues the job again (on the next request for it, when a worker
starts and from the catch-up beat job), and the page says so. `attempts` counts the renders started.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from schools.models import District, School


class ReportKind(models.TextChoices):
    COUNTY = "county", _("县域督导评估报告")
    SCHOOL = "school", _("学校报告")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", _("Excel 表格")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RENDERING = "rendering", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RENDERING)


class ReportJob(models.Model):
    """One requested report and, once rendered, its stored file (under MEDIA_ROOT/reports/).

    The file is private: it has no URL of its own and is only sent by the download view after
    an access check, as an attachment.
    """

    kind = models.CharField(_("报告类型"), max_length=10, choices=ReportKind.choices)
    fmt = models.CharField(_("格式"), max_length=5, choices=ReportFormat.choices, default=ReportFormat.PDF)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="report_jobs")
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.CASCADE, related_name="report_jobs")
    year = models.PositiveSmallIntegerField(_("学年"))
    profile_name = models.CharField(_("评估规则"), max_length=64)
    fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, while rendering
    reason = models.TextField(_("失败原因"), blank=True)
    file = models.CharField(max_length=200, blank=True)  # relative to MEDIA_ROOT
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)  # the last time its task was sent
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # renewed while a worker renders it
    attempts = models.PositiveSmallIntegerField(default=0)  # renders started

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["fingerprint", "status"])]
        verbose_name = _("报告任务")
        verbose_name_plural = _("报告任务")

    def __str__(self) -> str:
        return f"{self.kind}/{self.district_id}/{self.year}/{self.profile_name} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def filename(self) -> str:
        """The download name: 清源县_2026_督导评估报告_quality-2017.pdf (names only, no paths)."""
        if self.kind == ReportKind.SCHOOL and self.school is not None:
            subject = self.school.code
            label = "学校报告"
        else:
            subject = self.district.code
            label = "督导评估报告"
        return f"{subject}_{self.year}_{label}_{self.profile_name}.{self.fmt}"


class InputsVersion(models.Model):
    """The version of one slice of what reports show, kept by database triggers (PostgreSQL).

    A slice is a district's rows of one kind (`part`), of one school (`school_id`, 0 for the
    district's own rows) and of one year (`year`, 0 for rows of every year); `district_id` 0 holds
    shared tables. Every write to a tracked table (reports.identity.TRACKED), however it is made,
    gives the slices it touches a new version from one sequence, in its own transaction. A report's
    fingerprint reads the versions of its slices (reports.identity.stored_identity) instead of the
    rows themselves. Plain integers, not foreign keys: the triggers write them, and a version of
    something deleted must stay to say so.
    """

    district_id = models.IntegerField()
    school_id = models.IntegerField()
    year = models.IntegerField()
    part = models.CharField(max_length=32)
    version = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district_id", "school_id", "year", "part"], name="reports_inputs_slice")
        ]

    def __str__(self) -> str:
        return f"{self.part}/{self.district_id}/{self.school_id}/{self.year}: {self.version}"
