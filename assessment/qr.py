"""QR codes of survey links as inline SVG (segno: pure Python, no image library)."""

from __future__ import annotations

import segno


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An SVG document of the QR code for `url` (error correction M, a quiet zone of 4 modules)."""
    code = segno.make(url, error="m", micro=False)
    return str(code.svg_inline(scale=scale, border=4, dark="#000", light="#fff"))
