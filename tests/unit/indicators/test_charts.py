"""The server's SVG charts say their own words (axis, legend, "undefined", the standard's line) in
the active language: an English page draws no Chinese beyond the labels it passes, a Chinese
report draws Chinese. The legend's entries never overlap, whatever the words' lengths."""

from __future__ import annotations

import itertools
import re

from django.utils import translation

from indicators.charts import Bar, cv_bars, text_width, trend_lines

CJK = re.compile(r"[\u4e00-\u9fff]")
TEXT = re.compile(r"<text x=\"([\d.]+)\"[^>]*>([^<]*)</text>")


def texts(svg: str) -> list[str]:
    return [text for _x, text in TEXT.findall(svg)] + re.findall(r'aria-label="([^"]*)"', svg)


def bars() -> list[Bar]:
    return [Bar("Students per teacher", 0.42, 0.5), Bar("Rooms per class", None, 0.5), Bar("Area", 0.61, 0.5)]


def test_an_english_chart_has_no_chinese_words() -> None:
    with translation.override("en"):
        svg = cv_bars(bars()) + trend_lines([2024, 2025], [("Area", [0.3, 0.2])], threshold=0.5)
    words = texts(svg)
    assert "undefined" in words and "Above the standard" in words and "Standard 0.5" in words
    assert not [word for word in words if CJK.search(word)]


def test_a_chinese_chart_speaks_chinese() -> None:
    with translation.override("zh-hans"):
        svg = cv_bars(bars()) + trend_lines([2024, 2025], [("生均面积", [0.3, 0.2])], threshold=0.5)
    words = texts(svg)
    assert {"无定义", "达标", "超过标准", "标准(≤)", "标准 0.5", "差异系数"} <= set(words)


def test_the_legend_entries_do_not_overlap_in_either_language() -> None:
    for language in ("zh-hans", "en"):
        with translation.override(language):
            svg = cv_bars(bars())
        legend = TEXT.findall(svg)[-3:]  # the last three texts: the legend's labels
        for (x, word), (next_x, _next_word) in itertools.pairwise(legend):
            assert float(x) + text_width(word, 10) < float(next_x), (language, word)
