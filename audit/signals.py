"""Where the audit trail listens. Each domain already writes its own event row in the same
transaction as the change (StatisticsEvent, SchoolVersion, PlanEvent, RuleProfileVersion); the
audit trail mirrors each one as it is created, so no path into the data can skip it."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save

from audit.services import field_changes, record

SCHOOL_FIELDS = ("name", "school_type", "parent_id", "ownership", "county_run", "area_type", "closed")


def statistics_event(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    stats = instance.statistics
    record(
        user=instance.user,
        action=instance.action,
        object_type="statistics",
        object_id=stats.pk,
        district=stats.school.district_id,
        school=stats.school_id,
        year=stats.year,
        summary=f"{stats.school.code} {stats.year} {instance.get_action_display()}",
        changes=instance.changes,
        reason=instance.reason,
    )


def school_version_before(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Remember a version's stored values before it is overwritten (a change within one year)."""
    stored = type(instance).objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = {f: getattr(stored, f) for f in SCHOOL_FIELDS} if stored else None


def school_version(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    previous = (
        type(instance)
        .objects.filter(school=instance.school_id, valid_from__lt=instance.valid_from)
        .order_by("-valid_from")
        .first()
    )
    before = getattr(instance, "_audit_before", None)
    if before is None:
        before = {f: getattr(previous, f) for f in SCHOOL_FIELDS} if previous else {}
    after = {f: getattr(instance, f) for f in SCHOOL_FIELDS}
    record(
        user=instance.created_by,
        action="school_create" if previous is None and created else "school_change",
        object_type="school",
        object_id=instance.school.code,
        district=instance.school.district_id,
        school=instance.school_id,
        year=instance.valid_from,
        summary=f"{instance.school.code} {instance.name}",
        changes=field_changes(before, after),
        reason=instance.note,
    )


def plan_event(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    plan = instance.plan
    record(
        user=instance.user,
        action=instance.action,
        object_type="progress" if instance.progress_year else "plan",
        object_id=plan.pk,
        district=plan.school.district_id,
        school=plan.school_id,
        year=instance.progress_year or plan.start_year,
        summary=f"{plan.title} v{plan.version}",
        changes=instance.changes,
        reason=instance.note,
    )


def profile_version(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    previous = instance.profile.versions.filter(version__lt=instance.version).order_by("-version").first()
    before = previous.definition if previous else {}
    record(
        user=instance.created_by,
        action="profile_version",
        object_type="profile",
        object_id=instance.profile.name,
        summary=f"{instance.profile.name} v{instance.version}",
        changes=field_changes(before, instance.definition),
        reason=instance.note,
    )


def connect() -> None:
    from indicators.models import RuleProfileVersion
    from plans.models import PlanEvent
    from schools.models import SchoolVersion, StatisticsEvent

    post_save.connect(statistics_event, sender=StatisticsEvent, dispatch_uid="audit-statistics")
    pre_save.connect(school_version_before, sender=SchoolVersion, dispatch_uid="audit-school-before")
    post_save.connect(school_version, sender=SchoolVersion, dispatch_uid="audit-school")
    post_save.connect(plan_event, sender=PlanEvent, dispatch_uid="audit-plan")
    post_save.connect(profile_version, sender=RuleProfileVersion, dispatch_uid="audit-profile")
