"""The data dictionary's fields, in one place (../shared/reference/data-dictionary.md).

Pure data: the forms, the validation rules, the importer and the exporter all read these
definitions, so a key, its Chinese label and its unit are written once.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHOOL_TYPES: dict[str, str] = {
    "primary": "小学",
    "junior": "初级中学",
    "nine_year": "九年一贯制学校",
    "twelve_year": "十二年一贯制学校",
    "complete_middle": "完全中学",
    "teaching_point": "小学教学点",
    "special": "特殊教育学校",
    "vocational_junior": "职业初中",
}
OWNERSHIPS: dict[str, str] = {"public": "公办", "private": "民办"}
AREA_TYPES: dict[str, str] = {"urban": "城区", "town": "镇区", "rural": "乡村"}

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
    "students": "学生与班级",
    "teachers": "教师",
    "facilities": "校舍与场地",
    "equipment": "设备与图书",
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
    *_sectioned("students", "在校生数", "人", "students", ("primary", "junior", "senior")),
    *_sectioned("classes", "班级数", "个", "students", PJ),
    *_sectioned("max_class_size", "最大班额", "人", "students", PJ),
    *_sectioned("teachers", "专任教师数", "人", "teachers", PJ),
    *_sectioned("qualified_teachers", "高于规定学历专任教师数", "人", "teachers", PJ, "teachers"),
    *_sectioned("mid_title_teachers", "中级及以上职称专任教师数", "人", "teachers", PJ, "teachers"),
    *_sectioned("backbone_teachers", "县级及以上骨干教师数", "人", "teachers", PJ, "teachers"),
    *_sectioned("pe_art_teachers", "体育、艺术专任教师数", "人", "teachers", PJ, "teachers"),
    StatField("teaching_area", "教学及辅助用房面积", "m²", "facilities", integer=False),
    StatField(
        "indoor_sports_area",
        "其中:室内体育用房面积",
        "m²",
        "facilities",
        integer=False,
        total="teaching_area",
    ),
    StatField("sports_area", "体育运动场(馆)面积", "m²", "facilities", integer=False),
    StatField("music_rooms", "音乐专用教室", "间", "facilities"),
    StatField("art_rooms", "美术专用教室", "间", "facilities"),
    StatField("music_room_min_area", "最小音乐专用教室面积", "m²", "facilities", integer=False),
    StatField("art_room_min_area", "最小美术专用教室面积", "m²", "facilities", integer=False),
    StatField("multimedia_rooms", "网络多媒体教室", "间", "equipment"),
    StatField("equipment_value", "教学仪器设备资产值", "元", "equipment", integer=False),
    StatField("books", "图书", "册", "equipment"),
    StatField("computers", "教学用计算机", "台", "equipment"),
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
