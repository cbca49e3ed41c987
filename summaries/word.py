"""A rendered summary as a Word document (python-docx), for bureaus that finish it in Word or WPS.

Real structure rather than look-alike formatting: the title and the 一、/(一) headings use Word's
Title / Heading 1 / Heading 2 styles (the navigation pane and a table of contents see them),
tables are Word tables with a header row repeated on every page, and the footer carries PAGE and
NUMPAGES fields ("第 X 页 共 Y 页"), which Word and WPS fill in. The page follows the usual
format of official documents (GB/T 9704): A4, margins 37/35/28/26 mm, body in 仿宋 三号 (16 pt)
with a two-character first-line indent, headings in 黑体 / 楷体; tables in 宋体 五号.
"""

from __future__ import annotations

import io
from datetime import datetime

import docx
from docx import document as docx_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph as DocxParagraph

from summaries.blocks import Heading, Paragraph, Rendered, Table

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
TITLE_FONT = "宋体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
TABLE_SIZE = Pt(10.5)  # 五号
NOTE_SIZE = Pt(12)  # 小四
RED = RGBColor(0xC0, 0x39, 0x2B)
BLACK = RGBColor(0, 0, 0)
HEADER_SHADE = "E8EDF2"
TEXT_WIDTH_MM = 210 - 28 - 26


def _fonts(element: object, east_asian: str, latin: str = LATIN_FONT) -> None:
    """Set a style's or run's fonts: Latin text and East Asian text have separate slots."""
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(slot), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _style(doc: docx_document.Document, name: str, font: str, size: Pt, *, bold: bool = False) -> ParagraphStyle:
    style = doc.styles[name]
    assert isinstance(style, ParagraphStyle)
    style.font.size = size
    style.font.bold = bold
    style.font.color.rgb = BLACK
    _fonts(style.element, font)
    return style


def _setup(doc: docx_document.Document) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    normal = _style(doc, "Normal", BODY_FONT, BODY_SIZE)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    title = _style(doc, "Title", TITLE_FONT, TITLE_SIZE, bold=True)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(16)
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    title_ppr = title.element.get_or_add_pPr()
    for border in title_ppr.findall(qn("w:pBdr")):  # the default template underlines the title
        title_ppr.remove(border)
    for name, font, bold in (("Heading 1", HEADING_FONT, True), ("Heading 2", SUBHEADING_FONT, False)):
        heading = _style(doc, name, font, BODY_SIZE, bold=bold)
        heading.paragraph_format.space_before = Pt(6)
        heading.paragraph_format.space_after = Pt(0)
        heading.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        heading.paragraph_format.line_spacing = Pt(28)
        heading.paragraph_format.first_line_indent = Pt(32)
        heading.font.italic = False
    _page_numbers(doc)


def _field(paragraph: DocxParagraph, instruction: str) -> None:
    """A complex field (PAGE, NUMPAGES) that Word and WPS compute when they lay the page out."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for part in (begin, text, separate, shown, end):
        run._r.append(part)


def _page_numbers(doc: docx_document.Document) -> None:
    footer = doc.sections[0].footer
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    for text, instruction in (("第 ", "PAGE"), (" 页 共 ", "NUMPAGES")):
        paragraph.add_run(text)
        _field(paragraph, instruction)
    paragraph.add_run(" 页")
    for run in paragraph.runs:
        run.font.size = Pt(12)
        _fonts(run._r, TABLE_FONT)


def _shade(cell_element: object, fill: str) -> None:
    tcpr = cell_element.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tcpr.append(shading)


def _repeat_header(row_element: object) -> None:
    trpr = row_element.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _cell_text(
    paragraph: DocxParagraph, text: str, *, bold: bool = False, red: bool = False, right: bool = False
) -> None:
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.space_after = Pt(0)
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(text)
    run.font.size = TABLE_SIZE
    run.font.bold = bold
    if red:
        run.font.color.rgb = RED
    _fonts(run._r, TABLE_FONT)


def _table(doc: docx_document.Document, table: Table) -> None:
    caption = doc.add_paragraph(table.caption)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.first_line_indent = Pt(0)
    caption.paragraph_format.keep_with_next = True
    for run in caption.runs:
        run.font.size = Pt(12)
        run.font.bold = True
        _fonts(run._r, HEADING_FONT)
    grid = doc.add_table(rows=1, cols=len(table.headers))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = list(table.widths) if len(table.widths) == len(table.headers) else [1.0] * len(table.headers)
    total = sum(widths)
    header = grid.rows[0]
    _repeat_header(header._tr)
    for index, text in enumerate(table.headers):
        cell = header.cells[index]
        _cell_text(cell.paragraphs[0], text, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _shade(cell._tc, HEADER_SHADE)
    for r, values in enumerate(table.rows):
        cells = grid.add_row().cells
        for c, value in enumerate(values):
            right = c < len(table.numeric) and table.numeric[c]
            _cell_text(cells[c].paragraphs[0], value, red=table.is_bad(r, c), right=right)
    # Word reads the cells' widths, LibreOffice and WPS the table grid's: both are set.
    grid.autofit = False
    for index, column in enumerate(grid.columns):
        column.width = Mm(TEXT_WIDTH_MM * widths[index] / total)
    for row in grid.rows:
        for index, cell in enumerate(row.cells):
            cell.width = Mm(TEXT_WIDTH_MM * widths[index] / total)
    doc.add_paragraph().paragraph_format.line_spacing = Pt(10)  # air below the table


def _paragraph(doc: docx_document.Document, element: Paragraph) -> None:
    paragraph = doc.add_paragraph(element.text)
    fmt = paragraph.paragraph_format
    if element.style == "sign":
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        fmt.first_line_indent = Pt(0)
    elif element.style == "note":
        fmt.first_line_indent = Pt(0)
        fmt.line_spacing = Pt(20)
        for run in paragraph.runs:
            run.font.size = NOTE_SIZE
    else:
        fmt.first_line_indent = Pt(32)  # two characters of 三号


def to_docx(document: Rendered, *, author: str = "", created: datetime | None = None) -> bytes:
    """The summary as DOCX bytes."""
    doc = docx.Document()
    _setup(doc)
    props = doc.core_properties
    props.title = document.title
    props.author = author or "义务教育均衡发展管理平台"
    props.comments = "由义务教育均衡发展管理平台起草;数据读自存储的计算结果。"
    if created is not None:
        props.created = created
    for element in document.elements:
        if isinstance(element, Heading):
            doc.add_paragraph(element.text, style="Title" if element.level == 0 else f"Heading {element.level}")
        elif isinstance(element, Table):
            _table(doc, element)
        else:
            _paragraph(doc, element)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
