"""A work summary as blocks: editable text with figure placeholders, and data blocks.

The design (README, "Work summaries"): a draft is an ordered list of blocks. Text blocks
(headings, paragraphs, the signature) hold the clerk's words and may name figures as
``{{名称}}`` placeholders; data blocks (tables, lists of problems or actions) hold no text at all,
only the name of what they show. A version stores the blocks; every rendering (the page's
preview, DOCX, PDF) fills the placeholders and builds the data blocks from the data as it is
then. So an edited draft keeps its words and always shows current figures, and nothing the
clerk wrote is ever regenerated over.

Pure: no Django, no database. The figures come in as a `Figures` mapping (name → text) and the
data blocks as already built elements; `render` puts them together into `Element`s that the
DOCX writer and the HTML template lay out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

PLACEHOLDER: Final = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
MAX_BLOCK_CHARS: Final = 20_000  # a text block (a few pages of prose)
MAX_BLOCKS: Final = 200

BlockType = Literal["title", "heading1", "heading2", "text", "sign", "data"]
TEXT_TYPES: Final = ("title", "heading1", "heading2", "text", "sign")


@dataclass(frozen=True)
class Block:
    """One block of a draft: ``text`` for text types, ``data`` (the data block's name) for data."""

    id: str
    type: BlockType
    text: str = ""
    data: str = ""

    @property
    def editable(self) -> bool:
        return self.type in TEXT_TYPES

    def to_dict(self) -> dict[str, str]:
        out = {"id": self.id, "type": self.type}
        if self.type == "data":
            out["data"] = self.data
        else:
            out["text"] = self.text
        return out

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> Block:
        kind = str(raw.get("type", "text"))
        if kind not in (*TEXT_TYPES, "data"):
            kind = "text"
        return Block(str(raw["id"]), kind, str(raw.get("text", "")), str(raw.get("data", "")))  # type: ignore[arg-type]


def blocks_from(raw: Sequence[Mapping[str, Any]]) -> list[Block]:
    return [Block.from_dict(item) for item in raw]


def blocks_json(blocks: Sequence[Block]) -> list[dict[str, str]]:
    return [b.to_dict() for b in blocks]


# --- the laid-out document ------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int  # 0 the title, 1 一、, 2 (一)
    text: str
    kind: str = "heading"  # for templates, which cannot ask for a class


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: Literal["body", "item", "note", "sign"] = "body"
    kind: str = "paragraph"


@dataclass(frozen=True)
class Table:
    """A table: a caption, a header row and rows of text; ``bad`` marks cells to show in red."""

    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float] = ()  # relative column widths
    bad: Sequence[Sequence[bool]] = ()
    numeric: Sequence[bool] = ()  # columns aligned right
    kind: str = "table"

    def is_bad(self, row: int, column: int) -> bool:
        return row < len(self.bad) and column < len(self.bad[row]) and self.bad[row][column]

    @property
    def cells(self) -> list[list[tuple[str, bool, bool]]]:
        """Rows of (text, bad, numeric) for templates."""
        return [
            [(text, self.is_bad(r, c), c < len(self.numeric) and self.numeric[c]) for c, text in enumerate(row)]
            for r, row in enumerate(self.rows)
        ]


Element = Heading | Paragraph | Table


@dataclass
class Rendered:
    """The document as laid out: its title, subtitle (for the PDF's cover line) and elements."""

    title: str
    elements: list[Element] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Every word of the document, paragraphs and table cells, one per line (for tests)."""
        lines: list[str] = []
        for element in self.elements:
            if isinstance(element, Table):
                lines.append(element.caption)
                lines.append(" | ".join(element.headers))
                lines.extend(" | ".join(row) for row in element.rows)
            else:
                lines.append(element.text)
        return "\n".join(lines)


# --- placeholders ---------------------------------------------------------------------------------


def placeholders(text: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(text)]


def unknown_placeholders(blocks: Sequence[Block], known: Mapping[str, str] | Sequence[str]) -> list[str]:
    """Placeholder names in the text blocks that are not figures, in order, once each."""
    names = set(known)
    seen: list[str] = []
    for block in blocks:
        if block.editable:
            for name in placeholders(block.text):
                if name not in names and name not in seen:
                    seen.append(name)
    return seen


def fill(text: str, figures: Mapping[str, str]) -> str:
    """The text with each known placeholder replaced by its figure (unknown ones stay as typed)."""
    return PLACEHOLDER.sub(lambda m: figures.get(m.group(1), m.group(0)), text)


def render(
    blocks: Sequence[Block],
    figures: Mapping[str, str],
    data: Callable[[str], Sequence[Element]],
) -> Rendered:
    """Lay the blocks out: text filled with the figures (a paragraph per line), data blocks built.

    An empty text block gives nothing (that is how a clerk removes a paragraph); a data block
    whose name `data` does not know gives nothing either.
    """
    title = ""
    out: list[Element] = []
    for block in blocks:
        if block.type == "data":
            out.extend(data(block.data))
            continue
        text = fill(block.text, figures).strip()
        if not text:
            continue
        if block.type == "title":
            title = " ".join(text.split())
            out.append(Heading(0, title))
        elif block.type in ("heading1", "heading2"):
            out.append(Heading(1 if block.type == "heading1" else 2, " ".join(text.split())))
        else:
            style: Literal["body", "sign"] = "sign" if block.type == "sign" else "body"
            out.extend(Paragraph(line.strip(), style) for line in text.splitlines() if line.strip())
    return Rendered(title, _numbered(out))


def _numbered(elements: list[Element]) -> list[Element]:
    """Tables captioned 表1, 表2 … in the order they appear (data blocks do not know their place)."""
    out: list[Element] = []
    n = 0
    for element in elements:
        if isinstance(element, Table) and element.caption:
            n += 1
            element = Table(
                f"表{n} {element.caption}", element.headers, element.rows, element.widths, element.bad, element.numeric
            )
        out.append(element)
    return out


def merge_edits(blocks: Sequence[Block], edits: Mapping[str, str]) -> list[Block]:
    """The blocks with the edited text of each editable block (by id); data blocks unchanged.

    Text is normalised (Windows line ends, trailing spaces) so that an unchanged form compares
    equal to the stored version.
    """
    out = []
    for block in blocks:
        if block.editable and block.id in edits:
            out.append(Block(block.id, block.type, normalise(edits[block.id])))
        else:
            out.append(block)
    return out


def normalise(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()
