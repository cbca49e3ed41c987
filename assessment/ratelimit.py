"""Fixed-window rate limits on Django's cache, for the public survey pages.

Keys hash the client address (nothing personal is stored). With several web processes the cache
must be shared (Redis) for the limits to hold across them; the per-process default cache still
limits each process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

# (requests, seconds) per window; settings.SURVEY_RATE_LIMITS overrides any of them.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "open_ip": (120, 600),  # questionnaire pages opened (new respondent tokens) per address
    "submit_ip": (60, 600),  # submissions per address (a school's shared Wi-Fi sends many)
    "submit_token": (10, 600),  # attempts with one respondent token
    "submit_link": (3000, 600),  # submissions through one link (a flood spread over addresses)
}


def limits() -> Mapping[str, tuple[int, int]]:
    return {**DEFAULT_LIMITS, **getattr(settings, "SURVEY_RATE_LIMITS", {})}


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR: behind a proxy it is the proxy's, which then limits everyone together."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(kind: str, subject: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|{subject}".encode()).hexdigest()[:32]
    return f"assessment:rl:{kind}:{digest}"


def allow(kind: str, subject: str) -> bool:
    """Count one request of `kind` for `subject`; False once the window's limit is passed."""
    count, window = limits()[kind]
    key = _key(kind, subject)
    cache.add(key, 0, timeout=window)
    try:
        value = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        value = 1
    return value <= count
