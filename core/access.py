"""Who may see and change what: the one place for access rules.

Every page, form, task and API call goes through these helpers. Two questions are asked:
- scope: which rows can this user see at all? (`*_scope(user)` querysets). An object outside the
  scope answers 404, the same as a missing one, so nothing leaks about its existence.
- action: may this user do this to an object they can see? (`can(user, action, obj)`). A
  visible object with a forbidden action answers 403.

Roles: administrator (everything); bureau staff (their district: registry, statistics, review,
the county's work summary); principal (their school: read, enter and submit statistics, write
the school's plan and summary); inspector and city supervision office (read-only, assigned
districts, compared side by side on the multi-county overview).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from core.models import Role, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser

Action = Literal[
    "view",
    "edit_statistics",
    "submit",
    "review",
    "manage",
    "configure",
    "edit_plan",
    "view_all",
    "edit_school_summary",
    "compare",
    "view_scenarios",
    "edit_scenarios",
]
# Actions that belong to the school itself: its principal writes the plan, the bureau reviews it.
SCHOOL_ACTIONS = ("edit_statistics", "submit", "edit_plan", "edit_school_summary")
# What the school writes in its own words (its plan, its annual self-assessment summary): the
# bureau reads and reviews these, it does not write them.
SCHOOL_WRITTEN = ("edit_plan", "edit_school_summary")
# Read-only roles assigned to counties one by one (User.inspected_districts).
ASSIGNED_ROLES = (Role.INSPECTOR, Role.CITY)
# Actions on no district in particular: the rule profiles and checklists every county uses, and
# the records of every district at once (the whole audit trail). The administrator's alone.
GLOBAL_ACTIONS = ("configure", "view_all")
# What-if scenarios on a county's figures (the scenarios app): its bureau staff and its inspectors
# read them; the bureau writes them (the bureau rule below). The city office does not see them.
SCENARIO_READERS = (Role.BUREAU, Role.INSPECTOR)


class Row(Protocol):
    """What the rules read of a district or a school: which one it is."""

    @property
    def pk(self) -> Any: ...


def _all(label: str) -> QuerySet[Any]:
    """Every row of a domain model, by label ("schools.District").

    core sits below the domain apps and imports none of them (the import graph runs one way). The
    rules still need their tables, so the models are resolved when a rule runs, once every app is
    loaded. Their querysets and objects are typed Any here, as core cannot name the classes; the
    callers annotate what they get (`district: District = get_district_for_user(...)`).
    """
    rows: QuerySet[Any] = apps.get_model(label).objects.all()
    return rows


def logged_in(user: AnyUser) -> User | None:
    """The logged-in User, or None for anonymous visitors."""
    return user if isinstance(user, User) and user.is_authenticated else None


def is_admin(user: AnyUser) -> bool:
    person = logged_in(user)
    return person is not None and (person.is_superuser or person.role == Role.ADMIN)


def role_of(user: AnyUser) -> str | None:
    person = logged_in(user)
    if person is None:
        return None
    return str(Role.ADMIN) if is_admin(person) else str(person.role)


def district_scope(user: AnyUser) -> QuerySet[Any]:
    """Districts the user can see (schools.District)."""
    person, role = logged_in(user), role_of(user)
    districts = _all("schools.District")
    if person is None:
        return districts.none()
    if role == Role.ADMIN:
        return districts
    if role == Role.BUREAU and person.district_id is not None:
        return districts.filter(pk=person.district_id)
    if role in ASSIGNED_ROLES:
        return districts.filter(inspectors=person)
    # A principal's scope is their school (school_scope), not the district: district pages list
    # every school's figures, plans and progress, which are outside that scope.
    return districts.none()


def school_scope(user: AnyUser) -> QuerySet[Any]:
    """Schools the user can see (schools.School)."""
    person, role = logged_in(user), role_of(user)
    schools = _all("schools.School")
    if person is None:
        return schools.none()
    if role == Role.ADMIN:
        return schools
    if role == Role.PRINCIPAL:
        if person.school_id is None:
            return schools.none()
        return schools.filter(pk=person.school_id)
    return schools.filter(district__in=district_scope(person))


def statistics_scope(user: AnyUser) -> QuerySet[Any]:
    """Annual statistics the user can see (schools.AnnualStatistics): those of their schools."""
    return _all("schools.AnnualStatistics").filter(school__in=school_scope(user))


def own_school(user: AnyUser) -> Any:
    """The school a principal belongs to (schools.School), where their pages start and whose
    plans they draw up; None for every other role."""
    person = logged_in(user)
    if person is None or role_of(person) != Role.PRINCIPAL:
        return None
    return person.school


def can(user: AnyUser, action: Action, district: Row | None = None, school: Row | None = None) -> bool:
    """May `user` do `action` in `district` (and to `school`)? Assumes the object is in scope.

    The global actions (GLOBAL_ACTIONS) are asked without a district.
    """
    person, role = logged_in(user), role_of(user)
    if person is None:
        return False
    if role == Role.ADMIN:
        return True
    if action in GLOBAL_ACTIONS:
        return False
    if action == "view":
        return role in (Role.BUREAU, Role.INSPECTOR, Role.CITY, Role.PRINCIPAL)
    if action == "view_scenarios":
        return role in SCENARIO_READERS
    if action == "compare":
        # The multi-county overview: for those who follow several counties (their own scope).
        return role in ASSIGNED_ROLES
    if role == Role.BUREAU:
        # Bureau staff run their county; plans and school summaries are the schools' own words.
        return action not in SCHOOL_WRITTEN and district is not None and person.district_id == district.pk
    if role == Role.PRINCIPAL:
        return action in SCHOOL_ACTIONS and school is not None and person.school_id == school.pk
    return False


def require(user: AnyUser, action: Action, district: Row | None = None, school: Row | None = None) -> None:
    if not can(user, action, district, school):
        raise PermissionDenied(_("您没有权限执行此操作 / You may not do this"))


def get_district_for_user(user: AnyUser, code: str, action: Action = "view") -> Any:
    """A district (schools.District) by code: 404 outside the user's scope, 403 for a forbidden action."""
    district = district_scope(user).filter(code=code).first()
    if district is None:
        raise Http404(_("没有找到该区县 / District not found"))
    require(user, action, district)
    return district


def get_school_for_user(user: AnyUser, code: str, action: Action = "view") -> Any:
    """A school (schools.School) by code, with its district: 404 outside the scope, 403 for a
    forbidden action."""
    school = school_scope(user).select_related("district").filter(code=code).first()
    if school is None:
        raise Http404(_("没有找到该学校 / School not found"))
    require(user, action, school.district, school)
    return school


def get_plan_for_user(user: AnyUser, pk: int, action: Action = "view") -> Any:
    """A school plan (plans.SchoolPlan) through its school's scope (404 outside it, 403 for a
    forbidden action)."""
    plan = (
        _all("plans.SchoolPlan").filter(pk=pk, school__in=school_scope(user)).select_related("school__district").first()
    )
    if plan is None:
        raise Http404(_("没有找到该规划 / Plan not found"))
    require(user, action, plan.school.district, plan.school)
    return plan


def get_scenario_for_user(user: AnyUser, pk: int, action: Action = "view_scenarios") -> Any:
    """A what-if scenario (scenarios.Scenario) through its district's scope (404 outside it, 403 for
    a forbidden action: reading is `view_scenarios`, changing `edit_scenarios`)."""
    scenario = (
        _all("scenarios.Scenario").filter(pk=pk, district__in=district_scope(user)).select_related("district").first()
    )
    if scenario is None:
        raise Http404(_("没有找到该模拟方案 / Scenario not found"))
    require(user, action, scenario.district)
    return scenario


def principals_of(school_id: int) -> QuerySet[User]:
    """The active principals of a school (who hears about its plan)."""
    return User.objects.filter(role=Role.PRINCIPAL, school=school_id, is_active=True)


def bureau_staff_of(district_id: int) -> QuerySet[User]:
    """The active bureau staff of a district (who hears about its schools' plans)."""
    return User.objects.filter(role=Role.BUREAU, district=district_id, is_active=True)


def acting_user(request: HttpRequest | Any) -> User:  # a Django or DRF request
    """The logged-in user behind a request (views are @login_required; this makes it explicit)."""
    person = logged_in(request.user)
    if person is None:
        raise PermissionDenied(_("请先登录 / Please log in"))
    return person
