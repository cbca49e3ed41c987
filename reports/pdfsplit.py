"""The county report in parallel: its parts laid out and drawn in forked processes, one PDF out.

A report template marks where a part may start on its own with PART_MARK, just before an element
that starts a new page anyway (`break-before: page`, or the first page after the cover), so a
part's pages are the pages the whole document would have. Part 0 is the cover and the table of
contents, rendered here; each other part is rendered by a forked process (`fork`: it inherits
the warmed-up fonts, stylesheet and Pango caches):

1. every process lays out its part (the costly step, WeasyPrint's layout) and reports its page
   count and on which of its pages each chapter heading (`h1[id]`, through the `anchor` named
   string of print.css) is;
2. this process then knows every part's first page number and the total: it sends each part its
   page offset and the total, and renders part 0, whose table of contents now carries the page
   numbers as text (`data-page`, TOC_CSS) instead of `target-counter()`;
3. every process makes its margin boxes with those numbers (a hook on WeasyPrint's
   `make_margin_boxes`: the running header, "第 X 页 / 共 Y 页"), draws its pages and returns its
   PDF, where each named anchor lies, and the glyphs and widths it used of each font;
4. the parts are joined with pikepdf (qpdf): pages in order, their outlines (bookmarks), the document's
   metadata, links from the table of contents to the chapters; each font is embedded once (a
   subset of the glyphs every part used, cut from the same font face WeasyPrint cut the parts'
   subsets from, with the union of their widths and Unicode maps), so the file is no larger than
   the single document's. The parts leave those fonts uncut (a stub in their place): each is cut
   once, at the join, not once per part (6 % of the render's CPU).

Anything unexpected (a process that fails or does not answer, page counts that do not add up)
falls back to rendering the whole document in this process, with a warning in the log.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import re
import signal
import socket
import threading
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from types import SimpleNamespace
from typing import Any, NoReturn

from django.conf import settings

from reports import pdf

log = logging.getLogger(__name__)

PART_MARK = "<!--report-part-->"

PLACEHOLDER = "000"  # page numbers of part 0's first layout (the widest a report has)
CHILD_TIMEOUT = 120.0  # seconds a part may take before the render falls back to one process
PX_TO_PT = 0.75

_hook = threading.local()
_margin_lock = threading.Lock()


class SplitError(RuntimeError):
    """The parallel render could not finish; the caller renders the whole document instead."""


def processes() -> int:
    """How many parts may render at once (REPORT_RENDER_PROCESSES; 1 renders one document)."""
    configured = getattr(settings, "REPORT_RENDER_PROCESSES", None)
    return int(configured) if configured is not None else 4


def cores_idle() -> bool:
    """Whether parts rendered at once would get cores of their own: the load average of the last
    minute is below REPORT_SPLIT_LOAD (default: the number of cores; 0 never checks).

    On a machine whose cores are all busy, processes only share them: the parts then cost
    10-30 % more CPU than one document (each lays out its own copy of the page context, and they
    wait for each other once) and finish no sooner, so the worker renders one document.
    """
    limit = getattr(settings, "REPORT_SPLIT_LOAD", None)
    limit = float(limit) if limit is not None else float(len(os.sched_getaffinity(0)))  # cores it may use
    return limit <= 0 or os.getloadavg()[0] < limit


# --- the pagination hook -----------------------------------------------------------------------


def _install_hook() -> None:
    """Wrap weasyprint.layout.make_margin_boxes once: before the first page's margin boxes of a
    document laid out by a thread that set `_hook.callback`, call it with the page count and the
    pages of the `anchor` named string; it answers (offset, total) for the page counters."""
    from weasyprint import layout

    with _margin_lock:
        if getattr(layout.make_margin_boxes, "_report_split", False):
            return
        original = layout.make_margin_boxes

        def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
            callback = getattr(_hook, "callback", None)
            if callback is not None and not getattr(context, "_report_numbered", False):
                context._report_numbered = True
                _renumber(context, callback)
            return original(context, page, state)

        make_margin_boxes._report_split = True  # type: ignore[attr-defined]
        layout.make_margin_boxes = make_margin_boxes


def _renumber(context: Any, callback: Callable[[int, dict[str, int]], tuple[int, int]]) -> None:
    states = [entry[3] for entry in context.page_maker[1:]]
    count = int(states[0][1]["pages"][0]) if states else 0
    anchors: dict[str, int] = {}
    for number, texts in sorted(context.string_set.get("anchor", {}).items()):
        for text in texts:
            if text and text not in anchors:
                anchors[text] = number - 1
    offset, total = callback(count, anchors)
    done: set[int] = set()
    for state in states:
        values = state[1]
        if id(values) in done:
            continue
        done.add(id(values))
        values["page"] = [value + offset for value in values.get("page", [0])]
        values["pages"] = [total]


# --- fonts cut once, at the join ------------------------------------------------------------------

STUB = {True: b"OTTO", False: b"\x00\x01\x00\x00"}  # the first bytes of an OpenType (CFF) / TrueType font


def _mergeable(font: Any) -> bool:
    """Whether a font's subset can be cut again from its face: no missing glyphs, no bitmap, not
    used in form fields (which embed the whole font)."""
    return not font.missing and not font.bitmap and not font.used_in_forms


def _cut_at_join(font: Any) -> bool:
    """Whether the join will cut this font for the whole document: a font this process drew with
    before it forked (pdf.known_font), which the join cuts from the same face."""
    return _mergeable(font) and pdf.known_font(pdf.font_name(font)) is not None


def _install_subset_hook() -> None:
    """Wrap WeasyPrint's Font.subset once: while a thread renders a part (`_hook.defer_subsets`),
    a font the join will cut is not cut here; its file becomes a stub of the same kind (so the
    PDF still says FontFile3 or FontFile2) and the font is marked `_report_deferred`."""
    from weasyprint.pdf import fonts

    with _margin_lock:
        if getattr(fonts.Font.subset, "_report_split", False):
            return
        original = fonts.Font.subset

        def subset(self: Any, to_unicode: dict[int, str], hinting: bool) -> Any:
            if getattr(_hook, "defer_subsets", False) and to_unicode and _cut_at_join(self):
                self.file_content = STUB[self.file_content[:4] == b"OTTO"]
                self._report_deferred = True
                return None
            return original(self, to_unicode, hinting)

        subset._report_split = True  # type: ignore[attr-defined]
        fonts.Font.subset = subset


# --- one part ------------------------------------------------------------------------------------


@dataclass
class FontUse:
    """What a part drew with one font: its name, glyphs (id → text) and widths (id → width)."""

    name: str
    to_unicode: dict[int, str]
    widths: dict[int, float]
    mergeable: bool
    deferred: bool = False  # the part wrote a stub: the join must cut it


@dataclass
class Part:
    pdf: bytes
    pages: int
    anchors: dict[str, tuple[int, float, float]]  # name → (page in part, x pt, y pt from bottom)
    fonts: dict[str, FontUse]  # resource name → use
    links: list[tuple[int, str, tuple[float, float, float, float]]] = field(default_factory=list)


def _font_uses(document: Any) -> dict[str, FontUse]:
    uses: dict[str, FontUse] = {}
    for font in document.fonts.values():
        use = uses.setdefault(font.hash, FontUse(pdf.font_name(font), {}, {}, True))
        use.to_unicode.update(font.to_unicode)
        use.widths.update(font.widths)
        use.mergeable = use.mergeable and _mergeable(font)
        use.deferred = use.deferred or getattr(font, "_report_deferred", False)
    return uses


def _anchors(document: Any) -> dict[str, tuple[int, float, float]]:
    found: dict[str, tuple[int, float, float]] = {}
    for index, page in enumerate(document.pages):
        for name, (x, y, *_rest) in page.anchors.items():
            found.setdefault(name, (index, x * PX_TO_PT, (page.height - y) * PX_TO_PT))
    return found


def _render_part(
    html: str,
    numbering: Callable[[int, dict[str, int]], tuple[int, int]],
    *,
    extra_css: bool = False,
    drop_links: frozenset[str] = frozenset(),
    forked: bool = False,
) -> Part:
    """Lay out, number (through `numbering`) and draw one part with this thread's assets (in a
    part's process, `forked`: its only thread, so without the render lock the fork copied held)."""
    assets = pdf.thread_assets()
    _install_hook()
    _install_subset_hook()
    _hook.callback = numbering
    _hook.defer_subsets = True
    try:
        with contextlib.nullcontext() if forked else pdf.RENDER_LOCK, pdf.fewer_gc_passes():
            stylesheets = [assets.stylesheet, assets.toc_stylesheet] if extra_css else [assets.stylesheet]
            document = pdf.html_document(html).render(stylesheets=stylesheets, font_config=assets.font_config)
            links: list[tuple[int, str, tuple[float, float, float, float]]] = []
            for index, page in enumerate(document.pages):
                kept = []
                for link in page.links:
                    if link[0] == "internal" and link[1] in drop_links:
                        x1, y1, x2, y2 = link[2]
                        height = page.height
                        rect = (x1 * PX_TO_PT, (height - y2) * PX_TO_PT, x2 * PX_TO_PT, (height - y1) * PX_TO_PT)
                        links.append((index, link[1], rect))
                    else:
                        kept.append(link)
                page.links = kept
            data = document.write_pdf()
    finally:
        _hook.callback = None
        _hook.defer_subsets = False
    pdf.remember_fonts(document)
    return Part(data, len(document.pages), _anchors(document), _font_uses(document), links)


def _child(conn: Connection, html: str) -> NoReturn:
    """A forked process: one part, numbered by what the parent answers.

    Python's cyclic collector is off here: the process lives for one part and exits, so cycles are
    freed with it, and the collector's passes over the part's boxes were 5 % of its CPU.
    """
    gc.disable()

    def numbering(count: int, anchors: dict[str, int]) -> tuple[int, int]:
        conn.send(("paginated", count, anchors))
        offset, total = conn.recv()
        return int(offset), int(total)

    try:
        part = _render_part(html, numbering, forked=True)
        conn.send(("done", part))
    except BaseException:  # told to the parent, which renders the whole document instead
        with contextlib.suppress(Exception):  # else the parent notices the silence and falls back
            conn.send(("error", traceback.format_exc()[-4000:]))
    finally:
        conn.close()
        os._exit(0)  # no atexit, no Django connection teardown in the fork


# --- the whole report ----------------------------------------------------------------------------


def split_html(html: str) -> list[str] | None:
    """The documents of the parts (each the head, the running title and one part), or None."""
    if PART_MARK not in html:
        return None
    head, sep, rest = html.partition("<body>")
    body, sep2, tail = rest.rpartition("</body>")
    if not sep or not sep2:
        return None
    chunks = body.split(PART_MARK)
    preamble, parts = chunks[0], chunks[1:]
    if len(parts) < 2:
        return None
    # The preamble (the running title, string-set) goes into every part.
    return [f"{head}<body>{preamble}{chunk}</body>{tail}" for chunk in parts]


def _toc_html(html: str, pages: dict[str, int] | None) -> str:
    """Part 0 with the table of contents' page numbers as text (`data-page`)."""

    def number(match: re.Match[str]) -> str:
        target = match.group(1)
        value = PLACEHOLDER if pages is None else str(pages.get(target, ""))
        return f'{match.group(0)} data-page="{value}"'

    return re.sub(r'href="#([^"]+)"', number, html)


def render_split(
    html: str, *, progress: Callable[[int], None] | None = None, expected_pages: int = 20
) -> pdf.RenderedPDF:
    """The document in parts rendered at once (see the module's docstring); falls back to one."""
    documents = split_html(html)
    if documents is None or processes() < 2 or not cores_idle():
        return pdf.html_to_pdf(html, progress=progress, expected_pages=expected_pages)
    try:
        return _render_parallel(documents, progress)
    except Exception as error:  # any failure of the parallel path: the single document is the reference
        log.warning("report parts could not be rendered in parallel (%s); rendering one document", error)
        return pdf.html_to_pdf(html, progress=progress, expected_pages=expected_pages)


@dataclass
class _Child:
    pid: int
    conn: Connection


def _fork(document: str) -> _Child:
    """A process for one part: forked, so it has this one's fonts and stylesheet; no
    multiprocessing (a Celery prefork child is a daemon, and daemons may not have children)."""
    parent_end, child_end = socket.socketpair()
    # Objects alive now move to the collector's permanent generation: the child's collections
    # then leave them alone instead of touching (and so copying) every page it shares with us.
    gc.freeze()
    try:
        pid = os.fork()
    except BaseException:
        gc.unfreeze()
        raise
    if pid == 0:  # the part's process: never returns
        parent_end.close()
        _child(Connection(child_end.detach()), document)
    gc.unfreeze()
    child_end.close()
    return _Child(pid, Connection(parent_end.detach()))


def _render_parallel(documents: list[str], progress: Callable[[int], None] | None) -> pdf.RenderedPDF:
    assets = pdf.thread_assets()
    fetched_before, refused_before = len(assets.fetcher.fetched), len(assets.fetcher.refused)
    children: list[_Child] = []
    try:
        with pdf.RENDER_LOCK:
            children = [_fork(document) for document in documents[1:]]
        # While they lay out: part 0 with placeholder numbers, for its page count.
        with pdf.RENDER_LOCK, pdf.fewer_gc_passes():
            first = pdf.html_document(_toc_html(documents[0], None)).render(
                stylesheets=[assets.stylesheet, assets.toc_stylesheet], font_config=assets.font_config
            )
        first_pages = len(first.pages)
        del first
        counts: list[int] = []
        anchor_pages: dict[str, int] = {}
        offset = first_pages
        for child in children:
            _, count, anchors = _receive(child.conn, "paginated")
            for name, page in anchors.items():
                anchor_pages.setdefault(name, offset + page + 1)
            counts.append(count)
            offset += count
        total = offset
        offset = first_pages
        for child, count in zip(children, counts, strict=True):
            child.conn.send((offset, total))
            offset += count
        if progress:
            progress(60)
        part0 = _render_part(
            _toc_html(documents[0], anchor_pages),
            lambda count, _anchors: (0, total),
            extra_css=True,
            drop_links=frozenset(anchor_pages),
        )
        if part0.pages != first_pages:
            raise SplitError(f"the table of contents took {part0.pages} pages, not {first_pages}")
        parts = [part0]
        for child, count in zip(children, counts, strict=True):
            part = _receive(child.conn, "done")[1]
            if part.pages != count:
                raise SplitError("a part's page count changed after numbering")
            parts.append(part)
    finally:
        for child in children:
            child.conn.close()
            _reap(child.pid)
    if progress:
        progress(90)
    data = merge(parts)
    return pdf.RenderedPDF(
        data=data,
        pages=sum(part.pages for part in parts),
        fetched=assets.fetcher.fetched[fetched_before:],
        refused=assets.fetcher.refused[refused_before:],
    )


def _reap(pid: int) -> None:
    """Wait for a part's process (it exits once it has sent its part); kill it if it does not."""
    for _ in range(50):
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _receive(conn: Connection, expected: str) -> Any:
    if not conn.poll(CHILD_TIMEOUT):
        raise SplitError(f"no answer from a part within {CHILD_TIMEOUT:g} s")
    message = conn.recv()
    if message[0] == "error":
        raise SplitError(f"a part failed:\n{message[1]}")
    if message[0] != expected:
        raise SplitError(f"a part sent {message[0]!r}, not {expected!r}")
    return message


# --- joining the parts ---------------------------------------------------------------------------


def merge(parts: list[Part]) -> bytes:
    """One PDF of the parts' pages: shared fonts embedded once, outline, metadata, TOC links.

    pikepdf (qpdf) copies the pages with what they use; the content streams pass through as
    WeasyPrint compressed them, and the small objects go into compressed object streams as in a
    PDF WeasyPrint writes itself.
    """
    import pikepdf

    shared = _shared_fonts(parts)
    out = pikepdf.new()
    first_page: list[int] = []
    canonical: dict[str, Any] = {}  # resource name → the merged font dictionary (indirect)
    sources = []
    for index, part in enumerate(parts):
        source = pikepdf.open(io.BytesIO(part.pdf))
        sources.append(source)
        if index == 0:
            for key, value in source.docinfo.items():
                if key != "/Producer":
                    out.docinfo[key] = value
        fonts = _font_resources(source)
        reused = []
        if fonts is not None:
            for key in list(fonts.keys()):
                if key[1:] in shared and key[1:] in canonical:
                    del fonts[key]  # not copied: the pages get the merged one
                    reused.append(key)
        first_page.append(len(out.pages))
        out.pages.extend(source.pages)
        copied = _font_resources(out, first_page[-1])
        if copied is None:
            continue
        for key in reused:
            copied[key] = canonical[key[1:]]
        for key in copied.keys():  # noqa: SIM118 - a pikepdf Dictionary
            if key[1:] in shared and key[1:] not in canonical:
                canonical[key[1:]] = copied[key]
    for key, font in canonical.items():
        _merge_font(font, shared[key])
    _copy_outlines(out, sources, first_page)
    _link_contents(out, parts, first_page)
    buffer = io.BytesIO()
    out.save(
        buffer,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        compress_streams=True,
    )
    return buffer.getvalue()


def _font_resources(document: Any, page: int = 0) -> Any:
    """The resource dictionary of fonts WeasyPrint shares between a part's pages (or None)."""
    if page >= len(document.pages):
        return None
    resources = document.pages[page].obj.get("/Resources")
    return resources.get("/Font") if resources is not None else None


def _copy_outlines(out: Any, sources: list[Any], first_page: list[int]) -> None:
    """Every part's outline (its headings), in order, pointing at the pages in `out`."""
    import pikepdf

    def copy(item: Any, numbers: dict[tuple[int, int], int], offset: int) -> Any:
        destination = item.destination
        page, left, top = None, None, None
        if isinstance(destination, pikepdf.Array) and len(destination) >= 4 and destination[0].objgen in numbers:
            page = numbers[destination[0].objgen] + offset
            left, top = float(destination[2]), float(destination[3])
        new = pikepdf.OutlineItem(
            item.title, page, pikepdf.PageLocation.XYZ if page is not None else None, left=left, top=top, zoom=0
        )
        new.is_closed = item.is_closed
        new.children.extend(copy(child, numbers, offset) for child in item.children)
        return new

    with out.open_outline() as outline:
        for source, offset in zip(sources, first_page, strict=True):
            numbers = {page.obj.objgen: index for index, page in enumerate(source.pages)}
            with source.open_outline() as part_outline:
                outline.root.extend(copy(item, numbers, offset) for item in part_outline.root)


def _link_contents(out: Any, parts: list[Part], first_page: list[int]) -> None:
    """Links from the table of contents (part 0) to the anchors of the other parts."""
    import pikepdf

    anchors: dict[str, tuple[int, float, float]] = {}
    for index, part in enumerate(parts):
        for name, (page, x, y) in part.anchors.items():
            anchors.setdefault(name, (first_page[index] + page, x, y))
    for page_index, target, rect in parts[0].links:
        if target not in anchors:
            continue
        destination_page, x, y = anchors[target]
        annotation = out.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Link,
                Rect=pikepdf.Array([round(v, 3) for v in rect]),
                BS=pikepdf.Dictionary(W=0),
                Dest=pikepdf.Array([out.pages[destination_page].obj, pikepdf.Name.XYZ, round(x, 3), round(y, 3), 0]),
            )
        )
        page = out.pages[page_index].obj
        if "/Annots" not in page:
            page.Annots = pikepdf.Array()
        page.Annots.append(annotation)


@dataclass
class _Shared:
    name: str
    to_unicode: dict[int, str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)


def _shared_fonts(parts: list[Part]) -> dict[str, _Shared]:
    """The fonts to cut here for the whole document (this process knows their face): those more
    than one part used, and those a part left uncut."""
    seen: dict[str, list[FontUse]] = {}
    for part in parts:
        for key, use in part.fonts.items():
            seen.setdefault(key, []).append(use)
    shared = {}
    for key, uses in seen.items():
        if len(uses) < 2 and not uses[0].deferred:
            continue  # one part's own cut stays as it is
        if not all(use.mergeable for use in uses) or pdf.known_font(uses[0].name) is None:
            if any(use.deferred for use in uses):  # a stub nobody can replace: never written out
                raise SplitError(f"font {uses[0].name} was left to the join, which cannot cut it")
            continue
        merged = _Shared(uses[0].name)
        for use in uses:
            merged.to_unicode.update(use.to_unicode)
            merged.widths.update(use.widths)
        shared[key] = merged
    return shared


def _merge_font(type0: Any, shared: _Shared) -> None:
    """Give the font dictionary the glyphs, widths and Unicode map of every part."""
    import pikepdf
    from weasyprint.pdf.fonts import Font

    font = pdf.known_font(shared.name)
    assert font is not None
    cut = SimpleNamespace(hb_face=font.hb_face, missing={}, family=font.family, file_content=b"")
    Font._harfbuzz_subset(cut, shared.to_unicode, False)
    if not cut.file_content:
        raise SplitError(f"could not subset {shared.name}")
    descendant = type0.DescendantFonts[0]
    widths: list[Any] = []
    current: list[Any] | None = None
    for gid in sorted(shared.widths):
        if gid - 1 not in shared.widths or current is None:
            current = []
            widths += [gid, current]
        value = shared.widths[gid]
        current.append(int(value) if float(value).is_integer() else float(value))
    descendant.W = pikepdf.Array([w if isinstance(w, int) else pikepdf.Array(w) for w in widths])
    descriptor = descendant.FontDescriptor
    if "/FontBBox" in descriptor and shared.widths:
        bbox = [float(v) for v in descriptor.FontBBox]
        descriptor.FontBBox = pikepdf.Array([bbox[0], bbox[1], max(shared.widths.values()), bbox[3]])
    for key in ("/FontFile3", "/FontFile2"):
        if key in descriptor:
            _write(descriptor[key], cut.file_content)
    _write(type0.ToUnicode, _to_unicode_cmap(shared.to_unicode))


def _write(stream: Any, data: bytes) -> None:
    import pikepdf

    stream.write(zlib.compress(data), filter=pikepdf.Name.FlateDecode)


def _to_unicode_cmap(to_unicode: dict[int, str]) -> bytes:
    """The ToUnicode CMap as WeasyPrint writes it (pdf/fonts.py)."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(to_unicode.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for glyph, text in batch:
            hexed = "".join(letter.encode("utf-16-be").hex() for letter in text)
            lines.append(f"<{glyph:04x}> <{hexed}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)
