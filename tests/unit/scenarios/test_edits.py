"""The kinds of change (scenarios.edits), on plain records: no database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from indicators.formulas import SchoolRecord
from indicators.whatif import Change, apply_changes
from scenarios.edits import MAX_FIGURE, Edit, apply_edit, check_changes


def record(code: str, school_type: str = "primary", parent: str | None = None, **stats: float | None) -> SchoolRecord:
    base: dict[str, float | None] = {
        "students_primary": 600.0,
        "classes_primary": 15.0,
        "teachers_primary": 40.0,
        "qualified_teachers_primary": 30.0,
        "backbone_teachers_primary": 8.0,
        "pe_art_teachers_primary": 6.0,
        "mid_title_teachers_primary": 20.0,
        "teaching_area": 3000.0,
        "sports_area": 5000.0,
        "equipment_value": 1_500_000.0,
        "multimedia_rooms": 15.0,
    }
    if school_type == "junior":
        base = {k.replace("_primary", "_junior"): v for k, v in base.items()}
    base.update(stats)
    return SchoolRecord(code, f"学校{code}", school_type, "public", True, parent, base)


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """The messages below are matched in Chinese, the default language."""
    with translation.override("zh-hans"):
        yield


COUNTY = [
    record("A"),
    record("B", backbone_teachers_primary=2.0),
    record("J", "junior"),
    record("P", "teaching_point", parent="A", students_primary=60.0, teachers_primary=5.0, sports_area=None),
]


def edit(changes: list[Change], **data: Any) -> list[Change]:
    return apply_edit(COUNTY, changes, Edit.from_data(data))


def figures(changes: list[Change]) -> dict[tuple[str, str], float | None]:
    return {(c.school_code, c.field): c.to_value for c in changes}


def test_a_move_is_a_change_at_each_school_and_keeps_the_county_total() -> None:
    moved = edit([], kind="move", school_code="A", to_school_code="B", level="primary",
                 teacher_kind="backbone_teachers", count=3)  # fmt: skip
    assert figures(moved) == {
        ("A", "backbone_teachers_primary"): 5.0,
        ("A", "teachers_primary"): 37.0,
        ("B", "backbone_teachers_primary"): 5.0,
        ("B", "teachers_primary"): 43.0,
    }
    assert {c.from_value for c in moved if c.field == "teachers_primary"} == {40.0}
    # Moving them back leaves no change at all.
    back = edit(moved, kind="move", school_code="B", to_school_code="A", level="primary",
                teacher_kind="backbone_teachers", count=3)  # fmt: skip
    assert back == []


def test_a_giver_keeps_no_kind_above_its_teachers() -> None:
    county = [record("A", teachers_primary=10.0, qualified_teachers_primary=10.0), record("B")]
    moved = apply_edit(
        county,
        [],
        Edit("move", "A", level="primary", teacher_kind="teachers", count=4, to_school_code="B"),
    )
    assert figures(moved)[("A", "qualified_teachers_primary")] == 6.0


def test_an_unreported_figure_cannot_be_added_to_but_can_be_set() -> None:
    with pytest.raises(ValidationError, match="未填报"):
        edit([], kind="facility", school_code="P", field="sports_area", amount=10)
    set_ = edit([], kind="set", school_code="P", field="sports_area", amount=10)
    assert figures(set_) == {("P", "sports_area"): 10.0}


def test_merging_a_point_without_a_reported_figure_moves_what_it_has() -> None:
    merged = figures(edit([], kind="merge_point", school_code="P"))
    assert merged[("A", "students_primary")] == 660.0 and merged[("P", "students_primary")] == 0.0
    assert ("A", "sports_area") not in merged  # the point's sports ground is not reported
    with pytest.raises(ValidationError, match="没有小学"):
        edit([], kind="close_point", school_code="P", to_school_code="J")


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "facility", "school_code": "A", "field": "sports_area", "amount": "abc"},
        {"kind": "facility", "school_code": "A", "field": "sports_area", "amount": "nan"},
        {"kind": "facility", "school_code": "A", "field": "sports_area", "amount": "inf"},
        {"kind": "facility", "school_code": "A", "field": "sports_area", "amount": 1e300},
        {"kind": "set", "school_code": "A", "field": "sports_area", "amount": MAX_FIGURE * 2},
        {"kind": "hire", "school_code": "A", "level": "primary", "teacher_kind": "teachers", "count": "1.5"},
        {"kind": "hire", "school_code": "A", "level": "senior", "teacher_kind": "teachers", "count": 1},
        {"kind": "hire", "school_code": "A", "level": "primary", "teacher_kind": "principals", "count": 1},
        {"kind": "designate", "school_code": "A", "level": "primary", "teacher_kind": "teachers", "count": 1},
        {"kind": "undo", "school_code": "A", "field": "sports_area"},
        {"kind": "", "school_code": "A"},
    ],
)
def test_bad_input_is_a_validation_error(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        edit([], **data)


def test_check_changes_reads_from_again_and_keeps_the_last_of_a_key() -> None:
    checked = check_changes(COUNTY, [Change("A", "sports_area", 1.0, 6000.0), Change("A", "sports_area", 1.0, 7000.0)])
    assert checked == [Change("A", "sports_area", 5000.0, 7000.0)]
    assert check_changes(COUNTY, [Change("A", "sports_area", None, 5000.0)]) == []  # no change at all


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B"]),
            st.sampled_from(["backbone_teachers", "qualified_teachers", "pe_art_teachers", "teachers"]),
            st.integers(1, 12),
        ),
        max_size=8,
    )
)
def test_moves_never_change_the_countys_teachers_or_go_below_zero(moves: list[tuple[str, str, int]]) -> None:
    changes: list[Change] = []
    for giver, kind, count in moves:
        try:
            changes = edit(changes, kind="move", school_code=giver, to_school_code="B" if giver == "A" else "A",
                           level="primary", teacher_kind=kind, count=count)  # fmt: skip
        except ValidationError:
            continue
    after = apply_changes(COUNTY, changes)
    total = sum((r.stats["teachers_primary"] or 0) for r in after[:2])
    assert total == 80.0
    for r in after[:2]:
        teachers = r.stats["teachers_primary"] or 0
        for key in ("backbone_teachers_primary", "qualified_teachers_primary", "pe_art_teachers_primary"):
            assert 0 <= (r.stats[key] or 0) <= teachers


def test_a_change_naming_a_school_gone_from_the_county_is_set_aside() -> None:
    from indicators.defaults import QUALITY_2017
    from indicators.formulas import Profile
    from indicators.selectors import CountyInputs
    from scenarios.selectors import evaluate_changes

    inputs = CountyInputs(1, list(COUNTY), {r.school_code: (1, "approved") for r in COUNTY})
    changes = [Change("GONE", "sports_area", None, 1.0), Change("B", "backbone_teachers_primary", None, 8.0)]
    evaluated = evaluate_changes(inputs, Profile.from_dict(QUALITY_2017), changes, district="X", year=2025)
    assert evaluated.stale == [changes[0]]
    assert evaluated.changes == [Change("B", "backbone_teachers_primary", 2.0, 8.0)]
    base = evaluated.base.cv("primary", "backbone_teachers_per100")
    after = evaluated.outcome.cv("primary", "backbone_teachers_per100")
    assert base is not None and after is not None and after.cv != base.cv  # B now has as many as A
