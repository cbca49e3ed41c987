"""The planner's stored data: a district's unit-cost table and the plans a bureau adopted."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from planner.costs import COST_KEYS, DEFAULT_COSTS, UnitCosts
from schools.models import District


class UnitCost(models.Model):
    """A district's own unit costs (元); a district without a row uses `planner.costs.DEFAULT_COSTS`."""

    district = models.OneToOneField(District, on_delete=models.CASCADE, related_name="unit_cost")
    teaching_area_m2 = models.DecimalField(
        _("教学及辅助用房(元/m²)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    sports_hall_m2 = models.DecimalField(
        _("室内体育馆(元/m²)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    sports_ground_m2 = models.DecimalField(
        _("室外运动场地(元/m²)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    equipment_yuan = models.DecimalField(
        _("教学仪器设备(元/元)"), max_digits=14, decimal_places=4, validators=[MinValueValidator(0)]
    )
    multimedia_room = models.DecimalField(
        _("网络多媒体教室(元/间)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    computer = models.DecimalField(
        _("教学用计算机(元/台)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    book = models.DecimalField(_("图书(元/册)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    teacher_primary_year = models.DecimalField(
        _("新增小学专任教师(元/人·年)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    teacher_junior_year = models.DecimalField(
        _("新增初中专任教师(元/人·年)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    transfer = models.DecimalField(
        _("教师交流轮岗(元/人)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    backbone_training = models.DecimalField(
        _("培训认定骨干教师(元/人)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("单价表")
        verbose_name_plural = _("单价表")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    teaching_area_m2__gte=0,
                    sports_hall_m2__gte=0,
                    sports_ground_m2__gte=0,
                    equipment_yuan__gte=0,
                    multimedia_room__gte=0,
                    computer__gte=0,
                    book__gte=0,
                    teacher_primary_year__gte=0,
                    teacher_junior_year__gte=0,
                    transfer__gte=0,
                    backbone_training__gte=0,
                ),
                name="unit_costs_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.district} unit costs"

    def costs(self) -> UnitCosts:
        return UnitCosts(**{key: float(getattr(self, key)) for key in COST_KEYS})


def default_values() -> dict[str, float]:
    return DEFAULT_COSTS.as_dict()


class AdoptedPlan(models.Model):
    """A plan a bureau adopted for a district-year: what the planner proposed (its JSON, with the
    schedule) as it was adopted. The county report's appendix 整改方案 prints the newest one."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="adopted_plans")
    year = models.PositiveSmallIntegerField(_("数据学年"))
    profile_name = models.CharField(max_length=64)
    start_year = models.PositiveSmallIntegerField(_("计划起始学年"))
    budgets = models.JSONField(_("各年预算"), default=list)
    content = models.JSONField(_("规划内容"))  # PlanResult.to_json() and "schedule"
    cost_yuan = models.DecimalField(_("规划费用"), max_digits=16, decimal_places=2)
    adopted_at = models.DateTimeField(auto_now_add=True)
    adopted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-adopted_at", "-pk"]
        verbose_name = _("采纳的整改方案")
        verbose_name_plural = _("采纳的整改方案")

    def __str__(self) -> str:
        return f"{self.district} {self.year} {self.profile_name}"
