"""The school registry and each school's annual statistics (data-dictionary.md).

A school keeps its identity (`School.code`, the 10-digit 学校标识码) across years. What can change
from one year to the next (name, type, ownership, closure) lives in `SchoolVersion` rows keyed
by the first year they apply to, so history is never overwritten.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import AREA_TYPES, OWNERSHIPS, SCHOOL_TYPES

district_code_validator = RegexValidator(r"^\d{6}$", _("区县代码应为 6 位数字"))
school_code_validator = RegexValidator(r"^\d{10}$", _("学校标识码应为 10 位数字"))


class District(models.Model):
    """A county-level unit (县/区/不设区的市) and its education bureau."""

    code = models.CharField(_("区县代码"), max_length=6, unique=True, validators=[district_code_validator])
    name = models.CharField(_("区县名称"), max_length=64)
    province = models.CharField(_("省份"), max_length=32, blank=True)
    resident_population = models.PositiveIntegerField(_("常住人口"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("区县")
        verbose_name_plural = _("区县")

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class School(models.Model):
    """A school's lasting identity. Its year-dependent profile is in SchoolVersion."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="schools")
    code = models.CharField(_("学校标识码"), max_length=10, unique=True, validators=[school_code_validator])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("学校")
        verbose_name_plural = _("学校")

    def __str__(self) -> str:
        return self.code


class SchoolVersion(models.Model):
    """What a school is from `valid_from` (a school year) until its next version.

    A type change or a closure adds a version for the year it takes effect; earlier years keep
    the version that applied then.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="versions")
    valid_from = models.PositiveSmallIntegerField(_("起始学年"))
    name = models.CharField(_("学校名称"), max_length=128)
    school_type = models.CharField(_("学校类型"), max_length=20, choices=list(SCHOOL_TYPES.items()))
    parent = models.ForeignKey(
        School,
        verbose_name=_("所属学校"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="teaching_points",
    )
    ownership = models.CharField(_("办学性质"), max_length=10, choices=list(OWNERSHIPS.items()), default="public")
    county_run = models.BooleanField(_("是否县属"), default=True)
    area_type = models.CharField(_("城乡分类"), max_length=10, choices=list(AREA_TYPES.items()), default="urban")
    closed = models.BooleanField(_("已撤销/停办"), default=False)
    note = models.CharField(_("变更说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["school_id", "valid_from"]
        constraints = [models.UniqueConstraint(fields=["school", "valid_from"], name="one_version_per_year")]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from}—)"


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    APPROVED = "approved", _("已审核")
    REOPENED = "reopened", _("已退回修改")


EDITABLE_STATUSES = (Status.DRAFT, Status.REOPENED)


def _count(label: str) -> Any:  # a nullable PositiveIntegerField (typed Any for django-stubs)
    return models.PositiveIntegerField(label, null=True, blank=True)


def _amount(label: str) -> Any:  # a nullable non-negative DecimalField
    return models.DecimalField(
        label, max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )


class AnnualStatistics(models.Model):
    """One school's statistics for one school year (as of 9月1日), with its workflow state.

    Empty fields mean "not reported", which is different from 0. Field names are the data
    dictionary's keys (schools/fields.py lists them with labels and units).
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="statistics")
    year = models.PositiveSmallIntegerField(_("学年"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    # Optimistic lock: a save names the revision it started from (no lost updates).
    revision = models.PositiveIntegerField(default=1)
    change_reasons = models.JSONField(_("变动说明"), default=dict, blank=True)
    unconfirmed = models.BooleanField(_("待确认(沿用上年)"), default=False)

    students_primary = _count("小学在校生数")
    students_junior = _count("初中在校生数")
    students_senior = _count("高中在校生数")
    classes_primary = _count("小学班级数")
    classes_junior = _count("初中班级数")
    max_class_size_primary = _count("小学最大班额")
    max_class_size_junior = _count("初中最大班额")
    teachers_primary = _count("小学专任教师数")
    teachers_junior = _count("初中专任教师数")
    qualified_teachers_primary = _count("小学高于规定学历专任教师数")
    qualified_teachers_junior = _count("初中高于规定学历专任教师数")
    mid_title_teachers_primary = _count("小学中级及以上职称专任教师数")
    mid_title_teachers_junior = _count("初中中级及以上职称专任教师数")
    backbone_teachers_primary = _count("小学县级及以上骨干教师数")
    backbone_teachers_junior = _count("初中县级及以上骨干教师数")
    pe_art_teachers_primary = _count("小学体育、艺术专任教师数")
    pe_art_teachers_junior = _count("初中体育、艺术专任教师数")
    teaching_area = _amount("教学及辅助用房面积")
    indoor_sports_area = _amount("其中:室内体育用房面积")
    sports_area = _amount("体育运动场(馆)面积")
    equipment_value = _amount("教学仪器设备资产值")
    books = _count("图书")
    computers = _count("教学用计算机")
    multimedia_rooms = _count("网络多媒体教室")
    music_rooms = _count("音乐专用教室")
    art_rooms = _count("美术专用教室")
    music_room_min_area = _amount("最小音乐专用教室面积")
    art_room_min_area = _amount("最小美术专用教室面积")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["school_id", "year"]
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="one_statistics_per_school_year")]
        indexes = [models.Index(fields=["year", "status"])]
        verbose_name = _("年度统计")
        verbose_name_plural = _("年度统计")

    def __str__(self) -> str:
        return f"{self.school_id}/{self.year}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class StatisticsEvent(models.Model):
    """Append-only history of a school-year's statistics: saves, workflow steps, imports."""

    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        SAVE = "save", _("保存")
        SUBMIT = "submit", _("提交")
        APPROVE = "approve", _("审核通过")
        REOPEN = "reopen", _("退回修改")
        IMPORT = "import", _("导入")

    statistics = models.ForeignKey(AnnualStatistics, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {field: [old, new]}

    class Meta:
        ordering = ["statistics_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.statistics_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class ImportJob(models.Model):
    """One upload of the bureau's statistics workbook, from the check to the confirmed import.

    The file is kept (MEDIA_ROOT/imports/<sha256>) with its checksum. A Celery job checks it
    (`status`/`progress`, polled by the page) and stores the preview in `report`: per school the
    values that would change, new schools, warnings and errors by cell. Nothing is saved until a
    person confirms; the confirmed import is applied all-or-nothing and this row then records who
    confirmed it, when, and what changed (`report` as applied).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("等待检查")
        CHECKING = "checking", _("正在检查")
        CHECKED = "checked", _("待确认")
        INVALID = "invalid", _("有错误")
        REJECTED = "rejected", _("无法读取")
        APPLYING = "applying", _("正在导入")
        APPLIED = "applied", _("已导入")
        CANCELLED = "cancelled", _("已取消")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="import_jobs")
    year = models.PositiveSmallIntegerField(_("学年"))
    original_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent of the current step
    message = models.TextField(blank=True)  # why the file was refused, or what went wrong
    report = models.JSONField(default=dict, blank=True)  # importing.ImportReport.to_dict()
    reasons = models.JSONField(default=dict, blank=True)  # {school_code: {field: reason}} from the preview
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["district", "-created_at"])]
        verbose_name = _("数据导入")
        verbose_name_plural = _("数据导入")

    def __str__(self) -> str:
        return f"{self.district_id}/{self.year} {self.original_name} ({self.status})"

    @property
    def busy(self) -> bool:
        return self.status in (self.State.PENDING, self.State.CHECKING, self.State.APPLYING)
