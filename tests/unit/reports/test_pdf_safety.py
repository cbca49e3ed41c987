"""The renderer loads only the project's static files: no other file, no network, no data: URL,
and text a user typed is escaped by the template (so it fetches nothing). No database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.template import Context, Template
from weasyprint.urls import URLFetcherResponse

from reports.pdf import SafeURLFetcher, URLRefused, html_to_pdf, static_roots

HOSTILE = '<img src="file:///etc/passwd"> <img src="http://127.0.0.1:9/x.png"> http://127.0.0.1:9/y'


@pytest.fixture
def fetcher() -> SafeURLFetcher:
    return SafeURLFetcher()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/logo.png",
        "https://example.org/font.woff2",
        "ftp://127.0.0.1/x",
        "data:text/css,body{color:red}",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "file://otherhost/etc/passwd",
    ],
)
def test_refuses_anything_but_static_files(fetcher: SafeURLFetcher, url: str) -> None:
    with pytest.raises(URLRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.fetched == []


def test_refuses_paths_that_leave_the_static_dir(fetcher: SafeURLFetcher, tmp_path: Path) -> None:
    root = static_roots()[0]
    escape = f"{root.as_uri()}/reports/../../manage.py"
    with pytest.raises(URLRefused):
        fetcher.fetch(escape)
    outside = tmp_path / "secret.css"
    outside.write_text("body{}")
    link = tmp_path / "link"
    link.symlink_to(outside)
    linked = SafeURLFetcher([tmp_path.parent / "no-such-root", *fetcher.roots])
    with pytest.raises(URLRefused):
        linked.fetch(link.as_uri())


def test_serves_the_report_stylesheet_and_font(fetcher: SafeURLFetcher) -> None:
    root = static_roots()[0]
    css = fetcher.fetch((root / "reports/print.css").as_uri())
    assert isinstance(css, URLFetcherResponse)
    assert b"@font-face" in css.read()
    font = fetcher.fetch((root / "reports/fonts/ReportSansSC-Regular.otf").as_uri())
    assert font.read(4) == b"OTTO"


def test_markup_in_a_school_name_is_printed_as_text_and_fetches_nothing(tmp_path: Path) -> None:
    html = Template("<html><body><h1>{{ name }}</h1><p>城关小学</p></body></html>").render(Context({"name": HOSTILE}))
    assert "<img" not in html  # Django autoescape
    rendered = html_to_pdf(html)
    assert rendered.fetched == []
    assert rendered.refused == []
    out = tmp_path / "x.pdf"
    out.write_bytes(rendered.data)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert 'src="file:///etc/passwd"' in text
    assert "root:x:0:0" not in text


def test_raw_markup_reaching_the_renderer_is_refused_too(tmp_path: Path) -> None:
    """Defence in depth: even unescaped <img>/<link>/url() never reach a file or the network."""
    html = (
        '<html><head><link rel="stylesheet" href="http://127.0.0.1:9/evil.css">'
        '<style>body { background: url("file:///etc/hostname") }</style></head>'
        '<body><img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
        '<img src="data:image/png;base64,iVBORw0KGgo="><p>正文</p></body></html>'
    )
    rendered = html_to_pdf(html)
    assert rendered.data.startswith(b"%PDF")
    assert rendered.fetched == []
    assert set(rendered.refused) == {
        "http://127.0.0.1:9/evil.css",
        "file:///etc/hostname",
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
    }
