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

from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from core.models import Role, User
from schools.models import AnnualStatistics, District, School

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from plans.models import SchoolPlan

    AnyUser = User | AnonymousUser

Action = Literal["view", "edit_statistics", "submit", "review", "manage", "configure", "edit_plan"]
# Actions that belong to the school itself: its principal writes the plan, the bureau reviews it.
SCHOOL_ACTIONS = ("edit_statistics", "submit", "edit_plan")


def _person(user: AnyUser) -> User | None:
    """The logged-in User, or None for anonymous visitors."""
    return user if isinstance(user, User) and user.is_authenticated else None


def is_admin(user: AnyUser) -> bool:
    person = _person(user)
    return person is not None and (person.is_superuser or person.role == Role.ADMIN)


def role_of(user: AnyUser) -> str | None:
    person = _person(user)
    if person is None:
        return None
    return str(Role.ADMIN) if is_admin(person) else str(person.role)


def district_scope(user: AnyUser) -> QuerySet[District]:
    """Districts the user can see."""
    person, role = _person(user), role_of(user)
    if person is None:
        return District.objects.none()
    if role == Role.ADMIN:
        return District.objects.all()
    if role == Role.BUREAU and person.district_id is not None:
        return District.objects.filter(pk=person.district_id)
    if role == Role.INSPECTOR:
        return District.objects.filter(inspectors=person)
    # A principal's scope is their school (school_scope), not the district: district pages list
    # every school's figures, plans and progress, which are outside that scope.
    return District.objects.none()


def school_scope(user: AnyUser) -> QuerySet[School]:
    """Schools the user can see."""
    person, role = _person(user), role_of(user)
    if person is None:
        return School.objects.none()
    if role == Role.ADMIN:
        return School.objects.all()
    if role == Role.PRINCIPAL:
        if person.school_id is None:
            return School.objects.none()
        return School.objects.filter(pk=person.school_id)
    return School.objects.filter(district__in=district_scope(person))


def statistics_scope(user: AnyUser) -> QuerySet[AnnualStatistics]:
    return AnnualStatistics.objects.filter(school__in=school_scope(user))


def can(user: AnyUser, action: Action, district: District, school: School | None = None) -> bool:
    """May `user` do `action` in `district` (and to `school`)? Assumes the object is in scope."""
    person, role = _person(user), role_of(user)
    if person is None:
        return False
    if role == Role.ADMIN:
        return True
    if action == "view":
        return role in (Role.BUREAU, Role.INSPECTOR, Role.PRINCIPAL)
    if role == Role.BUREAU:
        # Bureau staff run their county; changing rule profiles is the administrator's.
        return action not in ("configure", "edit_plan") and person.district_id == district.pk
    if role == Role.PRINCIPAL:
        return action in SCHOOL_ACTIONS and school is not None and person.school_id == school.pk
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


def get_plan_for_user(user: AnyUser, pk: int, action: Action = "view") -> SchoolPlan:
    """A school plan through its school's scope (404 outside it, 403 for a forbidden action)."""
    from plans.models import SchoolPlan

    plan = SchoolPlan.objects.filter(pk=pk, school__in=school_scope(user)).select_related("school__district").first()
    if plan is None:
        raise Http404(_("没有找到该规划 / Plan not found"))
    require(user, action, plan.school.district, plan.school)
    return plan


def acting_user(request: HttpRequest | Any) -> User:  # a Django or DRF request
    """The logged-in user behind a request (views are @login_required; this makes it explicit)."""
    person = _person(request.user)
    if person is None:
        raise PermissionDenied(_("请先登录 / Please log in"))
    return person
