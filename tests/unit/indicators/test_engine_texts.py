"""The engine's texts on pages in the active language: gaps and notes are worded from their stored
figures (in Chinese word for word as the engine words them), through the catalogue."""

from __future__ import annotations

import re

from django.utils import translation

from indicators import results, stored
from indicators.defaults import QUALITY_2017
from indicators.formulas import INDICATOR_CATALOG, Note, Profile, SchoolRecord, evaluate, school_table
from indicators.formulas.catalogue import NOTE_TEXTS
from indicators.presentation import (
    DEFAULT_RULE_TEXTS,
    NOTE_TEXTS_MARKED,
    UNTRANSLATED_NOTES,
    gap_text,
    note_text,
    reason_text,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


def county() -> list[SchoolRecord]:
    """Schools short of several standards, one with unreported figures, a small teaching point and a
    special-education school (both left out of the calculation)."""
    weak = {"students_primary": 600, "teaching_area": 1000, "sports_area": 900, "equipment_value": 300000}
    unreported = {"students_primary": 300, "teaching_area": None, "sports_area": None}
    return [
        SchoolRecord("P1", "甲小学", "primary", "public", True, None, weak),
        SchoolRecord("P2", "乙小学", "primary", "public", True, None, unreported),
        SchoolRecord("P3", "丙小学", "primary", "private", True, None, weak),
        SchoolRecord("T1", "丁教学点", "teaching_point", "public", True, "P1", {"students_primary": 20}),
        SchoolRecord("S1", "戊特殊教育学校", "special", "public", True, None, weak),
    ]


def outcome() -> results.BalanceOutcome:
    return stored.outcome_of(evaluate(school_table([county()]), Profile.from_dict(QUALITY_2017)))


def test_in_chinese_a_gap_reads_as_the_engine_words_it() -> None:
    gaps = [gap for _unit, gap in outcome().gaps()]
    assert len(gaps) > 5 and any(g.shortfall is None for g in gaps) and any(g.unit == "元" for g in gaps)
    with translation.override("zh-hans"):
        assert [gap_text(gap) for gap in gaps] == [gap.text for gap in gaps]


def test_in_chinese_a_note_reads_as_the_engine_words_it() -> None:
    read = outcome()
    notes = [u.exclusion for u in read.units if u.exclusion] + [n for lvl in read.levels.values() for n in lvl.notes]
    assert {n.code for n in notes} >= {"special", "teaching_point_small", "values_missing"}
    with translation.override("zh-hans"):
        assert [note_text(n) for n in notes] == [n.text for n in notes]


def test_in_english_gaps_reasons_and_notes_have_no_chinese_left() -> None:
    read = outcome()
    with translation.override("en"):
        texts = [gap_text(gap) for _unit, gap in read.gaps()]
        texts += [reason_text(u) for u in read.units if not u.included]
        texts += [note_text(n) for lvl in read.levels.values() for n in lvl.notes]
        assert texts and [t for t in texts if CJK.search(t)] == []
        assert "1,700 m²" in " ".join(texts)  # the figure of the Chinese text, 需增加教学及辅助用房 1,700 m²
        assert "20" in reason_text(next(u for u in read.units if u.school_code == "T1"))


def test_every_note_of_the_engine_is_marked_for_translation() -> None:
    worded = {text for code, text in NOTE_TEXTS.items() if code not in UNTRANSLATED_NOTES}
    assert worded == set(NOTE_TEXTS_MARKED)


def test_a_note_keeps_its_figures_and_words_them_in_english() -> None:
    note = Note("cv_near", {"label": "生均教学仪器设备值", "threshold": 0.5})
    assert note.text == "生均教学仪器设备值差异系数接近标准 0.5,建议人工复核"
    with translation.override("en"):
        english = note_text(note)
    assert "0.5" in english and not CJK.search(english)


def test_every_default_gap_label_is_marked_for_translation() -> None:
    labels = {str(rule["gap_label"]) for rule in INDICATOR_CATALOG.values()}
    assert labels - set(DEFAULT_RULE_TEXTS) == set()
