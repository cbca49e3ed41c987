"""Fixtures for the browser (end-to-end) tests in tests/e2e.

Playwright's sync API drives Debian's Chromium (/usr/bin/chromium, installed by
``scripts/bootstrap.sh --system``); ``playwright install`` is never needed.

Fixtures:
    browser         session-scoped headless Chromium
    page            a page in a fresh context per test (1280x900, zh-CN)
    screenshot_dir  a per-test folder for screenshots; its path is printed.
                    Set E2E_SCREENSHOT_DIR to keep them under a fixed folder.

Every test collected from this folder gets the ``e2e`` marker, so
``pytest -m "not e2e"`` skips the browser tests and ``-m e2e`` runs only them.

Tests that also need the Django app use pytest-django's ``live_server`` fixture
and ``page.goto(live_server.url + ...)``.
"""

from __future__ import annotations

import os

# Playwright's sync API runs an asyncio event loop in this thread; without this
# Django refuses ORM calls from tests that also drive the browser.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
LOCALE = "zh-CN"

E2E_DIR = Path(__file__).resolve().parent
E2E_MARKER = "e2e: browser test in tests/e2e (headless Chromium)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", E2E_MARKER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees every collected item, not only this folder's.
    for item in items:
        if item.path.resolve().is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM_PATH).exists():
        hint = "run `bash scripts/bootstrap.sh --system` or set CHROMIUM_PATH"
        pytest.fail(f"Chromium not found at {CHROMIUM_PATH}: {hint}")
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM_PATH,
        headless=True,
        args=CHROMIUM_ARGS,
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, locale=LOCALE)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    base = os.environ.get("E2E_SCREENSHOT_DIR")
    if base:
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        path = Path(base).resolve() / name
    else:
        path = tmp_path / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {path}")
    return path
