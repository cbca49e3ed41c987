"""The kinds of change a clerk makes to a scenario, turned into field changes (pure: no database).

An edit is what a person means ("add 800 m² of sports ground at school X", "move two 骨干 teachers
of the primary section from X to Y", "merge teaching point P into its parent"); `apply_edit`
turns it into `indicators.whatif.Change`s of data-dictionary keys, on top of the scenario's
earlier changes, and refuses what cannot be (an unknown school, a negative amount, moving more
teachers than a school has, a move between schools of different levels) with a message in the
user's language. Nothing here reads or writes the database: the caller passes the county's
records (indicators.selectors.county_inputs) and the scenario's changes.

The meaning of each kind (the README repeats it):

- ``facility``: add to a school's teaching or sports area, equipment value, multimedia rooms,
  books or computers (facilities are only ever added here).
- ``hire``: new teachers of a level: the section's 专任教师数 and, for a kind other than plain
  teachers, that kind's count (高于规定学历 / 骨干 / 体育艺术 / 中级职称) rise by the number.
- ``designate``: teachers the school already has become of a kind (骨干 through training, a
  degree completed): only the kind's count rises, never above the section's teachers.
- ``move`` (交流轮岗): teachers of a level and kind leave one school for another that teaches the
  same level: the kind's count and the section's teachers fall at one school and rise at the
  other (at the school they leave, any other kind's count above its new total is cut to it).
- ``close_point`` / ``merge_point``: a teaching point's students, classes and teachers go to the
  school that takes them (its parent unless another is named); a merge brings its facilities
  too, a closure leaves them behind. The point is left with no students (out of every CV).
- ``set``: any figure of the statistics set to a value; ``undo``: a school's figure back to the
  county's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from indicators.formulas import FACILITY_FIELDS, SchoolRecord
from indicators.whatif import Change
from schools.fields import STAT_FIELD_BY_KEY, STAT_KEYS, TYPE_SECTIONS, display_label, section_label

KINDS: Final = ("facility", "hire", "designate", "move", "close_point", "merge_point", "set", "undo")
LEVELS: Final = ("primary", "junior")
# What may be added as a facility (the issue: teaching or sports area, equipment, multimedia rooms;
# books and computers for the 2012 profile).
FACILITY_KEYS: Final = (
    "teaching_area",
    "sports_area",
    "equipment_value",
    "multimedia_rooms",
    "books",
    "computers",
)
# Teacher kinds: the key prefix of their sectioned count ("teachers" is the section's total).
TEACHER_KINDS: Final = {
    "teachers": gettext_noop("专任教师"),
    "qualified_teachers": gettext_noop("高于规定学历教师"),
    "backbone_teachers": gettext_noop("骨干教师"),
    "pe_art_teachers": gettext_noop("体育、艺术教师"),
    "mid_title_teachers": gettext_noop("中级职称教师"),
}
SUB_KINDS: Final = tuple(k for k in TEACHER_KINDS if k != "teachers")
# What follows a teaching point's students to the school that takes it.
POINT_PEOPLE: Final = ("students_primary", "classes_primary", *(f"{k}_primary" for k in TEACHER_KINDS))
POINT_FACILITIES: Final = (*FACILITY_FIELDS, "music_rooms", "art_rooms")  # the engine's, and the special rooms

UNKNOWN_KIND = _("未知的修改类型:%(kind)s")
UNKNOWN_SCHOOL = _("本县该学年没有学校 %(code)s")
UNKNOWN_FIELD = _("%(field)s 不是统计数据项")
NOT_A_FACILITY = _("只能增加教学及辅助用房、体育运动场馆、仪器设备、多媒体教室、图书或计算机,不能增加 %(field)s")
NOT_POSITIVE = _("数量必须大于 0")
NEGATIVE = _("数值不能为负数")
NOT_WHOLE = _("%(label)s必须是整数")
NOT_A_NUMBER = _("请填写数字")
UNKNOWN_LEVEL = _("请选择学段(小学或初中)")
UNKNOWN_TEACHER_KIND = _("未知的教师类别:%(kind)s")
NO_SECTION = _("%(school)s 没有%(level)s学段")
MOVE_LEVELS = _("交流轮岗只能在同一学段的学校之间进行:%(school)s 没有%(level)s学段")
SAME_SCHOOL = _("调出学校和调入学校不能是同一所学校")
TOO_MANY = _("%(school)s %(level)s只有 %(have)s 名%(kind)s,不能调出 %(count)s 名")
ABOVE_TEACHERS = _("%(school)s %(level)s的%(kind)s将达到 %(after)s 名,超过专任教师数 %(teachers)s 名")
NOT_REPORTED = _("%(school)s 的%(label)s未填报,不能在其上增减;请先用“设定数值”填入")
NOT_A_POINT = _("%(school)s 不是教学点")
NO_RECEIVER = _("教学点 %(school)s 没有所属学校,请指定接收学生的学校")
RECEIVER_NOT_PRIMARY = _("接收学校 %(school)s 没有小学学段")
POINT_CLOSED = _("教学点 %(school)s 已没有学生,无需再撤并")
NOTHING_TO_UNDO = _("%(school)s 的%(label)s没有修改,无需恢复")
TOO_LARGE = _("数值过大(不能超过 %(limit)s)")
# No statistics figure comes near this (a county's equipment is worth well under 10¹¹ 元).
MAX_FIGURE: Final = 1e12


@dataclass(frozen=True)
class Edit:
    """One change a person asks for; which fields matter depends on `kind` (see the module)."""

    kind: str
    school_code: str = ""
    field: str = ""  # facility, set, undo
    amount: float | None = None  # facility: how much to add; set: the figure itself
    level: str = ""  # hire, designate, move
    teacher_kind: str = ""  # hire, designate, move: a key of TEACHER_KINDS
    count: int | None = None  # hire, designate, move
    to_school_code: str = ""  # move: where the teachers go; close/merge: who takes the students

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Edit:
        """An edit from posted or JSON data (strings or numbers); amounts are checked later."""

        def text(key: str) -> str:
            return str(data.get(key) or "").strip()

        def number(key: str) -> float | None:
            raw = data.get(key)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                return None
            if isinstance(raw, bool):
                raise ValidationError(NOT_A_NUMBER, code="number")
            try:
                value = float(str(raw).replace(",", "").strip())
            except ValueError as exc:
                raise ValidationError(NOT_A_NUMBER, code="number") from exc
            if value != value or value in (float("inf"), float("-inf")):
                raise ValidationError(NOT_A_NUMBER, code="number")
            return value

        count = number("count")
        if count is not None and count != int(count):
            raise ValidationError(NOT_WHOLE % {"label": _("教师人数")}, code="whole")
        return cls(
            kind=text("kind"),
            school_code=text("school_code"),
            field=text("field"),
            amount=number("amount"),
            level=text("level"),
            teacher_kind=text("teacher_kind"),
            count=None if count is None else int(count),
            to_school_code=text("to_school_code"),
        )


class Draft:
    """The county's figures with a scenario's changes, while an edit is worked out."""

    def __init__(self, records: Sequence[SchoolRecord], changes: Iterable[Change]) -> None:
        self.records = {r.school_code: r for r in records}
        self.changed: dict[tuple[str, str], float | None] = {}
        for change in changes:
            self.changed[(change.school_code, change.field)] = change.to_value

    def school(self, code: str) -> SchoolRecord:
        record = self.records.get(code)
        if record is None:
            raise ValidationError(UNKNOWN_SCHOOL % {"code": code or "—"}, code="unknown_school")
        return record

    def original(self, code: str, field: str) -> float | None:
        return self.records[code].stats.get(field)

    def value(self, code: str, field: str) -> float | None:
        key = (code, field)
        return self.changed[key] if key in self.changed else self.original(code, field)

    def put(self, code: str, field: str, value: float | None) -> None:
        if value is not None and not (abs(value) <= MAX_FIGURE):  # also NaN and ±inf
            raise ValidationError(TOO_LARGE % {"limit": f"{MAX_FIGURE:,.0f}"}, code="too_large")
        self.changed[(code, field)] = value

    def add(self, code: str, field: str, amount: float) -> None:
        current = self.value(code, field)
        if current is None:
            raise ValidationError(
                NOT_REPORTED % {"school": name_of(self.records[code]), "label": field_label(field)},
                code="not_reported",
            )
        after = current + amount
        if after < 0:
            raise ValidationError(NEGATIVE, code="negative")
        self.put(code, field, after)

    def changes(self) -> list[Change]:
        """Every change still differing from the county's figure, in the order first made."""
        return [
            Change(code, field, self.original(code, field), to)
            for (code, field), to in self.changed.items()
            if to != self.original(code, field)
        ]


def name_of(record: SchoolRecord) -> str:
    return str(_("%(name)s(%(code)s)") % {"name": record.school_name, "code": record.school_code})


def field_label(field: str) -> str:
    found = STAT_FIELD_BY_KEY.get(field)
    return display_label(found.label) if found else field


def kind_label(kind: str) -> str:
    return str(_(TEACHER_KINDS[kind])) if kind in TEACHER_KINDS else kind


def _teaches(record: SchoolRecord, level: str) -> bool:
    return level in TYPE_SECTIONS.get(record.school_type, ())


def _positive(amount: float | None) -> float:
    if amount is None or not amount > 0:  # also NaN
        raise ValidationError(NOT_POSITIVE, code="not_positive")
    if not amount <= MAX_FIGURE:
        raise ValidationError(TOO_LARGE % {"limit": f"{MAX_FIGURE:,.0f}"}, code="too_large")
    return amount


def _whole(field: str, amount: float) -> None:
    found = STAT_FIELD_BY_KEY.get(field)
    if found is not None and found.integer and amount != int(amount):
        raise ValidationError(NOT_WHOLE % {"label": field_label(field)}, code="whole")


def _level(edit: Edit) -> str:
    if edit.level not in LEVELS:
        raise ValidationError(UNKNOWN_LEVEL, code="level")
    return edit.level


def _teacher_kind(edit: Edit, allowed: Sequence[str]) -> str:
    if edit.teacher_kind not in allowed:
        raise ValidationError(UNKNOWN_TEACHER_KIND % {"kind": edit.teacher_kind or "—"}, code="teacher_kind")
    return edit.teacher_kind


def _count(edit: Edit) -> int:
    return int(_positive(None if edit.count is None else float(edit.count)))


def _section(draft: Draft, code: str, level: str, message: Any = NO_SECTION) -> SchoolRecord:
    record = draft.school(code)
    if not _teaches(record, level):
        raise ValidationError(message % {"school": name_of(record), "level": section_label(level)}, code="level")
    return record


def _facility(draft: Draft, edit: Edit) -> None:
    draft.school(edit.school_code)
    if edit.field not in FACILITY_KEYS:
        raise ValidationError(NOT_A_FACILITY % {"field": field_label(edit.field) or "—"}, code="field")
    amount = _positive(edit.amount)
    _whole(edit.field, amount)
    draft.add(edit.school_code, edit.field, amount)


def _hire(draft: Draft, edit: Edit) -> None:
    level = _level(edit)
    kind = _teacher_kind(edit, tuple(TEACHER_KINDS))
    count = _count(edit)
    _section(draft, edit.school_code, level)
    draft.add(edit.school_code, f"teachers_{level}", count)
    if kind != "teachers":
        draft.add(edit.school_code, f"{kind}_{level}", count)


def _designate(draft: Draft, edit: Edit) -> None:
    level = _level(edit)
    kind = _teacher_kind(edit, SUB_KINDS)
    count = _count(edit)
    record = _section(draft, edit.school_code, level)
    draft.add(edit.school_code, f"{kind}_{level}", count)
    after = draft.value(edit.school_code, f"{kind}_{level}") or 0.0
    teachers = draft.value(edit.school_code, f"teachers_{level}")
    if teachers is not None and after > teachers:
        raise ValidationError(
            ABOVE_TEACHERS
            % {
                "school": name_of(record),
                "level": section_label(level),
                "kind": kind_label(kind),
                "after": f"{after:g}",
                "teachers": f"{teachers:g}",
            },
            code="above_teachers",
        )


def _move(draft: Draft, edit: Edit) -> None:
    level = _level(edit)
    kind = _teacher_kind(edit, tuple(TEACHER_KINDS))
    count = _count(edit)
    giver = _section(draft, edit.school_code, level, MOVE_LEVELS)
    taker = _section(draft, edit.to_school_code, level, MOVE_LEVELS)
    if giver.school_code == taker.school_code:
        raise ValidationError(SAME_SCHOOL, code="same_school")
    key, total = f"{kind}_{level}", f"teachers_{level}"
    have = draft.value(giver.school_code, key)
    if have is None or have < count:
        have_text = "0" if have is None else f"{have:g}"
        raise ValidationError(
            TOO_MANY
            % {
                "school": name_of(giver),
                "level": section_label(level),
                "have": have_text,
                "kind": kind_label(kind),
                "count": count,
            },
            code="too_many",
        )
    for code, sign in ((giver.school_code, -1), (taker.school_code, 1)):
        draft.add(code, key, sign * count)
        if kind != "teachers":
            draft.add(code, total, sign * count)
    left = draft.value(giver.school_code, total)
    if left is not None:
        for other in SUB_KINDS:
            figure = draft.value(giver.school_code, f"{other}_{level}")
            if figure is not None and figure > left:
                draft.put(giver.school_code, f"{other}_{level}", left)


def _point(draft: Draft, edit: Edit, *, facilities: bool) -> None:
    point = draft.school(edit.school_code)
    if point.school_type != "teaching_point":
        raise ValidationError(NOT_A_POINT % {"school": name_of(point)}, code="not_a_point")
    receiver_code = edit.to_school_code or point.parent_school_code or ""
    if not receiver_code:
        raise ValidationError(NO_RECEIVER % {"school": name_of(point)}, code="no_receiver")
    receiver = draft.school(receiver_code)
    if receiver.school_code == point.school_code:
        raise ValidationError(SAME_SCHOOL, code="same_school")
    if not _teaches(receiver, "primary"):
        raise ValidationError(RECEIVER_NOT_PRIMARY % {"school": name_of(receiver)}, code="level")
    if not draft.value(point.school_code, "students_primary"):
        raise ValidationError(POINT_CLOSED % {"school": name_of(point)}, code="closed")
    for field in (*POINT_PEOPLE, *(POINT_FACILITIES if facilities else ())):
        amount = draft.value(point.school_code, field)
        if amount is None:
            continue
        if amount:
            there = draft.value(receiver.school_code, field)
            draft.put(receiver.school_code, field, amount if there is None else there + amount)
        draft.put(point.school_code, field, 0.0)


def _set(draft: Draft, edit: Edit) -> None:
    draft.school(edit.school_code)
    if edit.field not in STAT_KEYS:
        raise ValidationError(UNKNOWN_FIELD % {"field": edit.field or "—"}, code="field")
    if edit.amount is None or edit.amount != edit.amount:
        raise ValidationError(NOT_A_NUMBER, code="number")
    if edit.amount < 0:
        raise ValidationError(NEGATIVE, code="negative")
    _whole(edit.field, edit.amount)
    draft.put(edit.school_code, edit.field, edit.amount)


def _undo(draft: Draft, edit: Edit) -> None:
    record = draft.school(edit.school_code)
    key = (edit.school_code, edit.field)
    if key not in draft.changed:
        raise ValidationError(
            NOTHING_TO_UNDO % {"school": name_of(record), "label": field_label(edit.field)}, code="nothing"
        )
    del draft.changed[key]


def apply_edit(records: Sequence[SchoolRecord], changes: Iterable[Change], edit: Edit) -> list[Change]:
    """The scenario's changes after `edit` (changes back to the county's figure drop out).

    Raises ValidationError, with a message in the active language, for an edit that cannot be.
    """
    draft = Draft(records, changes)
    if edit.kind == "facility":
        _facility(draft, edit)
    elif edit.kind == "hire":
        _hire(draft, edit)
    elif edit.kind == "designate":
        _designate(draft, edit)
    elif edit.kind == "move":
        _move(draft, edit)
    elif edit.kind in ("close_point", "merge_point"):
        _point(draft, edit, facilities=edit.kind == "merge_point")
    elif edit.kind == "set":
        _set(draft, edit)
    elif edit.kind == "undo":
        _undo(draft, edit)
    else:
        raise ValidationError(UNKNOWN_KIND % {"kind": edit.kind or "—"}, code="kind")
    return draft.changes()


def check_changes(records: Sequence[SchoolRecord], changes: Iterable[Change]) -> list[Change]:
    """Changes given whole (the planner's plan, the API): each school in the county, each key in
    the data dictionary, each figure a number ≥ 0 (whole for counts); `from` read again from the
    county's figures. The last change of a key wins."""
    draft = Draft(records, [])
    for change in changes:
        draft.school(change.school_code)
        _set(draft, Edit("set", change.school_code, change.field, change.to_value))
    return draft.changes()
