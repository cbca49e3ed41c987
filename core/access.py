"""Who may see and change what: the one place for access rules.

Every page, form, task and API call goes through these helpers. Two questions are asked:
- scope: which rows can this user see at all? (`*_scope(user)` querysets). An object outside the
  scope answers 404, the same as a missing one, so nothing leaks about its existence.
- action: may this user do this to an object they can see? (`can(user, action, obj)`). A
  visible object with a forbidden action answers 403.

Roles: administrator (everything); bureau staff (their district: registry, statistics, review);
principal (their school: read, enter and submit statistics); inspector (read-only, assigned
districts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from core.models import Role
from schools.models import AnnualStatistics, District, School

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from core.models import User

    AnyUser = User | AnonymousUser

Action = Literal["view", "edit_statistics", "submit", "review", "manage", "configure"]


def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or getattr(user, "role", None) == Role.ADMIN))


def role_of(user: AnyUser) -> str | None:
    if not user.is_authenticated:
        return None
    return Role.ADMIN if is_admin(user) else str(user.role)  # type: ignore[union-attr]


def district_scope(user: AnyUser) -> QuerySet[District]:
    """Districts the user can see."""
    role = role_of(user)
    if role == Role.ADMIN:
        return District.objects.all()
    if role == Role.BUREAU:
        return District.objects.filter(pk=user.district_id)  # type: ignore[union-attr]
    if role == Role.INSPECTOR:
        return District.objects.filter(inspectors=user)
    if role == Role.PRINCIPAL and user.school_id:  # type: ignore[union-attr]
        return District.objects.filter(schools=user.school_id)  # type: ignore[union-attr]
    return District.objects.none()


def school_scope(user: AnyUser) -> QuerySet[School]:
    """Schools the user can see."""
    role = role_of(user)
    if role == Role.ADMIN:
        return School.objects.all()
    if role == Role.PRINCIPAL:
        return School.objects.filter(pk=user.school_id)  # type: ignore[union-attr]
    return School.objects.filter(district__in=district_scope(user))


def statistics_scope(user: AnyUser) -> QuerySet[AnnualStatistics]:
    return AnnualStatistics.objects.filter(school__in=school_scope(user))


def can(user: AnyUser, action: Action, district: District, school: School | None = None) -> bool:
    """May `user` do `action` in `district` (and to `school`)? Assumes the object is in scope."""
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    if action == "view":
        return role in (Role.BUREAU, Role.INSPECTOR, Role.PRINCIPAL)
    if role == Role.BUREAU:
        # Bureau staff run their county; changing rule profiles is the administrator's.
        return action != "configure" and user.district_id == district.pk  # type: ignore[union-attr]
    if role == Role.PRINCIPAL:
        return (
            action in ("edit_statistics", "submit") and school is not None and user.school_id == school.pk  # type: ignore[union-attr]
        )
    return False


def require(user: AnyUser, action: Action, district: District, school: School | None = None) -> None:
    if not can(user, action, district, school):
        raise PermissionDenied(_("您没有权限执行此操作 / You may not do this"))


def get_district_for_user(user: AnyUser, code: str, action: Action = "view") -> District:
    district = district_scope(user).filter(code=code).first()
    if district is None:
        raise Http404(_("没有找到该区县 / District not found"))
    require(user, action, district)
    return district


def get_school_for_user(user: AnyUser, code: str, action: Action = "view") -> School:
    school = school_scope(user).select_related("district").filter(code=code).first()
    if school is None:
        raise Http404(_("没有找到该学校 / School not found"))
    require(user, action, school.district, school)
    return school
