"""Login lockout and throttling, shared by the login page, the admin's login and the API token.

- django-axes locks a username *from one client address* after LOGIN_FAILURE_LIMIT failed
  attempts, for LOGIN_LOCKOUT_SECONDS (AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]):
  wrong passwords for `admin` typed from address A lock A out, never the real administrator at
  address B. Axes keeps its records in the database (AxesDatabaseHandler), so the lockout holds
  while Redis is down.
- Each address may fail at most LOGIN_ADDRESS_FAILURE_LIMIT logins in that window, whatever the
  usernames (one address trying many accounts), counted by core.ratelimit in the cache.

The client address is core.net.client_address (TRUSTED_PROXY_COUNT trusted proxies).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import net, ratelimit

log = logging.getLogger(__name__)

ADDRESS_FAILURES = "login-fail-ip"


def failure_limit(*_args: Any) -> int:
    """AXES_FAILURE_LIMIT: failed attempts of one username from one address before it is locked."""
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", 5))


def cool_off(*_args: Any) -> timedelta:
    """AXES_COOLOFF_TIME: how long a lockout lasts (and the window failures are counted in)."""
    return timedelta(seconds=int(getattr(settings, "LOGIN_LOCKOUT_SECONDS", 900)))


def _address_limit() -> int:
    return int(getattr(settings, "LOGIN_ADDRESS_FAILURE_LIMIT", 30))


def _django_request(request: Any) -> HttpRequest:
    """The HttpRequest under a DRF Request (Axes marks and reads attributes on it)."""
    inner: HttpRequest = getattr(request, "_request", request)
    return inner


def is_locked(request: Any, username: str) -> bool:
    """This username from this address is locked (Axes), or this address failed too often."""
    address = net.client_address(request)
    if ratelimit.count(ADDRESS_FAILURES, address) >= _address_limit():
        return True
    return bool(AxesProxyHandler.is_locked(_django_request(request), credentials={"username": username}))


def record_address_failure(request: Any) -> None:
    """One more failed login from this address (Axes counts the username's own failures itself)."""
    ratelimit.hit(ADDRESS_FAILURES, net.client_address(request), int(cool_off().total_seconds()))


def locked_message() -> str:
    return _("登录失败次数过多,请 %(minutes)s 分钟后再试") % {"minutes": int(cool_off().total_seconds()) // 60}


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the attempt that locked (the form already says so) answers 429."""
    if original_response is None or request.path.startswith("/api/"):
        return JsonResponse({"detail": locked_message()}, status=429)
    original_response.status_code = 429
    return original_response


class LockoutMixin(AuthenticationForm):
    """A login form that refuses attempts while the username is locked from this address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("用户名或密码不正确,请重试。"),
    }

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username", ""))
        if is_locked(self.request, username):
            raise forms.ValidationError(locked_message(), code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            record_address_failure(self.request)
            if is_locked(self.request, username):  # this failure was the last one allowed
                raise forms.ValidationError(locked_message(), code="locked") from None
            raise


class ThrottledAuthenticationForm(LockoutMixin):
    """The site's login form."""


class ThrottledAdminAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    """The admin's login form: the same lockout, plus the admin's staff check."""


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "registration/login.html"
