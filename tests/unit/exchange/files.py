"""Small crafted files for the data-exchange tests of issue #7 (unit and integration): workbooks
in the template's format and hostile ones (zip bomb, password-protected, DTD, formulas, merged
header cells …).

Plain functions returning bytes; no database.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook

from schools.spreadsheet import column_header

SHEET = "学校统计"
# Spreadsheet dates have no time zone: naive datetimes are what openpyxl reads and writes.
NAIVE_DATE = datetime(2025, 9, 1)  # noqa: DTZ001


def xlsx(
    rows: Iterable[Sequence[Any]],
    *,
    headers: Sequence[str],
    sheet: str = SHEET,
    above: Sequence[Sequence[Any]] = (),
    merge: str | None = None,
) -> bytes:
    """A workbook whose first sheet has `above` rows (titles), the header row, then `rows`."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    for line in above:
        ws.append(list(line))
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    if merge:
        ws.merge_cells(merge)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_rows(records: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[list[Any]]:
    return [[record.get(k) for k in keys] for record in records]


def template_headers(keys: Sequence[str]) -> list[str]:
    return [column_header(k) for k in keys]


def zip_bomb(size: int = 60 * 1024 * 1024) -> bytes:
    """An 'xlsx' whose one sheet inflates from tens of kilobytes to `size` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * size)
    return out.getvalue()


def with_doctype(data: bytes) -> bytes:
    """A valid workbook whose shared strings declare an entity (billion laughs style)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/workbook.xml":
                content = b'<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>' + content
            archive.writestr(info, content)
    return out.getvalue()


def password_protected() -> bytes:
    """The start of an encrypted OOXML file: an OLE2 container with EncryptionInfo/EncryptedPackage."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    return header + directory + b"\x00" * 2048


def legacy_xls() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 2048


def corrupt_xlsx(data: bytes) -> bytes:
    """A workbook cut in half: the zip's directory is gone."""
    return data[: len(data) // 2]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
