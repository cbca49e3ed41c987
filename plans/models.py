"""Three-year development plans (学校三年发展规划), annual progress and the county's plan.

A plan is a versioned document: a change after approval makes a new version that points at
the one it replaces, so the bureau can see what changed. Targets are measurable: linked to a
metric the system computes (plans/metrics.py) or custom with a unit and a direction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.text import from_json
from schools.models import District, School


class PlanArea(models.Model):
    """A goal area (德育, 教学, 教师队伍 …): a configurable list, kept by administrators."""

    name = models.CharField(_("领域"), max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已通过")


EDITABLE = (ReviewStatus.DRAFT, ReviewStatus.RETURNED)


class SchoolPlan(models.Model):
    """One version of a school's three-year plan (e.g. 2025—2027)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="plans")
    start_year = models.PositiveSmallIntegerField(_("起始学年"))
    end_year = models.PositiveSmallIntegerField(_("结束学年"))
    version = models.PositiveSmallIntegerField(default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    status = models.CharField(_("状态"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    revision = models.PositiveIntegerField(default=1)  # optimistic lock for the editor
    title = models.CharField(_("规划名称"), max_length=128)
    # 现状分析 (SWOT), 办学理念与总体目标, 保障措施: the sections of real plans (../shared/seeds).
    strengths = models.TextField(_("优势"), blank=True)
    weaknesses = models.TextField(_("不足与问题"), blank=True)
    opportunities = models.TextField(_("机遇"), blank=True)
    challenges = models.TextField(_("挑战"), blank=True)
    philosophy = models.TextField(_("办学理念"), blank=True)
    overall_goal = models.TextField(_("总体目标"), blank=True)
    safeguards = models.TextField(_("保障措施"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school_id", "start_year", "version"]
        constraints = [
            models.UniqueConstraint(fields=["school", "start_year", "version"], name="one_plan_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


SECTION_FIELDS = ("strengths", "weaknesses", "opportunities", "challenges", "philosophy", "overall_goal", "safeguards")


class PlanGoal(models.Model):
    """A goal in one area, with its measures (措施)."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="goals")
    area = models.ForeignKey(PlanArea, on_delete=models.PROTECT)
    title = models.CharField(_("目标"), max_length=200)
    measures = models.TextField(_("主要措施"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    revision = models.PositiveIntegerField(default=1)  # optimistic lock (core.revisions)

    class Meta:
        ordering = ["plan_id", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class PlanTarget(models.Model):
    """A measurable target of a goal, with a value for each plan year.

    Linked targets name a metric (plans/metrics.py) whose actual value the system fills in from
    the approved statistics and the stored balance results; custom targets have a unit and a
    direction and are entered by the school.
    """

    goal = models.ForeignKey(PlanGoal, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(_("指标名称"), max_length=120)
    metric = models.CharField(_("关联系统指标"), max_length=80, blank=True)
    level = models.CharField(_("学段"), max_length=10, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    baseline = models.DecimalField(_("基线值"), max_digits=14, decimal_places=4, null=True, blank=True)
    values = models.JSONField(_("各年目标值"), default=dict)  # {"2025": 4.5, …}
    order = models.PositiveSmallIntegerField(default=0)
    revision = models.PositiveIntegerField(default=1)  # optimistic lock (core.revisions)

    class Meta:
        ordering = ["goal_id", "order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def linked(self) -> bool:
        return bool(self.metric)


class PlanComment(models.Model):
    """A reviewer's comment, pinned to the plan, a section, a goal or a target."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    anchor = models.CharField(max_length=40, blank=True)  # "", "section:strengths", "goal:12", "target:40"
    text = models.TextField(_("意见"))
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["plan_id", "created_at"]

    def __str__(self) -> str:
        return f"{self.anchor or 'plan'}: {self.text[:30]}"


class PlanEvent(models.Model):
    """Append-only history of a plan's or a progress report's workflow."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="events")
    progress_year = models.PositiveSmallIntegerField(null=True, blank=True)
    action = models.CharField(max_length=20)  # create, save, submit, return, approve, revise
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {field: [old, new]} for edits

    class Meta:
        ordering = ["plan_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.action}"


class ProgressStatus(models.TextChoices):
    ACHIEVED = "achieved", _("达成")
    PARTIAL = "partial", _("部分达成")
    MISSED = "missed", _("未达成")


class AnnualProgress(models.Model):
    """年度自评: a school's report on one plan year, with the same review workflow."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.PROTECT, related_name="progress_reports")
    year = models.PositiveSmallIntegerField(_("学年"))
    status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    summary = models.TextField(_("总体自评"), blank=True)
    revision = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "year"], name="one_progress_per_plan_year")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.year}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


class ProgressItem(models.Model):
    """One target's actual value, status and narrative in a progress report."""

    progress = models.ForeignKey(AnnualProgress, on_delete=models.CASCADE, related_name="items")
    target = models.ForeignKey(PlanTarget, on_delete=models.PROTECT, related_name="progress_items")
    actual = models.DecimalField(_("实际值"), max_digits=16, decimal_places=4, null=True, blank=True)
    auto_filled = models.BooleanField(default=False)  # filled from statistics / stored results
    source = models.CharField(max_length=200, blank=True)  # where an auto-filled value came from
    source_text = models.JSONField(default=dict, blank=True)  # how `source` was made (core.text.to_json)
    status = models.CharField(_("达成情况"), max_length=10, choices=ProgressStatus.choices, blank=True)
    narrative = models.TextField(_("说明"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["progress", "target"], name="one_item_per_target")]

    def __str__(self) -> str:
        return f"{self.progress_id}/{self.target_id}"

    @property
    def shown_source(self) -> str:
        """Where the value came from, as made (the `tr` filter says it in the reader's language)."""
        return from_json(self.source_text, self.source)


class Evidence(models.Model):
    """An evidence file. Stored under a private path by checksum; only ever downloaded."""

    progress = models.ForeignKey(AnnualProgress, on_delete=models.CASCADE, related_name="evidence")
    item = models.ForeignKey(ProgressItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence")
    original_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)  # pdf, png, jpeg, docx, xlsx, doc, xls (from the content)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class ProgressDeadline(models.Model):
    """When a district's annual progress reports for a year are due."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="progress_deadlines")
    year = models.PositiveSmallIntegerField()
    due = models.DateField(_("截止日期"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="one_deadline_per_year")]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.year}: {self.due}"


class Notification(models.Model):
    """An in-app message (a reminder, a review result)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:40]


class CountyPlan(models.Model):
    """县域推进计划: the county's own three-year plan toward the acceptance inspection."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="county_plans")
    start_year = models.PositiveSmallIntegerField(_("起始学年"))
    end_year = models.PositiveSmallIntegerField(_("结束学年"))
    title = models.CharField(_("计划名称"), max_length=128)
    inspection_date = models.DateField(_("计划迎检日期"), null=True, blank=True)
    notes = models.TextField(_("说明"), blank=True)
    # Optimistic lock (core.revisions) over the plan and its yearly targets, edited on one page.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "start_year"], name="one_county_plan_per_period")]

    def __str__(self) -> str:
        return self.title


class CountyTargetKind(models.TextChoices):
    COMPLIANCE_SHARE = "compliance_share", _("达标学校比例")
    CV = "cv", _("校际差异系数")
    ENROLMENT_RATE = "enrolment_rate", _("入学率")
    DROPOUT_RATE = "dropout_rate", _("辍学率")
    RETENTION_RATE = "retention_rate", _("巩固率")


class CountyTarget(models.Model):
    """A yearly target of the county plan. CV targets name an indicator and a level."""

    plan = models.ForeignKey(CountyPlan, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=20, choices=CountyTargetKind.choices)
    profile_name = models.CharField(max_length=64, default="quality-2017")
    indicator = models.CharField(max_length=64, blank=True)
    level = models.CharField(max_length=10, blank=True)
    year = models.PositiveSmallIntegerField()
    value = models.DecimalField(max_digits=10, decimal_places=4)

    class Meta:
        ordering = ["plan_id", "kind", "indicator", "level", "year"]

    def __str__(self) -> str:
        return f"{self.kind} {self.indicator} {self.level} {self.year}: {self.value}"


class CountyFigure(models.Model):
    """A county figure the bureau enters (入学率, 辍学率, 巩固率 …) for a year."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="county_figures")
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=CountyTargetKind.choices)
    value = models.DecimalField(max_digits=10, decimal_places=4)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "year", "kind"], name="one_county_figure")]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.year} {self.kind}={self.value}"
