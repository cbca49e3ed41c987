"""The report's HTML parsed by libxml2 (lxml) for WeasyPrint, instead of its pure-Python parser.

WeasyPrint parses a document with tinyhtml5, an HTML5 parser written in Python: 0.13 s of CPU for
the county report's 104 KB, about 6 % of its whole render, paid again by every part of a split
render. libxml2's HTML parser builds the same tree in about 0.01 s. Both trees are handed to
WeasyPrint as the standard library's ElementTree, which is what tinyhtml5 returns.

The two parsers differ where the report templates could notice, and those differences are
undone here, as the HTML5 parser would have it:

* libxml2 lower-cases every name, so SVG's camel-case tags and attributes (`viewBox`,
  `linearGradient`) get their case back from tinyhtml5's own tables;
* an inline `<svg>` belongs to the SVG namespace even without an `xmlns` attribute;
* a `<tr>` written directly in a `<table>` goes into a `<tbody>`;
* a document without `<head>` gets an empty one;
* characters XML cannot hold (control characters a spreadsheet may leave in a name) are dropped.

Whitespace between block elements may land in a neighbouring node's tail, which WeasyPrint
collapses either way. tests/unit/reports/test_htmlparse.py compares both parsers' trees for
each report template, so a template that relies on another HTML5 rule fails there first.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

import lxml.etree
import lxml.html
from tinyhtml5.constants import adjust_svg_attributes

SVG_NS = "http://www.w3.org/2000/svg"
# The SVG element names that are not all lower case (the HTML5 parser's "adjust SVG tag names").
SVG_TAGS = {
    name.lower(): name
    for name in [
        "altGlyph", "altGlyphDef", "altGlyphItem", "animateColor", "animateMotion", "animateTransform",
        "clipPath", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
        "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feFlood", "feFuncA", "feFuncB",
        "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge", "feMergeNode", "feMorphology",
        "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
        "foreignObject", "glyphRef", "linearGradient", "radialGradient", "textPath",
    ]
}  # fmt: skip


# Characters an XML document cannot hold: C0 controls but tab and line ends, surrogates,
# U+FFFE and U+FFFF. A name pasted from a spreadsheet may carry one (a vertical tab from a cell's
# line break); they draw nothing, so they are dropped rather than shown as U+FFFD or refused.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def parse(html: str) -> ElementTree.Element:
    """The root `<html>` element of the document, as tinyhtml5 (namespace_html_elements=False)
    would give it."""
    root = lxml.html.document_fromstring(NOT_XML.sub("", html))
    if root.find("head") is None:
        root.insert(0, lxml.html.Element("head"))
    for svg in root.iter("svg"):
        if svg.get("xmlns") is None:
            svg.set("xmlns", SVG_NS)
        for element in svg.iter(lxml.etree.Element):
            if element.tag in SVG_TAGS:
                element.tag = SVG_TAGS[element.tag]
            for name in [name for name in element.attrib if name in adjust_svg_attributes]:
                element.attrib[adjust_svg_attributes[name]] = element.attrib.pop(name)
    for table in root.iter("table"):
        _rows_into_tbody(table)
    # What expat reads here is libxml2's serialisation of one element: no DOCTYPE, so no entity
    # declarations, and every text a user typed already escaped. A character reference (&#xFFFE;)
    # may have made a character XML cannot hold: dropped too.
    serialised = NOT_XML.sub("", lxml.etree.tostring(root, encoding="unicode"))
    return ElementTree.fromstring(serialised)  # noqa: S314


def _rows_into_tbody(table: lxml.html.HtmlElement) -> None:
    """Each run of `<tr>` children of a table wrapped in a `<tbody>` of its own."""
    body = None
    for child in list(table):
        if child.tag != "tr":
            body = None
            continue
        if body is None:
            body = lxml.html.Element("tbody")
            child.addprevious(body)
        body.append(child)
