"""Build the report font: Noto Sans CJK SC cut down to GB2312, ASCII and the usual symbols.

    .venv/bin/python -m reports.fontbuild [--source-dir /usr/share/fonts/opentype/noto] [--out static/reports/fonts]

Why: WeasyPrint loads, shapes with and subsets every font a PDF uses, on every render. The
system's Noto Sans CJK (Debian's fonts-noto-cjk) is a 19 MB collection of 65,535 CFF glyphs;
this subset keeps the 6,763 GB2312 hanzi, the GB2312 symbols, Latin-1, general punctuation,
CJK punctuation, full-width forms, circled numbers, arrows and maths operators (about 8,700
glyphs, 3 MB per weight), with horizontal layout features only. Characters outside it (rare
names) fall back to the system font, which stays in the stylesheet's font-family.

The result is committed (static/reports/fonts/) with the SIL Open Font License text. It is a
Modified Version under the OFL, so it carries its own name ("Report Sans SC"); "Source" is
the Reserved Font Name of the upstream fonts and is not used. Run once; the output is
deterministic for a given source font and fontTools version.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SOURCES = {"Regular": "NotoSansCJK-Regular.ttc", "Bold": "NotoSansCJK-Bold.ttc"}
FAMILY = "Report Sans SC"
SC_INDEX_NAME = "Noto Sans CJK SC"  # the collection member to take
LAYOUT_FEATURES = ["ccmp", "locl", "calt", "clig", "liga", "rlig", "kern", "mark", "mkmk"]
RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: ¥ · × ÷ ° ± ² ³
    (0x2010, 0x206F),  # general punctuation: — ‘ ’ “ ” … ‰ ※
    (0x2100, 0x214F),  # letterlike: ℃ № ™
    (0x2150, 0x218F),  # number forms: Ⅰ Ⅱ Ⅲ
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # maths: ≤ ≥ √ ∑ ≈ ≠
    (0x2460, 0x24FF),  # ① ②
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # ● ○ ■ □ ▲
    (0x2600, 0x26FF),  # ★ ☆
    (0x3000, 0x303F),  # CJK punctuation: 、 。 〔 〕 《 》 「 」
    (0x3200, 0x32FF),  # enclosed CJK: ㈠
    (0xFF00, 0xFFEF),  # full-width forms: ( ) , : ; ¥
)


def codepoints() -> set[int]:
    """GB2312 (every character its codec decodes) plus the ranges above."""
    points: set[int] = set()
    for first, last in RANGES:
        points.update(range(first, last + 1))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return points


def build(source: Path, style: str, out: Path) -> Path:
    # fontTools ships no type hints (and the project's mypy overrides are not this module's).
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    collection = TTCollection(str(source))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == SC_INDEX_NAME)
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = False  # smaller file; WeasyPrint's HarfBuzz subsetter handles both
    options.layout_features = LAYOUT_FEATURES
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE"]  # horizontal text only
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints())
    subsetter.subset(font)
    postscript = f"ReportSansSC-{style}"
    names = font["name"]
    version = names.getDebugName(5) or ""
    for record in list(names.names):
        if record.nameID in (1, 2, 3, 4, 6, 16, 17):
            names.removeNames(nameID=record.nameID)
    for name_id, text in (
        (1, FAMILY),
        (2, style),
        (3, f"{postscript};{version};GB2312 subset of Noto Sans CJK SC"),
        (4, f"{FAMILY} {style}"),
        (6, postscript),
    ):
        names.setName(text, name_id, 3, 1, 0x409)
        names.setName(text, name_id, 1, 0, 0)
    cff = font["CFF "].cff
    cff.fontNames = [postscript]
    target = out / f"{postscript}.otf"
    font.save(str(target))
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", default="/usr/share/fonts/opentype/noto")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "static/reports/fonts"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for style, filename in SOURCES.items():
        target = build(Path(args.source_dir) / filename, style, out)
        print(f"{target} {target.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
