"""The data dictionary's fields, in one place (../shared/reference/data-dictionary.md).

Pure data: the forms, the validation rules, the importer and the exporter all read these
definitions, so a key, its Chinese label and its unit are written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop, pgettext

# The Chinese labels below are data (import headers, stored choices): gettext_noop only marks
# them for the translation catalog and returns them unchanged. Pages translate them when they
# display them, with display_label().
SCHOOL_TYPES: dict[str, str] = {
    "primary": gettext_noop("小学"),
    "junior": gettext_noop("初级中学"),
    "nine_year": gettext_noop("九年一贯制学校"),
    "twelve_year": gettext_noop("十二年一贯制学校"),
    "complete_middle": gettext_noop("完全中学"),
    "teaching_point": gettext_noop("小学教学点"),
    "special": gettext_noop("特殊教育学校"),
    "vocational_junior": gettext_noop("职业初中"),
}
OWNERSHIPS: dict[str, str] = {"public": gettext_noop("公办"), "private": gettext_noop("民办")}
AREA_TYPES: dict[str, str] = {
    "urban": gettext_noop("城区"),
    "town": gettext_noop("镇区"),
    "rural": gettext_noop("乡村"),
}

# Which sections (学段) a school type teaches. A section a type lacks must have no students or
# teachers. Special-education schools may teach any compulsory section.
TYPE_SECTIONS: dict[str, tuple[str, ...]] = {
    "primary": ("primary",),
    "junior": ("junior",),
    "nine_year": ("primary", "junior"),
    "twelve_year": ("primary", "junior", "senior"),
    "complete_middle": ("junior", "senior"),
    "teaching_point": ("primary",),
    "special": ("primary", "junior"),
    "vocational_junior": ("junior",),
}
SECTION_LABELS: dict[str, str] = {"primary": "小学", "junior": "初中", "senior": "高中"}


@dataclass(frozen=True, slots=True)
class StatField:
    """One column of the annual statistics."""

    key: str
    label: str  # Chinese label, accepted as an import header
    unit: str
    group: str  # students | teachers | facilities | equipment
    section: str | None = None  # primary / junior / senior for sectioned counts
    integer: bool = True  # counts are integers; areas and money may have decimals
    total: str | None = None  # the key this sub-count may not exceed


GROUPS: dict[str, str] = {
    "students": gettext_noop("学生与班级"),
    "teachers": gettext_noop("教师"),
    "facilities": gettext_noop("校舍与场地"),
    "equipment": gettext_noop("设备与图书"),
}


def _sectioned(
    base: str, label: str, unit: str, group: str, sections: tuple[str, ...], total: str | None = None
) -> list[StatField]:
    return [
        StatField(
            key=f"{base}_{s}",
            label=f"{SECTION_LABELS[s]}{label}",
            unit=unit,
            group=group,
            section=s,
            total=f"{total}_{s}" if total else None,
        )
        for s in sections
    ]


PJ = ("primary", "junior")
STAT_FIELDS: tuple[StatField, ...] = (
    *_sectioned("students", gettext_noop("在校生数"), gettext_noop("人"), "students", ("primary", "junior", "senior")),
    *_sectioned("classes", gettext_noop("班级数"), gettext_noop("个"), "students", PJ),
    *_sectioned("max_class_size", gettext_noop("最大班额"), gettext_noop("人"), "students", PJ),
    *_sectioned("teachers", gettext_noop("专任教师数"), gettext_noop("人"), "teachers", PJ),
    *_sectioned(
        "qualified_teachers", gettext_noop("高于规定学历专任教师数"), gettext_noop("人"), "teachers", PJ, "teachers"
    ),
    *_sectioned(
        "mid_title_teachers", gettext_noop("中级及以上职称专任教师数"), gettext_noop("人"), "teachers", PJ, "teachers"
    ),
    *_sectioned(
        "backbone_teachers", gettext_noop("县级及以上骨干教师数"), gettext_noop("人"), "teachers", PJ, "teachers"
    ),
    *_sectioned(
        "pe_art_teachers", gettext_noop("体育、艺术专任教师数"), gettext_noop("人"), "teachers", PJ, "teachers"
    ),
    StatField("teaching_area", gettext_noop("教学及辅助用房面积"), "m²", "facilities", integer=False),
    StatField(
        "indoor_sports_area",
        gettext_noop("其中:室内体育用房面积"),
        "m²",
        "facilities",
        integer=False,
        total="teaching_area",
    ),
    StatField("sports_area", gettext_noop("体育运动场(馆)面积"), "m²", "facilities", integer=False),
    StatField("music_rooms", gettext_noop("音乐专用教室"), gettext_noop("间"), "facilities"),
    StatField("art_rooms", gettext_noop("美术专用教室"), gettext_noop("间"), "facilities"),
    StatField("music_room_min_area", gettext_noop("最小音乐专用教室面积"), "m²", "facilities", integer=False),
    StatField("art_room_min_area", gettext_noop("最小美术专用教室面积"), "m²", "facilities", integer=False),
    StatField("multimedia_rooms", gettext_noop("网络多媒体教室"), gettext_noop("间"), "equipment"),
    StatField("equipment_value", gettext_noop("教学仪器设备资产值"), gettext_noop("元"), "equipment", integer=False),
    StatField("books", gettext_noop("图书"), gettext_noop("册"), "equipment"),
    StatField("computers", gettext_noop("教学用计算机"), gettext_noop("台"), "equipment"),
)
STAT_FIELD_BY_KEY: dict[str, StatField] = {f.key: f for f in STAT_FIELDS}
STAT_KEYS: tuple[str, ...] = tuple(f.key for f in STAT_FIELDS)
# Facility figures carried into a new school year (issue: new school year pre-fill).
FACILITY_KEYS: tuple[str, ...] = tuple(f.key for f in STAT_FIELDS if f.group in ("facilities", "equipment"))

SCHOOL_FIELDS: dict[str, str] = {
    "district_code": "区县代码",
    "school_code": "学校标识码",
    "school_name": "学校名称",
    "school_type": "学校类型",
    "parent_school_code": "所属学校标识码",
    "ownership": "办学性质",
    "county_run": "是否县属",
    "area_type": "城乡分类",
}


# Fields a school of a type is expected to fill in (senior counts only for schools with a
# senior section; room areas are optional detail).
OPTIONAL_KEYS = frozenset({"music_room_min_area", "art_room_min_area"})


def required_keys(school_type: str) -> tuple[str, ...]:
    sections = TYPE_SECTIONS.get(school_type, ())
    return tuple(
        f.key for f in STAT_FIELDS if f.key not in OPTIONAL_KEYS and (f.section is None or f.section in sections)
    )


def completeness(values: dict[str, object], school_type: str) -> float:
    """Share of the expected fields that are filled in (0–1)."""
    keys = required_keys(school_type)
    if not keys:
        return 1.0
    return sum(values.get(k) is not None for k in keys) / len(keys)


# --- display in the active language (the labels above stay Chinese as data) ----------------------


def section_label(section: str) -> str:
    """A section (学段) name as it appears inside a sentence or a field label."""
    names = {
        "primary": pgettext("学段", "小学"),
        "junior": pgettext("学段", "初中"),
        "senior": pgettext("学段", "高中"),
    }
    return names.get(section, section)


# "小学在校生数" -> ("primary", "在校生数"): sectioned labels are translated from their parts.
_SECTIONED_LABELS: dict[str, tuple[str, str]] = {
    f.label: (f.section, f.label.removeprefix(SECTION_LABELS[f.section])) for f in STAT_FIELDS if f.section
}


def display_label(label: str) -> str:
    """A label of this module (field, unit, group, school type …) in the active language.

    Unchanged in Chinese; any other text is passed through gettext (and so comes back as it was
    when the catalog has no entry for it).
    """
    if not label:
        return label
    sectioned = _SECTIONED_LABELS.get(label)
    if sectioned is None:
        return gettext(label)
    section, base = sectioned
    # Translators: a statistics field of one section, e.g. 小学 + 在校生数.
    return gettext("%(section)s%(label)s") % {"section": section_label(section), "label": gettext(base)}
