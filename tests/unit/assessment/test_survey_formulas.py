"""Unit tests of the survey's arithmetic (assessment/survey/formulas.py): sample plan,
fulfilment, tallies, the recognition rate and its verdict, with hand-computed values."""

from __future__ import annotations

from fractions import Fraction

import pytest

from assessment.survey import formulas as f


@pytest.mark.parametrize(
    ("population", "permille", "total", "parents"),
    [
        (412_600, "1.5", 619, 310),  # 618.9 → 619; 309.5 → 310
        (400_000, "1.5", 600, 300),  # exact: no rounding up
        (400_001, "1.5", 601, 301),  # 600.0015 → 601
        (100_000, "1", 100, 50),
        (0, "1.5", 0, 0),
    ],
)
def test_sample_plan(population: int, permille: str, total: int, parents: int) -> None:
    plan = f.sample_plan(population, permille, "0.5")
    assert (plan.total, plan.parents_min) == (total, parents)


def test_sample_plan_area_targets_are_rounded_up() -> None:
    plan = f.sample_plan(412_600, "1.5", "0.5", {"urban": "0.42", "town": "0.33", "rural": "0.25"})
    # 619 × 0.42 = 259.98 → 260; × 0.33 = 204.27 → 205; × 0.25 = 154.75 → 155
    assert dict(plan.area_targets) == {"urban": 260, "town": 205, "rural": 155}


def test_fulfilment_is_complete_exactly_at_every_target() -> None:
    plan = f.sample_plan(400_000, "1.5", "0.5", {"urban": "0.5", "rural": "0.5"})
    done = f.plan_fulfilment(plan, 600, 300, {"urban": 300, "rural": 300})
    assert done.complete and done.parent_share == 0.5
    assert not f.plan_fulfilment(plan, 599, 300, {"urban": 300, "rural": 299}).complete
    assert not f.plan_fulfilment(plan, 600, 299, {"urban": 300, "rural": 300}).complete
    assert not f.plan_fulfilment(plan, 600, 300, {"urban": 301, "rural": 299}).complete
    assert f.plan_fulfilment(plan, 0, 0, {}).parent_share is None


COUNTS = [
    ("parent", "overall", "5", 50),
    ("parent", "overall", "4", 35),
    ("parent", "overall", "3", 15),
    ("parent", "q1", "5", 10),
    ("parent", "q1", "1", 90),
    ("student", "overall", "4", 16),
    ("student", "overall", "2", 4),
]


def test_rate_on_the_overall_question_pooled_at_the_edge() -> None:
    tallies = f.group_tallies(COUNTS, ["5", "4"])
    assert tallies == {"parent": (85, 100), "student": (16, 20)}
    rate = f.recognition_rate(tallies)
    assert rate == Fraction(101, 120)  # 84.17 %
    assert f.recognition_verdict(rate) is False
    exactly = f.recognition_rate({"parent": (85, 100)})
    assert exactly == Fraction(85, 100)
    assert f.recognition_verdict(exactly, "0.85") is True
    assert f.recognition_verdict(Fraction(84, 100), 0.85) is False
    assert f.recognition_rate({}) is None and f.recognition_verdict(None) is None


def test_positive_options_and_basis_are_settings() -> None:
    with_basic = f.group_tallies(COUNTS, ["5", "4", "3"])
    assert with_basic["parent"] == (100, 100)
    every_question = f.group_tallies(COUNTS, ["5", "4"], basis="all")
    assert every_question["parent"] == (95, 200)  # 85 overall + 10 on q1, of 200 answers


def test_group_weights() -> None:
    tallies = {"parent": (90, 100), "student": (80, 100), "teacher": (10, 10)}
    # 0.5 × 0.9 + 0.5 × 0.8 = 0.85: exactly the threshold; teacher has no weight and is left out
    rate = f.recognition_rate(tallies, {"parent": 0.5, "student": 0.5})
    assert rate == Fraction(85, 100)
    assert f.recognition_verdict(rate) is True
    # 2 : 1 weights: (2 × 0.9 + 0.8) / 3 = 0.8667
    assert f.recognition_rate(tallies, {"parent": 2, "student": 1}) == Fraction(26, 30)
    assert f.recognition_rate(tallies, {"npc": 1}) is None
