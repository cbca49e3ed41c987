"""core.net.client_address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the
outermost trusted proxy saw; the survey limits use the same function (issue #12, point 6)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from assessment import ratelimit
from core.net import axes_address, client_address


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "192.0.2.1"),
        (0, "10.9.9.9", "192.0.2.1"),  # no proxy configured: the header is the client's own text
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "10.9.9.9, 198.51.100.9", "198.51.100.9"),  # what the client wrote on the left is ignored
        (2, "10.9.9.9, 198.51.100.9, 203.0.113.5", "198.51.100.9"),
        (2, "198.51.100.9", "198.51.100.9"),  # fewer hops than proxies: the left-most there is
        (1, "", "192.0.2.1"),  # straight to the host (a health check)
        (1, "not-an-address", "192.0.2.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address(proxies: int, forwarded: str, expected: str) -> None:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **headers)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_address(request) == expected
        assert ratelimit.client_address(request) == expected  # the survey pages' limits


def test_axes_gets_none_for_a_request_without_an_address() -> None:
    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    assert client_address(request) == "unknown"
    assert axes_address(request) is None
