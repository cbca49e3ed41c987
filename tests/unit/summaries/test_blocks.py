"""summaries.blocks and summaries.words: the blocks, their placeholders and the wording of
figures. Pure: no database."""

from __future__ import annotations

import pytest

from summaries import words
from summaries.blocks import (
    Block,
    Heading,
    Paragraph,
    Table,
    blocks_from,
    blocks_json,
    fill,
    merge_edits,
    normalise,
    render,
    unknown_placeholders,
)

FIGURES = {"区县": "清源县", "学校数": "40", "小学生均体育运动场馆面积差异系数": "0.532"}


def table(caption: str) -> Table:
    return Table(caption, ["a", "b"], [["1", "2"]])


def data(name: str) -> list[Paragraph | Table]:
    return {"cv": [table("校际差异系数")], "list": [Paragraph("1. 第一条", "item")]}.get(name, [])  # type: ignore[return-value]


def test_placeholders_are_filled_and_unknown_ones_are_found() -> None:
    text = "{{区县}}共有学校{{ 学校数 }}所,{{没有这项}}。"
    assert fill(text, FIGURES) == "清源县共有学校40所,{{没有这项}}。"
    blocks = [Block("a", "text", text), Block("d", "data", data="cv"), Block("b", "heading1", "{{又一项}}{{区县}}")]
    assert unknown_placeholders(blocks, FIGURES) == ["没有这项", "又一项"]


def test_render_lays_out_text_and_data_blocks_in_order_and_numbers_the_tables() -> None:
    blocks = [
        Block("t", "title", "{{区县}}工作总结"),
        Block("h", "heading1", "一、基本情况"),
        Block("p", "text", "第一段{{学校数}}\n\n第二段"),
        Block("x", "data", data="cv"),
        Block("empty", "text", "   "),
        Block("y", "data", data="list"),
        Block("z", "data", data="cv"),
        Block("gone", "data", data="unknown-block"),
        Block("s", "sign", "{{区县}}教育局"),
    ]
    out = render(blocks, FIGURES, data)
    assert out.title == "清源县工作总结"
    kinds = [(type(e).__name__, getattr(e, "text", getattr(e, "caption", ""))) for e in out.elements]
    assert kinds == [
        ("Heading", "清源县工作总结"),
        ("Heading", "一、基本情况"),
        ("Paragraph", "第一段40"),
        ("Paragraph", "第二段"),
        ("Table", "表1 校际差异系数"),
        ("Paragraph", "1. 第一条"),
        ("Table", "表2 校际差异系数"),
        ("Paragraph", "清源县教育局"),
    ]
    assert isinstance(out.elements[0], Heading) and out.elements[0].level == 0
    assert isinstance(out.elements[-1], Paragraph) and out.elements[-1].style == "sign"
    assert "0.532" not in out.text and "清源县教育局" in out.text


def test_edits_replace_only_editable_blocks_and_round_trip_through_json() -> None:
    blocks = [Block("p", "text", "旧"), Block("d", "data", data="cv")]
    edited = merge_edits(blocks, {"p": "新的\r\n一段  \r\n", "d": "不能改数据块", "missing": "x"})
    assert edited == [Block("p", "text", "新的\n一段"), Block("d", "data", data="cv")]
    assert blocks_from(blocks_json(edited)) == edited
    assert normalise("  a  \r\nb\r\n\r\n") == "a\nb"


@pytest.mark.parametrize(
    ("now", "before", "unit", "expected"),
    [
        (22586, 22432, "人", "比上年增加 154 人"),
        (13317, 13365, "人", "比上年减少 48 人"),
        (40, 40, "所", "与上年持平"),
        (40, None, "所", "上年无可比数据"),
    ],
)
def test_change_of_a_count(now: int, before: int | None, unit: str, expected: str) -> None:
    assert words.change_count(now, before, unit) == expected


def test_cv_wording_uses_three_decimals_as_the_pages() -> None:
    assert words.cv(0.53249) == "0.532"
    assert words.line(0.5) == "0.50"
    assert words.change_cv(0.532, 0.545) == "比上年下降 0.013"
    assert words.change_cv(0.5321, 0.5324) == "与上年持平"
    assert words.change_share(0.436, 0.40) == "比上年提高 3.6 个百分点"
    assert words.plain(78.0952) == "78.1" and words.plain(2000.0) == "2,000"
    assert words.names([f"校{i}" for i in range(10)], limit=2) == "校0、校1等 10 所"
