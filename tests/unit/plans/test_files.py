"""Unit tests for plans/files.py: a file's kind is judged by its content, never by its name, and
evidence is stored under its checksum.

The sample builders here (`pdf_bytes`, `png_bytes`, …) make small but real files; the service,
view and browser tests of plans import them.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from plans import files

# --- sample files ------------------------------------------------------------------------------


def pdf_bytes(text: str = "evidence") -> bytes:
    """A tiny but well-formed PDF (one empty page)."""
    body = (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
    )
    return body + f"% {text}\n".encode() + b"trailer << /Root 1 0 R >>\n%%EOF\n"


def png_bytes() -> bytes:
    """A real 1x1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"


def zip_bytes(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    """The parts a Word reader needs: content types, the package relationship and the document."""
    return zip_bytes(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                'wordprocessingml.document.main+xml"/></Types>'
            ),
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": (
                '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                'main"><w:body><w:p><w:r><w:t>年度自评佐证</w:t></w:r></w:p></w:body></w:document>'
            ),
        }
    )


def xlsx_bytes() -> bytes:
    """A real workbook written by openpyxl."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["指标", "实际值"])
    sheet.append(["校本课程数", 3])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def exe_bytes() -> bytes:
    """The start of a Windows executable (MZ header, PE signature)."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00" + b"\x00" * 64


def text_bytes() -> bytes:
    return "这不是图片,只是一段文字。\n".encode()


def plain_zip_bytes() -> bytes:
    """A zip that is not an Office document (no [Content_Types].xml, no word/ or xl/ parts)."""
    return zip_bytes({"readme.txt": "hello", "data/table.csv": "a,b\n1,2\n"})


ACCEPTED = {
    "pdf": pdf_bytes,
    "png": png_bytes,
    "docx": docx_bytes,
    "xlsx": xlsx_bytes,
}
REFUSED = {
    "exe": exe_bytes,
    "text": text_bytes,
    "zip": plain_zip_bytes,
}


# --- sniff -------------------------------------------------------------------------------------


def sniff(data: bytes) -> str | None:
    return files.sniff(data[:16], data)


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (pdf_bytes, "pdf"),
        (png_bytes, "png"),
        (jpeg_bytes, "jpeg"),
        (docx_bytes, "docx"),
        (xlsx_bytes, "xlsx"),
        (lambda: files.OLE2 + b"\x00" * 504, "office97"),
    ],
    ids=["pdf", "png", "jpeg", "docx", "xlsx", "doc-xls"],
)
def test_sniff_recognises_allowed_kinds_by_content(build, kind: str) -> None:
    assert sniff(build()) == kind


@pytest.mark.parametrize(
    "data",
    [
        exe_bytes(),
        text_bytes(),
        plain_zip_bytes(),
        zip_bytes({"[Content_Types].xml": "<Types/>", "ppt/slides/slide1.xml": "<p/>"}),  # PowerPoint
        zip_bytes({"word/document.xml": "<w/>"}),  # Word parts without the package's content types
        b"PK\x03\x04" + b"not really a zip" * 4,
        b"<html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"",
        b"  %PDF-1.4 (not at the start)",
    ],
    ids=[
        "exe",
        "text",
        "zip",
        "pptx",
        "word-without-content-types",
        "broken-zip",
        "html",
        "svg",
        "empty",
        "pdf-marker-not-first",
    ],
)
def test_sniff_refuses_other_content(data: bytes) -> None:
    assert sniff(data) is None


def test_sniff_refuses_a_zip_with_too_many_entries() -> None:
    entries = {"[Content_Types].xml": "<Types/>", **{f"word/part{i}.xml": "" for i in range(files.ZIP_ENTRIES_LIMIT)}}
    assert sniff(zip_bytes(entries)) is None
    assert sniff(zip_bytes(dict(list(entries.items())[:50]))) == "docx"


def test_sniff_needs_the_whole_file_to_judge_a_zip() -> None:
    data = docx_bytes()
    assert files.sniff(data[:16]) is None
    assert files.sniff(data[:16], data) == "docx"


# --- store -------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def test_store_writes_the_bytes_under_their_sha256(media: Path) -> None:
    data = pdf_bytes("store")
    digest = files.store(data)
    assert digest == hashlib.sha256(data).hexdigest()
    path = media / "evidence" / digest
    assert path.read_bytes() == data
    assert files.path_of(digest) == path


def test_store_is_idempotent_and_leaves_no_partial_files(media: Path) -> None:
    data = png_bytes()
    first = files.store(data)
    stamp = (media / "evidence" / first).stat().st_mtime_ns
    assert files.store(data) == first
    assert (media / "evidence" / first).stat().st_mtime_ns == stamp  # not written again
    other = files.store(pdf_bytes("other"))
    assert sorted(p.name for p in (media / "evidence").iterdir()) == sorted([first, other])


def test_evidence_dir_is_made_under_media_root(media: Path) -> None:
    assert not media.exists()
    assert files.evidence_dir() == media / "evidence"
    assert (media / "evidence").is_dir()
