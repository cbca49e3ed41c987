"""The report HTML parsed by libxml2 (reports.htmlparse) is the tree WeasyPrint's own HTML5
parser (tinyhtml5) makes of it: same elements, names (SVG's camel case included), attributes and
text, for the county and school reports of the demo county and the static markup of every PDF
template. Whitespace-only text between elements may sit elsewhere; it is compared stripped.
Also: the county report drawn from either tree is the same PDF, page by page."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import tinyhtml5
from weasyprint import HTML

from reports import htmlparse, pdf, selectors
from schools.models import District
from tests.integration.reports.conftest import DEMO_YEAR, pdf_text

PROFILE = "quality-2017"
PDF_TEMPLATES = (
    "reports/pdf/county.html",
    "reports/pdf/school.html",
    "city/pdf/overview.html",
    "summaries/pdf/summary.html",
)
XMLNS = "{http://www.w3.org/2000/xmlns/}"


def shape(root: ElementTree.Element) -> list[tuple[Any, ...]]:
    """Every element in document order: depth, tag, attributes, and its text and tail stripped."""
    out: list[tuple[Any, ...]] = []

    def walk(element: ElementTree.Element, depth: int) -> None:
        if not isinstance(element.tag, str):
            return  # comments: neither parser's output is drawn
        attributes = sorted((k, v) for k, v in element.attrib.items() if not k.startswith(XMLNS) and k != "xmlns")
        out.append((depth, element.tag, attributes, (element.text or "").strip(), (element.tail or "").strip()))
        for child in element:
            walk(child, depth + 1)

    walk(root, 0)
    return out


def assert_same_tree(html: str) -> None:
    expected = shape(tinyhtml5.parse(html, namespace_html_elements=False))
    actual = shape(htmlparse.parse(html))
    assert len(actual) == len(expected)
    for mine, theirs in zip(actual, expected, strict=True):
        assert mine == theirs


def county_html(district: District) -> str:
    context = selectors.county_report_context(district=district, year=DEMO_YEAR, profile_name=PROFILE)
    context["generated_at"] = "2026-12-01 08:00"
    return pdf.render_html("reports/pdf/county.html", context)


def test_the_county_and_school_reports_parse_to_the_html5_tree(demo: District) -> None:
    html = county_html(demo)
    assert "<svg" in html and "viewBox" in html  # the charts: SVG's camel case is part of the check
    assert_same_tree(html)
    school = demo.schools.order_by("code").first()
    assert school is not None
    context = selectors.school_report_context(school=school, year=DEMO_YEAR, profile_name=PROFILE)
    assert_same_tree(pdf.render_html("reports/pdf/school.html", context))


@pytest.mark.parametrize("template", PDF_TEMPLATES)
def test_every_pdf_templates_markup_parses_to_the_html5_tree(template: str) -> None:
    assert_same_tree(pdf.render_html(template, {}))


def test_html5_rules_the_templates_may_meet() -> None:
    html = (
        '<!DOCTYPE html><html><body><table><tr><td>a</td></tr></table><svg viewBox="0 0 2 2">'
        '<linearGradient id="g"/><rect width="1" height="1"/></svg><p>x &amp; y&nbsp;z</p></body></html>'
    )
    assert_same_tree(html)
    root = htmlparse.parse(html)
    assert root.find("body/table/tbody/tr/td") is not None
    svg = root.find("body/{http://www.w3.org/2000/svg}svg")
    assert svg is not None and svg.get("viewBox") == "0 0 2 2"
    assert svg.find("{http://www.w3.org/2000/svg}linearGradient") is not None


def test_the_county_report_from_either_parser_is_the_same_pdf(demo: District, tmp_path: Path) -> None:
    html = county_html(demo)
    ours = pdf.html_to_pdf(html)
    assets = pdf.thread_assets()
    with pdf.RENDER_LOCK:
        theirs = HTML(string=html, base_url=pdf.static_base_url(), url_fetcher=assets.fetcher).write_pdf(
            stylesheets=[assets.stylesheet], font_config=assets.font_config
        )
    assert pdf_text(ours.data, tmp_path) == pdf_text(theirs, tmp_path)
    assert page_images(ours.data, tmp_path / "ours") == page_images(theirs, tmp_path / "theirs")


def page_images(data: bytes, folder: Path) -> list[bytes]:
    """Each page drawn at 50 dpi (pdftoppm), as PNG bytes: equal bytes, equal pixels."""
    folder.mkdir()
    (folder / "in.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(folder / "in.pdf"), str(folder / "p")], check=True)
    return [path.read_bytes() for path in sorted(folder.glob("p-*.png"))]


@pytest.mark.parametrize("text", ["甲\x0b乙", "甲\x00乙", "甲\x1f乙", "甲\ufffe乙", "甲&#xFFFE;乙", "甲\ud800乙"])
def test_characters_xml_cannot_hold_are_dropped_not_fatal(text: str) -> None:
    """A name pasted from a spreadsheet may carry a control character: the report still renders,
    without it (it draws nothing), instead of failing the parse or showing U+FFFD."""
    root = htmlparse.parse(f"<!DOCTYPE html><html><head></head><body><p>{text}</p></body></html>")
    paragraph = root.find("body/p")
    assert paragraph is not None and paragraph.text == "甲乙"
