"""Evidence files: what a file is, judged by its content (never by its name), and where it lives.

Accepted: PDF, PNG, JPEG, Word (.docx, .doc), Excel (.xlsx, .xls). Files are stored under
MEDIA_ROOT/evidence/<sha256> (outside any URL) and only ever sent as downloads.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from core.storage import private_dir, store_by_checksum

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (.doc / .xls)
ZIP_ENTRIES_LIMIT = 2000


def sniff(head: bytes, data: bytes | None = None) -> str | None:
    """The kind of a file from its first bytes (and, for zip-based Office files, its entries)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(OLE2):
        return "office97"  # .doc or .xls: both are accepted
    if head.startswith(b"PK\x03\x04") and data is not None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        if len(names) > ZIP_ENTRIES_LIMIT or "[Content_Types].xml" not in names:
            return None
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
    return None


def evidence_dir() -> Path:
    return private_dir("evidence")


def store(data: bytes) -> str:
    """Write the bytes under their checksum (idempotent, atomic) and return the sha256."""
    return store_by_checksum("evidence", data)


def path_of(sha256: str) -> Path:
    return evidence_dir() / sha256


def download(sha256: str, filename: str) -> FileResponse:
    """An evidence file as a download: never shown inline from our origin, never sniffed.

    Shared by every evidence download (plan progress, assessment items); the caller checks access.
    """
    path = path_of(sha256)
    if not path.exists():
        raise Http404(_("文件不存在"))
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
