"""The engine's texts on pages in the active language: gaps from their figures (word for word the
stored text in Chinese), exclusion reasons and notes without figures through the catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.utils import translation

from indicators import formulas
from indicators.defaults import QUALITY_2017
from indicators.formulas import Profile, SchoolRecord, evaluate_county
from indicators.formulas.units import _REASONS
from indicators.presentation import (
    DEFAULT_RULE_TEXTS,
    ENGINE_TEXTS,
    engine_text,
    gap_text,
    reason_text,
    rules_by_key,
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


def test_in_chinese_a_gap_reads_as_the_engine_stored_it() -> None:
    # (the 2012 rules set no school standards, so they have no gaps)
    document = evaluate_county(county(), Profile.from_dict(QUALITY_2017)).document("130188", 2025)
    rules = rules_by_key(document)
    gaps = [(gap, rules[key]) for unit in document["units"] for key, gap in unit["gaps"].items()]
    assert len(gaps) > 5 and any(g["shortfall"] is None for g, _r in gaps) and any(g["unit"] == "元" for g, _r in gaps)
    with translation.override("zh-hans"):
        assert [gap_text(gap, rule) for gap, rule in gaps] == [gap["text"] for gap, _rule in gaps]


def test_in_chinese_a_reason_reads_as_the_engine_stored_it() -> None:
    document = evaluate_county(county(), Profile.from_dict(QUALITY_2017)).document("130188", 2025)
    excluded = [u for u in document["units"] if not u["included"]]
    assert {u["excluded_code"] for u in excluded} == {"special", "teaching_point_small"}
    with translation.override("zh-hans"):
        assert [reason_text(u, document["rules"]) for u in excluded] == [u["excluded_reason"] for u in excluded]


def test_in_english_gaps_reasons_and_notes_have_no_chinese_left() -> None:
    document = evaluate_county(county(), Profile.from_dict(QUALITY_2017)).document("130188", 2025)
    rules = rules_by_key(document)
    with translation.override("en"):
        texts = [gap_text(gap, rules[key]) for unit in document["units"] for key, gap in unit["gaps"].items()]
        texts += [reason_text(u, document["rules"]) for u in document["units"] if not u["included"]]
        # Notes with figures in them ("…: 1 所学校未填报…") stay as stored; the others translate.
        texts += [engine_text(n) for lvl in document["levels"].values() for n in lvl["notes"] if n in ENGINE_TEXTS]
        assert texts and [t for t in texts if CJK.search(t)] == []
        assert "1,700 m²" in " ".join(texts)  # the figure of the Chinese text, 需增加教学及辅助用房 1,700 m²
    with translation.override("zh-hans"):
        assert engine_text("民办学校,按规则不计入") == "民办学校,按规则不计入"


def _static_engine_texts() -> set[str]:
    """Chinese literals the engine stores as reasons or notes (not f-strings: those carry figures)."""
    package = Path(formulas.__file__).parent
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in sorted(package.glob("*.py"))]
    found: set[str] = set()

    def literals(node: ast.AST) -> list[str]:
        if isinstance(node, ast.JoinedStr):  # an f-string: its text has figures in it
            return []
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) and CJK.search(node.value) else []
        return [text for child in ast.iter_child_nodes(node) for text in literals(child)]

    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("note", "_REASONS") for t in node.targets
        ):
            found.update(literals(node.value))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "_REASONS":
            found.update(literals(node.value) if node.value else [])
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("append", "exclude", "UnitCompliance", "CVResult"):
                for arg in node.args:
                    found.update(literals(arg))
    return found


def test_every_static_engine_text_is_marked_for_translation() -> None:
    found = _static_engine_texts()
    assert set(_REASONS.values()) <= found  # the walk does see the texts
    assert found - set(ENGINE_TEXTS) == set()


def test_every_default_gap_label_is_marked_for_translation() -> None:
    labels = {rule["gap_label"] for rule in formulas.INDICATOR_CATALOG.values()}
    assert labels - set(DEFAULT_RULE_TEXTS) == set()
