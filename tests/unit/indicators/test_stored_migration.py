"""Migration 0003 converts the jsonb documents stored before results had a typed contract: the
converted form reads back with the same figures as the engine gives today for the same data.

`stored_document_2026_11.json` holds two documents written by the engine of 2026.11.1 (the code
before the change, run once to make this file) for a small county with every kind of unit, and
the county's records.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from indicators import stored
from indicators.defaults import DEFAULT_PROFILES
from indicators.formulas import Profile, SchoolRecord, evaluate, school_table

FIXTURE = Path(__file__).with_name("stored_document_2026_11.json")
convert = importlib.import_module("indicators.migrations.0003_balanceresult_payload").convert


@pytest.fixture(scope="module")
def old() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("profile", ["quality-2017", "basic-2012"])
def test_a_stored_document_converts_to_the_same_figures(old: dict[str, Any], profile: str) -> None:
    converted = stored.decode(stored.dumps(convert(old[profile])))
    records = [SchoolRecord(**r) for r in old["records"]]
    today = stored.outcome_of(evaluate(school_table([records]), Profile.from_dict(DEFAULT_PROFILES[profile])))
    assert converted.fingerprint == "f" * 64 and converted.schools_approved == len(records) - 1
    assert converted.passes == today.passes
    for name, level in today.levels.items():
        mine = converted.levels[name]
        assert (mine.units, mine.passes) == (level.units, level.passes)
        assert mine.composite == pytest.approx(level.composite)
        for key, ind in level.indicators.items():
            cv = mine.indicators[key]
            assert (cv.cv, cv.mean, cv.sd) == (pytest.approx(ind.cv), pytest.approx(ind.mean), pytest.approx(ind.sd))
            assert [(t.school_code, t.share) for t in cv.terms] == [
                (t.school_code, pytest.approx(t.share)) for t in ind.terms
            ]
    assert [(u.school_code, u.level, u.included, u.excluded_code) for u in converted.units] == [
        (u.school_code, u.level, u.included, u.excluded_code) for u in today.units
    ]
    for theirs, unit in zip(converted.units, today.units, strict=True):
        assert (theirs.met, theirs.passes, theirs.failing, theirs.below_floor) == (
            unit.met,
            unit.passes,
            unit.failing,
            unit.below_floor,
        )
        assert {k: g.shortfall for k, g in theirs.gaps.items()} == {k: g.shortfall for k, g in unit.gaps.items()}
        assert theirs.numerators == pytest.approx(unit.numerators)
        # Fixed texts get their code back; texts with figures are kept as they were worded.
        if unit.exclusion is not None and not unit.exclusion.params:
            assert theirs.exclusion == unit.exclusion
        elif unit.exclusion is not None:
            assert theirs.exclusion is not None and theirs.exclusion.text == unit.exclusion.text
