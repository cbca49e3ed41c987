"""Users and their roles. Row scope for every role lives in core/access.py."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    BUREAU = "bureau", _("教育局工作人员")
    PRINCIPAL = "principal", _("校长")
    INSPECTOR = "inspector", _("督学")
    CITY = "city", _("市级教育督导室")


class User(AbstractUser):
    """A person who logs in. The role decides what they may do; the links decide where.

    - bureau staff: `district` (their county bureau)
    - principal: `school`
    - inspector: `inspected_districts` (read-only)
    - city supervision office (市级教育督导室): `inspected_districts`, the counties it follows
      towards their acceptance inspections (read-only, compared side by side)
    - administrator: everything
    """

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.BUREAU)
    district = models.ForeignKey(
        "schools.District",
        verbose_name=_("所属区县"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    school = models.ForeignKey(
        "schools.School",
        verbose_name=_("所属学校"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="principals",
    )
    inspected_districts = models.ManyToManyField(
        "schools.District", verbose_name=_("督导区县"), blank=True, related_name="inspectors"
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username
