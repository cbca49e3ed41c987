"""core.cells, the one writer of spreadsheet cells (issue #12, point 1), and a guard that keeps it
the only one: product code may not make an openpyxl workbook or cell itself, assign a cell's value
directly, or write CSV with the csv module.

Every workbook the product writes today is read back in
tests/integration/exchange/test_formula_text.py; this guard is for the next one.
"""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core import cells

ROOT = Path(__file__).resolve().parents[2]
NOT_PRODUCT = {"tests", "bench", ".venv", "migrations", "node_modules", "staticfiles", "media"}
WRITER = ROOT / "core" / "cells.py"
OPENPYXL_WRITERS = {"Workbook", "Cell", "WriteOnlyCell", "MergedCell"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", True),
        ('=HYPERLINK("http://evil.example/","x")', True),
        ("+86 10 1234", True),
        ("-2+3", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("城关小学", False),
        ("1101010001", False),
        ("—", False),  # an em dash is not a minus
        ("", False),
        (-5, False),
        (None, False),
    ],
)
def test_formula_like_is_owasps_rule(value: object, expected: bool) -> None:
    assert cells.formula_like(value) is expected


def read_back(book: object) -> dict[str, tuple[object, str, bool]]:
    sheet = load_workbook(io.BytesIO(cells.to_bytes(book))).worksheets[-1]
    return {c.coordinate: (c.value, c.data_type, bool(c.quotePrefix)) for row in sheet.iter_rows() for c in row}


def test_every_way_of_writing_a_sheet_writes_text_as_text() -> None:
    book = cells.workbook()
    ws = book.active
    ws.append(["=1+1", -5, "-5", 2.5, "代码", None])
    ws.cell(2, 1, "@x")
    ws["B2"] = "+y"
    other = book.create_sheet("second")
    other.append(["=A1", 7])
    assert read_back(book) == {"A1": ("=A1", "s", True), "B1": (7, "n", False)}
    cells_of_first = {
        c.coordinate: (c.value, c.data_type, bool(c.quotePrefix))
        for row in load_workbook(io.BytesIO(cells.to_bytes(book))).worksheets[0].iter_rows()
        for c in row
        if c.value is not None
    }
    assert cells_of_first == {
        "A1": ("=1+1", "s", True),
        "B1": (-5, "n", False),  # a negative number stays a number
        "C1": ("-5", "s", True),
        "D1": (2.5, "n", False),
        "E1": ("代码", "s", False),
        "A2": ("@x", "s", True),
        "B2": ("+y", "s", True),
    }


def test_a_streaming_workbook_writes_text_as_text() -> None:
    book = cells.workbook(write_only=True)
    ws = book.create_sheet("s")
    ws.append([cells.new_cell(ws, "=1+1"), "=2+2", "\tx", 3])
    assert read_back(book) == {
        "A1": ("=1+1", "s", True),
        "B1": ("=2+2", "s", True),
        "C1": ("\tx", "s", True),
        "D1": (3, "n", False),
    }


def test_csv_fields_get_an_apostrophe_before_formula_like_text() -> None:
    data = cells.csv_bytes([["名称", "数"], ["=1+1", -5], ["-x", "正常"]])
    assert data.decode("utf-8-sig").splitlines() == ["名称,数", "'=1+1,-5", "'-x,正常"]


def _product_modules() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not NOT_PRODUCT.intersection(path.relative_to(ROOT).parts) and path != WRITER
    ]


def _bypasses(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openpyxl"):
            names = {alias.name for alias in node.names} & OPENPYXL_WRITERS
            if names:
                found.append(f"{where} imports {', '.join(sorted(names))} from {node.module}")
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and node.attr == "value":
            found.append(f"{where} assigns .value")
        elif isinstance(node, ast.Attribute) and node.attr in OPENPYXL_WRITERS | {"writer", "DictWriter"}:
            base = node.value
            if isinstance(base, ast.Name) and base.id in {"openpyxl", "csv"}:
                found.append(f"{where} uses {base.id}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            names = {alias.name for alias in node.names} & {"writer", "DictWriter"}
            if names:
                found.append(f"{where} imports csv.{', '.join(sorted(names))}")
    return found


def test_no_product_module_writes_cells_around_core_cells() -> None:
    modules = _product_modules()
    assert ROOT / "schools" / "spreadsheet.py" in modules and ROOT / "reports" / "xlsx.py" in modules
    bypasses = [line for path in modules for line in _bypasses(path)]
    assert bypasses == [], "write workbooks with core.cells.workbook() and CSV with core.cells.csv_bytes()"


def test_the_guard_sees_a_bypass(tmp_path: Path) -> None:
    sample = tmp_path / "writer.py"
    sample.write_text(
        "import csv\nimport openpyxl\nfrom openpyxl import Workbook\n"
        "wb = openpyxl.Workbook()\nwb.active['A1'].value = '=1'\nw = csv.writer(None)\n",
        encoding="utf-8",
    )
    assert sorted(line.split(" ", 1)[1] for line in _bypasses(sample, tmp_path)) == [
        "assigns .value",
        "imports Workbook from openpyxl",
        "uses csv.writer",
        "uses openpyxl.Workbook",
    ]
