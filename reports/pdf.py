"""PDF rendering with WeasyPrint: only the project's static files and fonts can be loaded.

`render_pdf(template_name, context)` renders a Django template (autoescaped: anything a user
typed is text, never markup) and turns it into PDF bytes with `html_document(html)` (WeasyPrint's
`HTML` over a tree parsed by reports.htmlparse, base URL the static dir), the print stylesheet
static/reports/print.css and the report font (static/reports/fonts, a pre-built GB2312 subset of
Noto Sans CJK SC, see reports/fontbuild.py). The system's Noto Sans CJK stays in `font-family` as the fallback for
characters outside the subset.

Why it is fast: WeasyPrint reads, subsets and embeds every font a document uses. The system's
Noto Sans CJK is a 19 MB OpenType collection with 65,535 CFF glyphs, handled on every render;
the subset has about 8,700 glyphs (3 MB). The font configuration and the parsed stylesheet are
also kept per thread, so a worker loads the font once, not once per report.
"""

from __future__ import annotations

import gc
import logging
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.utils import translation

# WeasyPrint's step-by-step progress (it parses its own stylesheets on import, then logs a line
# per page) feeds the job's progress bar through _ProgressHandler; it is not passed on to the
# application's logs. Set before the import, which already logs.
logging.getLogger("weasyprint.progress").setLevel(logging.INFO)
logging.getLogger("weasyprint.progress").propagate = False

import cssselect2  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402 - after the logger set-up above
from weasyprint.logger import PROGRESS_LOGGER  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

from reports import htmlparse  # noqa: E402

log = logging.getLogger(__name__)

GC_THRESHOLD = 100_000  # young-generation allocations between collections while rendering
PAGE = re.compile(r"Page (\d+)")
STYLESHEET = "reports/print.css"  # under a static directory
TOC_CSS = '.toc a::after { content: leader(".") attr(data-page); }'  # page numbers given as text
REPORT_LANGUAGE = "zh-hans"  # official reports are in Chinese, whatever the requester's language


class URLRefused(ValueError):  # noqa: N818 - reads as what happened; WeasyPrint catches ValueErrors
    """The renderer asked for something outside the project's static files."""


def static_roots() -> list[Path]:
    """The directories the renderer may read: the project's static dirs (and collected static)."""
    roots = [Path(settings.BASE_DIR) / "static", *(Path(p) for p in settings.STATICFILES_DIRS)]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT))
    seen: list[Path] = []
    for root in roots:
        resolved = root.resolve()
        if resolved not in seen:
            seen.append(resolved)
    return seen


def static_base_url() -> str:
    """The base URL of the HTML: the first static directory, so `reports/x.css` resolves in it."""
    return static_roots()[0].as_uri() + "/"


class SafeURLFetcher(URLFetcher):
    """Serves `file:` URLs of regular files inside the static roots; refuses everything else.

    Refused: http(s), ftp, data: and any other scheme; file: URLs with a host; paths that leave
    the static roots (also through `..` or a symbolic link, as the path is resolved first).
    Every URL asked for is recorded in `fetched` or `refused` (the tests read them).
    """

    def __init__(self, roots: list[Path] | None = None) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.roots = roots if roots is not None else static_roots()
        self.fetched: list[str] = []
        self.refused: list[str] = []
        self._lock = threading.Lock()

    def allowed_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not path.is_file() or not any(path.is_relative_to(root) for root in self.roots):
            return None
        return path

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        path = self.allowed_path(url)
        with self._lock:
            (self.fetched if path is not None else self.refused).append(url)
        if path is None:
            raise URLRefused(f"refused by the report renderer: {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type})


@dataclass
class _ThreadAssets:
    """What a thread keeps between renders: the font configuration, fetcher and stylesheet."""

    fetcher: SafeURLFetcher
    font_config: FontConfiguration
    stylesheet: CSS
    toc_stylesheet: CSS  # the table of contents with its page numbers as text (reports.pdfsplit)
    fonts: dict[str, Any] = field(default_factory=dict)  # PDF font name → WeasyPrint font drawn with
    created: float = field(default_factory=time.monotonic)


_local = threading.local()
# Held by every thread while WeasyPrint (Pango, fontconfig) works in this process, and by
# reports.pdfsplit while it forks: a fork copies only the forking thread, so no other thread may
# be inside those libraries, holding their locks, at that moment.
RENDER_LOCK = threading.RLock()


def thread_assets() -> _ThreadAssets:
    current: _ThreadAssets | None = getattr(_local, "assets", None)
    roots = static_roots()
    if current is not None and current.fetcher.roots == roots:
        return current
    fetcher = SafeURLFetcher(roots)
    font_config = FontConfiguration()
    css_path = next((root / STYLESHEET for root in roots if (root / STYLESHEET).is_file()), None)
    if css_path is None:
        raise FileNotFoundError(f"{STYLESHEET} not found in {roots}")
    # Parsing the stylesheet registers the @font-face fonts in font_config (once per thread).
    stylesheet = CSS(filename=str(css_path), font_config=font_config, url_fetcher=fetcher)
    toc = CSS(string=TOC_CSS, font_config=font_config, url_fetcher=fetcher)
    assets = _ThreadAssets(fetcher, font_config, stylesheet, toc)
    _local.assets = assets
    return assets


def font_name(font: Any) -> str:
    """The PDF name of a WeasyPrint font (it keeps it as bytes)."""
    return font.name.decode() if isinstance(font.name, bytes) else str(font.name)


def remember_fonts(document: Any) -> None:
    """Keep the fonts a document was drawn with: reports.pdfsplit cuts merged subsets from them."""
    fonts = thread_assets().fonts
    for font in document.fonts.values():
        fonts.setdefault(font_name(font), font)


def known_font(name: str) -> Any:
    """The WeasyPrint font of that PDF name this thread has drawn with, or None."""
    return thread_assets().fonts.get(name)


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Run Python's cyclic garbage collector less often while WeasyPrint lays out and draws.

    A 20-page report makes a few million boxes, styles and text objects, nearly all alive until
    the PDF is written; at the default threshold (a young-generation pass every 700 allocations)
    the collector rescans them again and again, a sixth of the render time. Measured on the
    60-unit county: 2.65 s -> 2.2 s CPU, peak RSS +30 MiB. Restored afterwards.
    """
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], GC_THRESHOLD), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


# A page that touches what every report uses: both weights of the report font, a table with a
# repeated header, a running header and footer, an inline SVG chart.
WARM_UP_HTML = """<!DOCTYPE html><html lang="zh-CN"><body><div class="title-string">预热</div>
<section><h1>一、基本情况</h1><p>全县义务教育学校 12 所,<b>达标</b>。</p>
<table class="small"><thead><tr><th>学校<span class="u">m²/生</span></th><th>值</th></tr></thead>
<tbody><tr><td>城关第一小学</td><td class="num bad">4.50 ×</td></tr></tbody></table>
<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20" viewBox="0 0 60 20">
<rect x="0" y="0" width="30" height="10" fill="#1d4e89"/>
<text x="0" y="18" font-size="8" font-family="Report Sans SC">差异系数</text></svg></section></body></html>"""


def warm_up(templates: tuple[str, ...] = ()) -> None:
    """Make a worker's first report as fast as its next ones; a worker calls this when it starts.

    Loads this thread's font configuration and stylesheet, compiles the report templates (with
    the report language's translation catalogue) and renders a small page, which loads the fonts
    into Pango and HarfBuzz and imports WeasyPrint's lazily loaded parts. Measured on the
    60-unit county: the first report in a fresh process took 0.2-0.3 s longer than the next.
    """
    try:
        thread_assets()
        with translation.override(REPORT_LANGUAGE):
            for name in templates:
                get_template(name)
        html_to_pdf(WARM_UP_HTML)
    except Exception:  # a worker must start even if warming fails; the first render will say why
        log.warning("could not warm up the report renderer", exc_info=True)


class _ProgressHandler(logging.Handler):
    """Maps WeasyPrint's progress log (this thread's only) to a percentage for the job page."""

    def __init__(self, callback: Callable[[int], None], expected_pages: int) -> None:
        super().__init__()
        self.callback = callback
        self.expected = max(expected_pages, 1)
        self.thread = threading.get_ident()
        self.last = -1

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = record.getMessage()
        percent = None
        if message.startswith("Step 5") and (match := PAGE.search(message)):
            percent = 35 + min(45, 45 * int(match.group(1)) // self.expected)
        elif message.startswith("Step 6"):
            percent = 85
        elif message.startswith("Step 7"):
            percent = 95
        if percent is not None and percent >= self.last + 5:
            self.last = percent
            try:
                self.callback(percent)
            except Exception:  # progress is cosmetic: never fail a render for it
                log.debug("progress callback failed", exc_info=True)


@dataclass(frozen=True)
class RenderedPDF:
    data: bytes
    pages: int
    fetched: list[str]
    refused: list[str]


class ReportHTML(HTML):
    """WeasyPrint's HTML document over the tree reports.htmlparse makes (libxml2 instead of
    WeasyPrint's pure-Python parser); everything else as `HTML(string=…)` sets it up."""

    def __init__(self, html: str, url_fetcher: URLFetcher) -> None:
        PROGRESS_LOGGER.info("Step 1 - Fetching and parsing HTML - report")
        self.base_url = static_base_url()
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(htmlparse.parse(html), content_language=None)
        self.etree_element = self.wrapper_element.etree_element


def html_document(html: str) -> HTML:
    """The report HTML, parsed, with this thread's safe fetcher: call `.render(...)` on it."""
    return ReportHTML(html, thread_assets().fetcher)


def render_html(template_name: str, context: dict[str, Any]) -> str:
    with translation.override(REPORT_LANGUAGE):
        return render_to_string(template_name, context)


def html_to_pdf(html: str, *, progress: Callable[[int], None] | None = None, expected_pages: int = 20) -> RenderedPDF:
    """Lay out and write the PDF with the safe fetcher and the thread's font configuration."""
    assets = thread_assets()
    fetched_before, refused_before = len(assets.fetcher.fetched), len(assets.fetcher.refused)
    handler = _ProgressHandler(progress, expected_pages) if progress else None
    if handler is not None:
        PROGRESS_LOGGER.addHandler(handler)
    try:
        with RENDER_LOCK, fewer_gc_passes():
            rendered = html_document(html).render(stylesheets=[assets.stylesheet], font_config=assets.font_config)
            data = rendered.write_pdf()
            remember_fonts(rendered)
    finally:
        if handler is not None:
            PROGRESS_LOGGER.removeHandler(handler)
    return RenderedPDF(
        data=data,
        pages=len(rendered.pages),
        fetched=assets.fetcher.fetched[fetched_before:],
        refused=assets.fetcher.refused[refused_before:],
    )


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    *,
    progress: Callable[[int], None] | None = None,
    expected_pages: int = 20,
) -> RenderedPDF:
    """A template (reports/pdf/*.html) with its context, as PDF bytes and a page count."""
    html = render_html(template_name, context)
    if progress:
        progress(30)
    return html_to_pdf(html, progress=progress, expected_pages=expected_pages)
