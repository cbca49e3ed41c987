"""Self-check of the browser harness: needs Chromium and the CJK fonts, not
Django or a database (runs with ``-p no:django`` too)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page

TEXT = "义务教育均衡发展"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


HTML = f"""<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>harness</title></head>
<body style="font-size: 48px"><h1 id="t">{TEXT}</h1></body>
</html>
"""


def test_chinese_text_renders_and_screenshot_is_written(
    page: Page,
    screenshot_dir: Path,
) -> None:
    html = HTML
    page.goto("data:text/html;charset=utf-8," + quote(html))

    assert page.locator("#t").inner_text() == TEXT
    assert page.evaluate("navigator.language") == "zh-CN"
    assert page.viewport_size == {"width": 1280, "height": 900}

    # The glyphs must come from a real CJK font, not fallback boxes.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#t"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    families = [f["familyName"] for f in fonts]
    assert any("CJK" in name for name in families), f"no CJK font used: {families}"

    shot = screenshot_dir / "harness.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[: len(PNG_MAGIC)] == PNG_MAGIC
    print(f"screenshot: {shot} (fonts: {families})")
