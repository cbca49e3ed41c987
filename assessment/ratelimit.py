"""Fixed-window rate limits for the public survey pages (core.ratelimit counts them).

Keyed by the client address of core.net (the same address the login lockout uses: behind
TRUSTED_PROXY_COUNT proxies, the one they saw), a respondent token or a link.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest

from core import net
from core import ratelimit as counters

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
    return net.client_address(request)


def allow(kind: str, subject: str) -> bool:
    """Count one request of `kind` for `subject`; False once the window's limit is passed."""
    count, window = limits()[kind]
    return counters.hit(f"survey:{kind}", subject, window) <= count
