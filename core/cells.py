"""The one writer of spreadsheet cells: no text the product writes can become a live formula.

A school named ``=HYPERLINK("http://evil.example/","点我")`` must come out of every workbook as
that text, not as a link Excel follows. OWASP's CSV-injection rule: a cell whose text begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken by Excel, WPS and LibreOffice as a
formula. Here such text is written as a string cell (openpyxl would otherwise store any text
beginning with ``=`` as a formula) with the "quote prefix" style, so the program shows it as
typed and keeps it text even when someone edits the cell. Numbers stay numbers (a negative
number is a number, not text); codes written as text stay text.

Every workbook is made by `workbook()`: its sheets write through `Worksheet.cell(..., value)`,
`Worksheet.append(...)` and ``ws["A1"] = ...`` as usual, and each of those goes through
`as_text`. `to_bytes` saves it. A module that wrote cells another way (openpyxl's own
``Workbook``, ``cell.value = ...``) would bypass this; ``tests/unit/test_cells.py`` fails when
product code does so. CSV goes through `csv_bytes`, which prefixes such text with an apostrophe
(CSV has no cell types).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """True for text a spreadsheet program would read as a formula (OWASP CSV injection)."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def as_text(cell: Any) -> Any:
    """Make `cell` a literal text cell when its value is formula-like text (or a formula)."""
    value = cell.value
    if cell.data_type == "f" and not isinstance(value, str):
        # An ArrayFormula or DataTableFormula object: keep what it says, as text.
        value = str(getattr(value, "text", "") or "")
        cell.value = value
    if isinstance(value, str) and (cell.data_type == "f" or formula_like(value)):
        cell.data_type = "s"  # openpyxl wrote "=…" as a formula; "s" is an inline string
        cell.quotePrefix = True  # Excel and LibreOffice keep it text when the cell is edited
    return cell


class _Sheet(Worksheet):
    """A worksheet whose cell(), append() and item assignment write formula-like text as text."""

    def cell(self, row: int, column: int, value: Any = None) -> Any:
        written = super().cell(row, column, value)
        return as_text(written) if value is not None else written

    def append(self, iterable: Iterable[Any]) -> None:
        super().append([self._safe(value) for value in iterable])

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        as_text(self[key])

    def _safe(self, value: Any) -> Any:
        if isinstance(value, Cell):
            return as_text(value)
        return as_text(Cell(self, value=value)) if formula_like(value) else value


class _StreamSheet(WriteOnlyWorksheet):
    """A write-only (streaming) worksheet whose rows write formula-like text as text."""

    def append(self, row: Iterable[Any]) -> None:
        super().append([self._safe(value) for value in row])

    def _safe(self, value: Any) -> Any:
        if isinstance(value, Cell):
            return as_text(value)
        return as_text(WriteOnlyCell(self, value)) if formula_like(value) else value


class _SafeWorkbook(Workbook):
    """openpyxl's Workbook whose sheets are the safe ones above (openpyxl 3.1, pinned)."""

    def __init__(self, *, write_only: bool = False) -> None:
        super().__init__(write_only=write_only)
        if not write_only:
            self._sheets = [_Sheet(self)]  # in place of the default first sheet

    def create_sheet(self, title: str | None = None, index: int | None = None) -> Any:
        sheet = _StreamSheet(self, title) if self.write_only else _Sheet(self, title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet


def workbook(*, write_only: bool = False) -> Any:
    """A new workbook whose every sheet writes formula-like text as text (see the module)."""
    return _SafeWorkbook(write_only=write_only)


def new_cell(sheet: Any, value: Any = None) -> Any:
    """A free-standing cell of a streaming sheet (to style or comment before appending it)."""
    return as_text(WriteOnlyCell(sheet, value))


def to_bytes(book: Any) -> bytes:
    """The workbook as XLSX bytes."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(value: Any) -> str:
    """A CSV field: formula-like text gets a leading apostrophe, which spreadsheet programs show
    as a text marker rather than evaluate (CSV has no cell types to say "text")."""
    text = "" if value is None else str(value)
    return f"'{text}" if formula_like(text) and not isinstance(value, int | float) else text


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as UTF-8 CSV with a byte-order mark (so Excel reads the Chinese), every field through csv_text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
