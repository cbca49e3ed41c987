"""The audit trail in words: what each stored event means to a reader, in the active language.

Events keep machine keys (`target_save`, `students_primary`, `{"2025": 4.5}`): the API serves
them as they are. Pages, and the API beside the keys, show what this module makes of them: the
action's name (提交, 审核通过, 修改指标 …), the kind of record, each changed field's label from the
data dictionary (schools.fields) or the model that owns it, values formatted for reading (no
None, {} or dict reprs) and the person's name and role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from core.models import Role, User
from plans.metrics import METRICS
from plans.models import SECTION_FIELDS, Direction, PlanTarget, ProgressStatus, SchoolPlan
from schools.fields import AREA_TYPES, OWNERSHIPS, SCHOOL_TYPES, STAT_FIELD_BY_KEY, display_label, section_label
from schools.models import SchoolVersion

ACTIONS: dict[str, Promise] = {
    "create": pgettext_lazy("audit action", "新建"),
    "save": pgettext_lazy("audit action", "保存"),
    "submit": pgettext_lazy("audit action", "提交"),
    "resubmit": pgettext_lazy("audit action", "重新提交"),
    "approve": pgettext_lazy("audit action", "审核通过"),
    "reopen": pgettext_lazy("audit action", "退回修改"),
    "return": pgettext_lazy("audit action", "退回"),
    "import": pgettext_lazy("audit action", "导入"),
    "revise": pgettext_lazy("audit action", "修订(生成新版本)"),
    "goal_save": pgettext_lazy("audit action", "修改目标"),
    "goal_delete": pgettext_lazy("audit action", "删除目标"),
    "target_save": pgettext_lazy("audit action", "修改指标"),
    "target_delete": pgettext_lazy("audit action", "删除指标"),
    "progress_open": pgettext_lazy("audit action", "开始填报年度自评"),
    "progress_save": pgettext_lazy("audit action", "保存年度自评"),
    "progress_submit": pgettext_lazy("audit action", "提交年度自评"),
    "progress_approve": pgettext_lazy("audit action", "年度自评审核通过"),
    "progress_return": pgettext_lazy("audit action", "退回年度自评"),
    "school_create": pgettext_lazy("audit action", "新建学校"),
    "school_change": pgettext_lazy("audit action", "修改学校信息"),
    "profile_version": pgettext_lazy("audit action", "修改评估规则"),
    "current_profile": pgettext_lazy("audit action", "设定当前评估规则"),
}
# Actions whose event names a record without one yet: the change list shows only new values.
CREATIONS = {"create", "school_create"}
# A goal or target save that created it (every field went from nothing to something).
ADDED: dict[str, Promise] = {
    "goal_save": pgettext_lazy("audit action", "添加目标"),
    "target_save": pgettext_lazy("audit action", "添加指标"),
}
OBJECT_TYPES: dict[str, Promise] = {
    "statistics": _("年度统计"),
    "school": _("学校信息"),
    "plan": _("三年发展规划"),
    "progress": _("年度自评"),
    "profile": _("评估规则"),
}
# Plan events whose note names the goal or target they touched (not a reason).
NAMED_BY_NOTE = {"goal_save", "goal_delete", "target_save", "target_delete", "revise"}
GOAL_FIELDS: dict[str, Promise] = {"area": _("领域"), "title": _("目标"), "measures": _("主要措施")}
PROGRESS_PARTS: dict[str, Promise] = {"actual": _("实际值"), "status": _("达成情况"), "narrative": _("说明")}
PROFILE_FIELDS: dict[str, Promise] = {
    "current": _("当前评估规则"),
    "label": _("规则名称"),
    "name": _("规则标识"),
    "version": _("版本"),
    "indicators": _("指标"),
    "school_rule": _("学校达标规则"),
    "county_rule": _("县域判定规则"),
    "composite_thresholds": _("综合差异系数标准"),
    "section_weights": _("学段权重"),
    "subtract_indoor_sports": _("运动场地面积扣除室内体育用房"),
    "scope": _("适用范围"),
}
# Fields in the order of the data dictionary and the forms (others keep their stored order after).
ORDER: dict[str, int] = {
    k: i for i, k in enumerate((*STAT_FIELD_BY_KEY, "name", "school_type", "parent_id", "ownership", "county_run"))
}
ORDER.update({k: len(ORDER) + i for i, k in enumerate(("area_type", "closed", "title", *SECTION_FIELDS))})
LONG_TEXT = 80  # characters of a long value (a plan section) shown before "…"
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    field: str  # the stored key
    label: str
    old: str  # formatted; "" when there was no value
    new: str


@dataclass(frozen=True)
class EventView:
    event: AuditEvent
    person: str
    role: str
    action: str
    object: str
    subject: str  # the school, goal or target the event is about
    changes: list[Change]
    reason: str
    created: bool


def action_label(action: str) -> str:
    label = ACTIONS.get(action)
    return action if label is None else str(label)


def object_label(object_type: str) -> str:
    label = OBJECT_TYPES.get(object_type)
    return object_type if label is None else str(label)


def _verbose(model: Any, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def field_label(object_type: str, action: str, field: str) -> str:
    """The label of a changed field, from the data dictionary or the model that owns the field."""
    if object_type == "statistics" and field in STAT_FIELD_BY_KEY:
        return display_label(STAT_FIELD_BY_KEY[field].label)
    if object_type == "school":
        name = field.removesuffix("_id")
        return _verbose(SchoolVersion, name) if name in {f.name for f in SchoolVersion._meta.fields} else field
    if object_type == "plan":
        if action == "goal_save" and field in GOAL_FIELDS:
            return str(GOAL_FIELDS[field])
        if action == "target_save" and field in {f.name for f in PlanTarget._meta.fields}:
            return _verbose(PlanTarget, field)
        if field in (*SECTION_FIELDS, "title"):
            return _verbose(SchoolPlan, field) if field in SECTION_FIELDS else gettext("规划名称")
    if object_type == "progress":
        target, sep, part = field.rpartition(" · ")
        if sep and part in PROGRESS_PARTS:
            return f"{target} · {PROGRESS_PARTS[part]}"
        return gettext(field)  # 总体自评, 佐证材料: stored as their Chinese labels
    if object_type == "profile" and field in PROFILE_FIELDS:
        return str(PROFILE_FIELDS[field])
    return field


def _number(value: float | int | Decimal) -> str:
    try:
        exact = Decimal(str(value)).normalize()
    except InvalidOperation:
        return str(value)
    if exact == exact.to_integral_value():
        exact = exact.quantize(Decimal(1))
    return number_format(exact)


def _choice(mapping: Mapping[str, str], value: str) -> str:
    return display_label(mapping[value]) if value in mapping else value


def _school_names(ids: Iterable[int]) -> dict[int, str]:
    """Each school's newest name (a school's name lives in its versions)."""
    rows = SchoolVersion.objects.filter(school_id__in=set(ids)).order_by("school_id", "valid_from")
    return dict(rows.values_list("school_id", "name"))


def format_value(field: str, value: Any, *, schools: Mapping[int, str] | None = None) -> str:
    """A stored value as a reader sees it: "" for nothing, numbers without trailing zeros, codes as
    their labels, year values as "2025 年:4.5", long texts cut."""
    if value is None or value == "" or value == {} or value == [] or value == "None":
        return ""
    name = field.rpartition(" · ")[2]
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if name == "parent_id":
        return (schools or {}).get(int(value), str(value)) if str(value).isdecimal() else str(value)
    if isinstance(value, str):
        choices: dict[str, Mapping[str, Any]] = {
            "school_type": SCHOOL_TYPES,
            "ownership": OWNERSHIPS,
            "area_type": AREA_TYPES,
        }
        if name in choices:
            return _choice(choices[name], value)
        if name == "direction" and value in Direction.values:
            return str(Direction(value).label)
        if name == "status" and value in ProgressStatus.values:
            return str(ProgressStatus(value).label)
        if name == "level" and value in ("primary", "junior", "senior"):
            label = section_label(value)
            return label[:1].upper() + label[1:]
        if name == "unit":
            return display_label(value)
        if name == "metric" and value in METRICS:
            return display_label(METRICS[value].label)
        if name in ("baseline", "actual") or field in STAT_FIELD_BY_KEY:
            try:
                return _number(Decimal(value))
            except InvalidOperation:
                return value
        text = " ".join(value.split())
        return text if len(text) <= LONG_TEXT else text[:LONG_TEXT] + "…"
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, Mapping):
        if all(str(k).isdecimal() and len(str(k)) == 4 for k in value):  # values by school year
            parts = [
                gettext("%(year)s 年:%(value)s") % {"year": k, "value": format_value("", v)}
                for k, v in sorted(value.items())
            ]
            return pgettext("list separator", "、").join(parts)
        return gettext("(%(n)s 项设置)") % {"n": len(value)}
    if isinstance(value, list):
        return gettext("(%(n)s 项)") % {"n": len(value)}
    return str(value)


def person_of(event: AuditEvent, users: Mapping[int, User]) -> tuple[str, str]:
    """(name, role) of who made the change; the stored username when the account is gone, and
    "系统" for changes made by a command (seeding, imports from the command line)."""
    user = users.get(event.user_id) if event.user_id else None
    if user is not None:
        role = str(Role(user.role).label) if user.role in Role.values else ""
        return user.display_name or user.username, role
    if event.username:
        return event.username, ""
    return gettext("系统"), ""


def describe(events: Iterable[AuditEvent]) -> list[EventView]:
    """Each event in words, reading the people and schools the rows name in two queries."""
    rows = list(events)
    users = {u.pk: u for u in User.objects.filter(pk__in={e.user_id for e in rows if e.user_id})}
    parents = [
        int(v)
        for e in rows
        if e.object_type == "school" and "parent_id" in e.changes
        for v in e.changes["parent_id"]
        if v is not None and str(v).isdecimal()
    ]
    names = _school_names([*parents, *(e.school_id for e in rows if e.school_id)])
    views = []
    for event in rows:
        person, role = person_of(event, users)
        added = event.action in ADDED and _all_new(event)
        created = event.action in CREATIONS or added
        changes = [
            Change(
                field=key,
                label=field_label(event.object_type, event.action, key),
                old="" if created else format_value(key, pair[0], schools=names),
                new=format_value(key, pair[1], schools=names),
            )
            for key, pair in event.changes.items()
            if isinstance(pair, list) and len(pair) == 2
        ]
        changes = sorted((c for c in changes if c.old != c.new), key=lambda c: ORDER.get(c.field, len(ORDER)))
        by_note = event.object_type == "plan" and event.action in NAMED_BY_NOTE
        school = names.get(event.school_id, "") if event.school_id else ""
        subject = event.reason if by_note else ""
        views.append(
            EventView(
                event=event,
                person=person,
                role=role,
                action=str(ADDED[event.action]) if added else action_label(event.action),
                object=object_label(event.object_type),
                subject=" · ".join(s for s in (school, subject) if s),
                changes=changes,
                reason="" if by_note else _reason(event),
                created=created,
            )
        )
    return views


def _reason(event: AuditEvent) -> str:
    """The reason given; a statistics save's per-field reasons ("books: …" lines) by their labels."""
    if event.object_type != "statistics":
        return event.reason
    lines = []
    for line in event.reason.splitlines():
        key, sep, why = line.partition(": ")
        lines.append(
            f"{field_label('statistics', event.action, key)}:{why}" if sep and key in STAT_FIELD_BY_KEY else line
        )
    return "\n".join(lines)


def _all_new(event: AuditEvent) -> bool:
    """A goal or target save that created it: its name, and every field, went from nothing to something."""
    named_by = "title" if event.action == "goal_save" else "name"
    return named_by in event.changes and all(
        isinstance(p, list) and p and p[0] in (None, "", {}, "None") for p in event.changes.values()
    )


__all__ = ["EMPTY", "Change", "EventView", "action_label", "describe", "object_label"]
