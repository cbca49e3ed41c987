"""The client's address, the one function for every limit keyed by address: the login lockout
(django-axes, AXES_CLIENT_IP_CALLABLE), the login and API-token throttles and the survey pages'
rate limits.

Behind TRUSTED_PROXY_COUNT reverse proxies (default 0: none), each proxy appends the address it
received the request from to X-Forwarded-For, so the client is the entry that many places from
the right; entries further left were written by the client and are not believed. With no proxy
configured the header is ignored and REMOTE_ADDR is the client. (django-ipware, which Axes can
use, prefers public addresses and counts proxies differently; this rule is short and exact.)
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def client_address(request: Any) -> str:  # a Django HttpRequest or a DRF Request
    remote = str(request.META.get("REMOTE_ADDR") or "unknown")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if count <= 0:
        return remote
    hops = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
    if not hops:
        return remote  # not through the proxies (a health check on the host itself)
    candidate = hops[-min(count, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # garbage where a trusted proxy writes an address: trust only the socket


def axes_address(request: Any) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: client_address as Axes stores it (an IP address, or None when the
    request has none, as a request built in code for force_login)."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
