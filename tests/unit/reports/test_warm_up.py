"""A worker warms the renderer up when it starts: fonts, stylesheet, templates and a sample page.
Warming never stops a worker from starting. No database."""

from __future__ import annotations

import logging
import threading

import pytest
from django.template import engines

from reports import pdf
from reports.services import TEMPLATES


def in_fresh_thread(target: object) -> None:
    # The renderer keeps its assets per thread: a new thread starts with none, like a new worker.
    thread = threading.Thread(target=target)  # type: ignore[arg-type]
    thread.start()
    thread.join()


def test_warm_up_loads_the_fonts_compiles_the_templates_and_renders(caplog: pytest.LogCaptureFixture) -> None:
    seen: dict[str, object] = {}
    loader = engines["django"].engine.template_loaders[0]  # type: ignore[attr-defined]
    loader.reset()  # forget templates earlier tests compiled

    def work() -> None:
        pdf.warm_up(tuple(TEMPLATES.values()))
        seen["assets"] = getattr(pdf._local, "assets", None)

    with caplog.at_level(logging.WARNING, logger="reports.pdf"):
        in_fresh_thread(work)
    assert "could not warm up" not in caplog.text
    assets = seen["assets"]
    assert isinstance(assets, pdf._ThreadAssets)
    fetched = " ".join(assets.fetcher.fetched)
    assert "ReportSansSC-Regular.otf" in fetched and "ReportSansSC-Bold.otf" in fetched
    assert assets.fetcher.refused == []
    # The cached template loader now holds the compiled report templates.
    assert all(name in loader.get_template_cache for name in TEMPLATES.values())


def test_the_sample_page_renders_with_the_report_stylesheet() -> None:
    rendered = pdf.html_to_pdf(pdf.WARM_UP_HTML)
    assert rendered.data.startswith(b"%PDF") and rendered.pages == 1 and rendered.refused == []


def test_a_failing_warm_up_is_logged_and_the_worker_starts(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="reports.pdf"):
        pdf.warm_up(("reports/pdf/no-such-template.html",))
    assert "could not warm up the report renderer" in caplog.text
