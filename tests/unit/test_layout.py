"""The project's shape, checked: core at the bottom of the import graph, demo at the top, and
modules that fit in a head (issue #13, items 5 and 6)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOMAIN_APPS = {"schools", "plans", "indicators", "assessment", "reports", "audit", "demo"}
MAX_LINES = 800


def _sources(*, under: Path = ROOT) -> list[Path]:
    skipped = {".venv", "migrations", "tests", "bench", "node_modules", "__pycache__"}
    return [
        path
        for path in under.rglob("*.py")
        if not skipped.intersection(path.relative_to(ROOT).parts) and not path.name.startswith(".")
    ]


def _imported_apps(path: Path) -> set[str]:
    """The top-level packages a module imports anywhere (TYPE_CHECKING blocks and functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_core_imports_no_domain_app() -> None:
    offending = {
        str(path.relative_to(ROOT)): sorted(_imported_apps(path) & DOMAIN_APPS)
        for path in _sources(under=ROOT / "core")
        if _imported_apps(path) & DOMAIN_APPS
    }
    assert offending == {}


def test_no_app_imports_the_demo() -> None:
    offending = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if path.relative_to(ROOT).parts[0] != "demo" and "demo" in _imported_apps(path)
    ]
    assert offending == []


def test_no_module_is_over_800_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in _sources()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


# Reads of a stored balance result by string key, outside the contract (indicators/results.py):
# the stored JSON document of old, or the payload itself.
RESULT_BY_KEY = re.compile(r"\.document\b|\bdocument\[|\bdocument\.get\(|\bdoc\[|\.payload\b")


def test_no_app_reads_a_stored_result_by_string_key() -> None:
    """Every app reads results through indicators.results (BalanceResult.outcome); only the
    stored form (indicators/stored.py) and the model that holds it touch the payload."""
    allowed = {"indicators/stored.py", "indicators/models.py", "indicators/services.py", "indicators/results.py"}
    offending = {
        rel: sorted({m.group(0) for m in RESULT_BY_KEY.finditer(path.read_text(encoding="utf-8"))})
        for path in _sources()
        if (rel := str(path.relative_to(ROOT))) not in allowed
        and RESULT_BY_KEY.search(path.read_text(encoding="utf-8"))
    }
    assert offending == {}
