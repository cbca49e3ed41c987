"""The county report rendered in parts at once (reports.pdfsplit) is the document rendered whole:
the same pages with the same text, page numbers "第 X 页 / 共 Y 页" running across the parts, a
table of contents whose numbers are the pages its chapters start on and whose entries link there,
the same outline, each font embedded once (no larger file); a part that fails leaves the whole
document rendered in one process. Read back with pdftotext, pdffonts and pikepdf. Nothing timed."""

from __future__ import annotations

import io
import logging
import os
import re
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from reports import pdf, pdfsplit, selectors
from schools.models import District
from tests.integration.reports.conftest import DEMO_YEAR, pdf_fonts, pdf_text

PROFILE = "quality-2017"
FOOTER = re.compile(r"第 (\d+) 页 / 共 (\d+) 页")
TOC_LINE = re.compile(r"^\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$")
GENERATED = re.compile(r"(生成时间|报告生成时间)\S*\s*\S*")


def county_html(district: District) -> str:
    context = selectors.county_report_context(district=district, year=DEMO_YEAR, profile_name=PROFILE)
    context["generated_at"] = "2026-12-01 08:00"  # the same in both renders
    return pdf.render_html("reports/pdf/county.html", context)


def pages_text(data: bytes, tmp_path: Path) -> list[str]:
    with pikepdf.open(io.BytesIO(data)) as document:
        count = len(document.pages)
    return pdf_text(data, tmp_path).split("\f")[:count]


@pytest.fixture
def renders(demo: District, settings: Any, caplog: pytest.LogCaptureFixture) -> dict[str, pdf.RenderedPDF]:
    html = county_html(demo)
    settings.REPORT_RENDER_PROCESSES = 1
    whole = pdfsplit.render_split(html)
    settings.REPORT_RENDER_PROCESSES = 4
    settings.REPORT_SPLIT_LOAD = 0  # in parts whatever the machine's load
    with caplog.at_level(logging.WARNING, logger="reports.pdfsplit"):
        split = pdfsplit.render_split(html)
    assert "rendering one document" not in caplog.text, caplog.text  # the parts did render apart
    return {"whole": whole, "split": split}


def test_the_report_marks_its_parts_and_each_begins_a_document(demo: District) -> None:
    documents = pdfsplit.split_html(county_html(demo))
    assert documents is not None and len(documents) == 4
    assert all(d.startswith("<!DOCTYPE html>") and d.rstrip().endswith("</html>") for d in documents)
    # The running title goes into every part, each chapter into exactly one.
    assert all('class="title-string"' in d for d in documents)
    for anchor in ("ch-basic", "ch-cv", "ch-conclusion", "app-method", "app-snapshot"):
        assert sum(f'id="{anchor}"' in d for d in documents) == 1
    assert pdfsplit.split_html("<html><body><p>one</p></body></html>") is None


def test_split_pages_are_the_whole_documents_pages(renders: dict[str, pdf.RenderedPDF], tmp_path: Path) -> None:
    whole, split = renders["whole"], renders["split"]
    assert split.pages == whole.pages >= 10
    assert split.refused == []
    whole_pages, split_pages = pages_text(whole.data, tmp_path), pages_text(split.data, tmp_path)
    assert len(split_pages) == split.pages
    for number, (a, b) in enumerate(zip(whole_pages, split_pages, strict=True), start=1):
        assert GENERATED.sub("", a) == GENERATED.sub("", b), f"page {number} differs"
    # Page numbers run across the parts: every page but the cover says its number and the total.
    for number, text in enumerate(split_pages, start=1):
        found = FOOTER.findall(text)
        if number == 1:
            assert found == []  # the cover has no footer
        else:
            assert found == [(str(number), str(split.pages))], (number, found)


def test_the_contents_give_the_pages_the_chapters_start_on_and_link_there(
    renders: dict[str, pdf.RenderedPDF], tmp_path: Path
) -> None:
    split = renders["split"]
    texts = pages_text(split.data, tmp_path)
    toc_page = next(i for i, t in enumerate(texts) if "目录" in t and "一、基本情况" in t)
    entries = [m.groups() for line in texts[toc_page].splitlines() if (m := TOC_LINE.match(line))]
    assert len(entries) == 10, entries
    for title, number in entries:
        page = int(number)
        # The chapter's heading is on that page (and on no earlier page after the contents).
        assert title in texts[page - 1], (title, page)
        assert all(title not in t for t in texts[toc_page + 1 : page - 1]), (title, page)
    with pikepdf.open(io.BytesIO(split.data)) as document:
        page_numbers = {page.obj.objgen: n for n, page in enumerate(document.pages, start=1)}
        annotations = list(document.pages[toc_page].obj.get("/Annots", []))
        targets = sorted(page_numbers[a.Dest[0].objgen] for a in annotations if "/Dest" in a)
    assert targets and set(targets) == {int(number) for _title, number in entries}


def test_outline_metadata_and_fonts_are_those_of_one_document(
    renders: dict[str, pdf.RenderedPDF], tmp_path: Path
) -> None:
    def outline(data: bytes) -> tuple[list[Any], dict[str, str]]:
        def walk(items: Any, numbers: dict[Any, int]) -> list[Any]:
            # (title, page number, children) of every bookmark
            return [(i.title, numbers[i.destination[0].objgen], walk(i.children, numbers)) for i in items]

        with pikepdf.open(io.BytesIO(data)) as document, document.open_outline() as tree:
            numbers = {page.obj.objgen: n for n, page in enumerate(document.pages, start=1)}
            info = {k: str(document.docinfo[k]) for k in ("/Title", "/Author", "/Creator")}
            return walk(tree.root, numbers), info

    (split_outline, split_info), (whole_outline, whole_info) = (outline(renders[k].data) for k in ("split", "whole"))
    assert split_outline == whole_outline and len(split_outline) >= 10
    assert split_info == whole_info
    # Each font once, embedded and subset, as in the single document; so no larger a file.
    split_fonts = pdf_fonts(renders["split"].data, tmp_path)
    whole_fonts = pdf_fonts(renders["whole"].data, tmp_path)
    assert sorted(f["name"] for f in split_fonts) == sorted(f["name"] for f in whole_fonts)
    assert len({f["name"] for f in split_fonts}) == len(split_fonts)
    assert all(f["emb"] == "yes" and f["sub"] == "yes" and f["uni"] == "yes" for f in split_fonts)
    assert len(renders["split"].data) < 1.25 * len(renders["whole"].data)


def test_a_part_leaves_the_report_font_to_the_join_which_cuts_it_once(demo: District) -> None:
    """A part does not cut the fonts this process can cut at the join: its PDF carries a 4-byte
    stub for them, and the joined document the real subset, with the glyphs of every part."""
    pdf.warm_up()  # this process has drawn with the report font: the join can cut it
    documents = pdfsplit.split_html(county_html(demo))
    assert documents is not None
    parts = [pdfsplit._render_part(document, lambda count, anchors: (0, 99)) for document in documents[1:]]
    deferred = [use for part in parts for use in part.fonts.values() if use.deferred]
    assert {"Report-Sans-SC", "Report-Sans-SC-Bold"} <= {use.name.split("+", 1)[1] for use in deferred}

    def font_files(data: bytes) -> list[int]:
        """The size of each embedded font file."""
        sizes = []
        with pikepdf.open(io.BytesIO(data)) as document:
            for obj in document.objects:
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                    sizes += [len(obj[key].read_bytes()) for key in ("/FontFile3", "/FontFile2") if key in obj]
        return sizes

    assert 4 in font_files(parts[0].pdf)  # the stub in the part
    joined = pdfsplit.merge(parts)
    assert min(font_files(joined)) > 1000  # real fonts in the document
    regular = [use for use in deferred if use.name.endswith("+Report-Sans-SC")]
    assert len(set().union(*(use.to_unicode for use in regular))) > max(len(use.to_unicode) for use in regular)


def test_busy_cores_render_one_document(demo: District, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.REPORT_SPLIT_LOAD = 1e-9  # any load average is above it: the cores count as busy
    monkeypatch.setattr(pdfsplit, "_render_parallel", lambda *a: pytest.fail("rendered in parts"))
    assert not pdfsplit.cores_idle()
    rendered = pdfsplit.render_split(county_html(demo))
    assert rendered.pages >= 10


def test_a_failing_part_leaves_the_whole_document_rendered(
    demo: District,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.REPORT_SPLIT_LOAD = 0
    parent = os.getpid()
    real = pdfsplit._render_part

    def failing_in_a_part(*args: Any, **kwargs: Any) -> pdfsplit.Part:
        if os.getpid() != parent:
            raise RuntimeError("a part broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(pdfsplit, "_render_part", failing_in_a_part)
    html = county_html(demo)
    with caplog.at_level(logging.WARNING, logger="reports.pdfsplit"):
        rendered = pdfsplit.render_split(html)
    assert "a part broke" in caplog.text and "rendering one document" in caplog.text
    texts = pages_text(rendered.data, tmp_path)
    assert len(texts) == rendered.pages
    assert FOOTER.findall(texts[-1]) == [(str(rendered.pages), str(rendered.pages))]
