"""The report's SVG charts: labels that do not collide, bars in proportion, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from reports.charts import met_histogram, share_bars

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def test_the_tallest_bars_count_stays_clear_of_the_title() -> None:
    root = parsed(met_histogram([("7项", 13, True), ("6项", 10, True), ("5项", 1, False)], title="按达标项数统计"))
    texts = root.findall(f"{SVG}text")
    title = texts[0]
    assert title.text == "按达标项数统计"
    title_bottom = float(title.get("y", 0)) + 4  # baseline plus the descent of 13 px text
    counts = [t for t in texts if t.text in {"13", "10", "1"}]
    assert len(counts) == 3
    for count in counts:
        top_of_text = float(count.get("y", 0)) - 11  # 11 px text above its baseline
        assert top_of_text > title_bottom
    bars = root.findall(f"{SVG}rect")
    heights = [float(b.get("height", 0)) for b in bars]
    assert heights[0] / heights[1] == pytest.approx(13 / 10, rel=0.005)
    bottoms = {round(float(b.get("y", 0)) + float(b.get("height", 0)), 1) for b in bars}
    assert len(bottoms) == 1  # every bar stands on the axis


def test_share_bars_escape_labels_and_mark_the_reference() -> None:
    svg = share_bars([("<b>学校</b>", 0.5, "1/2"), ("空", None, "")], title="标题 & 说明", reference=1.0)
    root = parsed(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<b>学校</b>" in texts and "标题 & 说明" in texts and "—" in texts
    assert root.find(f"{SVG}line") is not None
