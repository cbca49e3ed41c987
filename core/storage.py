"""Private files kept by checksum under MEDIA_ROOT (evidence, uploaded workbooks).

Never under a URL: the views that serve them check access first. Writing is idempotent (same
bytes, same name) and atomic (a reader never sees half a file).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings


def private_dir(name: str) -> Path:
    path = Path(settings.MEDIA_ROOT) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_by_checksum(folder: str, data: bytes) -> str:
    """Write `data` as MEDIA_ROOT/<folder>/<sha256> and return the sha256."""
    digest = hashlib.sha256(data).hexdigest()
    target = private_dir(folder) / digest
    if not target.exists():
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    return digest
