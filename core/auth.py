"""Login throttling and lockout, shared by the login page and the API token endpoint.

After LOGIN_FAILURE_LIMIT failed attempts for a username (or from one address) within
LOGIN_LOCKOUT_SECONDS, further attempts are refused until the window passes, with a message
that says so. Counters live in the cache; if the cache (Redis) is down, logins still work:
the lockout is a defence, not a dependency.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

log = logging.getLogger(__name__)


def _limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", 5))


def _window() -> int:
    return int(getattr(settings, "LOGIN_LOCKOUT_SECONDS", 900))


def client_ip(request: HttpRequest | Any) -> str:  # a Django or DRF request
    if request is None:
        return "-"
    return str(request.META.get("REMOTE_ADDR", "-"))


def _keys(username: str, ip: str) -> list[str]:
    user_key = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{user_key}", f"login-fail:ip:{ip}"]


def is_locked(username: str, ip: str) -> bool:
    try:
        counts = cache.get_many(_keys(username, ip))
    except Exception:
        log.warning("login throttle cache unavailable", exc_info=True)
        return False
    # The per-address limit is higher: a school's staff may share one address.
    user_key, ip_key = _keys(username, ip)
    return int(counts.get(user_key, 0)) >= _limit() or int(counts.get(ip_key, 0)) >= _limit() * 4


def record_failure(username: str, ip: str) -> None:
    for key in _keys(username, ip):
        try:
            if not cache.add(key, 1, timeout=_window()):
                cache.incr(key)
        except Exception:
            log.warning("login throttle cache unavailable", exc_info=True)


def record_success(username: str, ip: str) -> None:
    try:
        cache.delete(_keys(username, ip)[0])
    except Exception:
        log.warning("login throttle cache unavailable", exc_info=True)


def locked_message() -> str:
    return _("登录失败次数过多,请 %(minutes)s 分钟后再试") % {"minutes": _window() // 60}


class LockoutMixin(AuthenticationForm):
    """A login form that refuses attempts after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("用户名或密码不正确,请重试。"),
    }

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username", "")
        ip = client_ip(self.request)
        if is_locked(username, ip):
            raise forms.ValidationError(locked_message(), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(username, ip)
            raise
        record_success(username, ip)
        return cleaned


class ThrottledAuthenticationForm(LockoutMixin):
    """The site's login form."""


class ThrottledAdminAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    """The admin's login form: the same lockout, plus the admin's staff check."""


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "registration/login.html"
