"""Unit tests for schools.fields: the data dictionary written once (no database)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models

from schools.fields import (
    FACILITY_KEYS,
    GROUPS,
    OPTIONAL_KEYS,
    SCHOOL_FIELDS,
    SCHOOL_TYPES,
    STAT_FIELD_BY_KEY,
    STAT_FIELDS,
    STAT_KEYS,
    TYPE_SECTIONS,
    completeness,
    required_keys,
)
from schools.models import AnnualStatistics

# Columns of AnnualStatistics that are bookkeeping, not data-dictionary figures.
BOOKKEEPING = {
    "id",
    "school",
    "year",
    "status",
    "revision",
    "change_reasons",
    "unconfirmed",
    "created_at",
    "updated_at",
    "updated_by",
}

# The data dictionary's statistics keys (data-dictionary.md, "Annual statistics"), minus `year`.
DICTIONARY_KEYS = {
    "students_primary",
    "students_junior",
    "students_senior",
    "classes_primary",
    "classes_junior",
    "max_class_size_primary",
    "max_class_size_junior",
    "teachers_primary",
    "teachers_junior",
    "qualified_teachers_primary",
    "qualified_teachers_junior",
    "mid_title_teachers_primary",
    "mid_title_teachers_junior",
    "backbone_teachers_primary",
    "backbone_teachers_junior",
    "pe_art_teachers_primary",
    "pe_art_teachers_junior",
    "teaching_area",
    "indoor_sports_area",
    "sports_area",
    "equipment_value",
    "books",
    "computers",
    "multimedia_rooms",
    "music_rooms",
    "art_rooms",
    "music_room_min_area",
    "art_room_min_area",
}


def model_fields() -> dict[str, models.Field[Any, Any]]:
    return {f.name: f for f in AnnualStatistics._meta.concrete_fields if f.name not in BOOKKEEPING}


def test_stat_keys_match_the_model_fields_exactly() -> None:
    assert len(STAT_KEYS) == len(set(STAT_KEYS))
    assert set(STAT_KEYS) == set(model_fields())


def test_stat_keys_are_the_data_dictionary_keys() -> None:
    assert set(STAT_KEYS) == DICTIONARY_KEYS


@pytest.mark.parametrize("spec", STAT_FIELDS, ids=lambda s: s.key)
def test_integer_flag_matches_the_model_column(spec) -> None:
    field = model_fields()[spec.key]
    expected = models.PositiveIntegerField if spec.integer else models.DecimalField
    assert isinstance(field, expected)
    assert field.null  # empty means "not reported"


@pytest.mark.parametrize("spec", [s for s in STAT_FIELDS if s.total], ids=lambda s: s.key)
def test_every_sub_count_points_at_a_total_of_the_same_section(spec) -> None:
    total = STAT_FIELD_BY_KEY[spec.total]
    assert total.section == spec.section
    assert total.integer == spec.integer


def test_sub_count_rules_are_the_ones_the_issue_names() -> None:
    pairs = {(s.key, s.total) for s in STAT_FIELDS if s.total}
    assert pairs == {
        *(
            (f"{base}_{s}", f"teachers_{s}")
            for base in ("qualified_teachers", "mid_title_teachers", "backbone_teachers", "pe_art_teachers")
            for s in ("primary", "junior")
        ),
        ("indoor_sports_area", "teaching_area"),
    }


def test_labels_are_unique_and_chinese() -> None:
    labels = [s.label for s in STAT_FIELDS] + list(SCHOOL_FIELDS.values())
    assert len(labels) == len(set(labels))
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in labels)


def test_every_field_is_in_a_form_group() -> None:
    assert {s.group for s in STAT_FIELDS} == set(GROUPS)


def test_every_school_type_has_its_sections() -> None:
    assert set(TYPE_SECTIONS) == set(SCHOOL_TYPES)


def test_facility_keys_are_the_whole_school_figures() -> None:
    assert all(STAT_FIELD_BY_KEY[k].section is None for k in FACILITY_KEYS)
    assert "teaching_area" in FACILITY_KEYS
    assert "students_primary" not in FACILITY_KEYS


# --- required keys per school type ------------------------------------------------------------

WHOLE_SCHOOL = {
    "teaching_area",
    "indoor_sports_area",
    "sports_area",
    "music_rooms",
    "art_rooms",
    "multimedia_rooms",
    "equipment_value",
    "books",
    "computers",
}


def section_keys(section: str) -> set[str]:
    return {s.key for s in STAT_FIELDS if s.section == section}


@pytest.mark.parametrize(
    ("school_type", "sections"),
    [
        ("primary", {"primary"}),
        ("teaching_point", {"primary"}),
        ("junior", {"junior"}),
        ("vocational_junior", {"junior"}),
        ("nine_year", {"primary", "junior"}),
        ("special", {"primary", "junior"}),
        ("twelve_year", {"primary", "junior", "senior"}),
        ("complete_middle", {"junior", "senior"}),
    ],
)
def test_required_keys_are_the_sections_of_the_type_and_the_whole_school_figures(
    school_type: str, sections: set[str]
) -> None:
    expected = set(WHOLE_SCHOOL)
    for section in sections:
        expected |= section_keys(section)
    keys = required_keys(school_type)
    assert set(keys) == expected
    assert len(keys) == len(expected)
    assert not OPTIONAL_KEYS & set(keys)


def test_required_key_counts_by_hand() -> None:
    # 8 figures per compulsory section, 1 (students) for senior, 9 whole-school figures.
    assert len(required_keys("primary")) == 17
    assert len(required_keys("nine_year")) == 25
    assert len(required_keys("twelve_year")) == 26
    assert len(required_keys("complete_middle")) == 18


def test_unknown_type_requires_only_the_whole_school_figures() -> None:
    assert set(required_keys("kindergarten")) == WHOLE_SCHOOL


def test_completeness_counts_the_required_fields_that_are_filled() -> None:
    keys = required_keys("primary")
    assert completeness({}, "primary") == 0.0
    assert completeness(dict.fromkeys(keys, 1), "primary") == 1.0
    assert completeness(dict.fromkeys(keys[:5], 1), "primary") == pytest.approx(5 / 17)
    # 0 is a value; None is "not reported"
    assert completeness({keys[0]: 0, keys[1]: None}, "primary") == pytest.approx(1 / 17)
    # figures of a section the school lacks, and optional details, do not count
    assert completeness({"students_junior": 10, "music_room_min_area": 90}, "primary") == 0.0
