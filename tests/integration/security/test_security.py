"""Security: headers, login lockout, API token throttling, production settings (issue #8)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def attempt(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


def test_pages_carry_a_content_security_policy_without_inline_scripts(bureau_client: Client) -> None:
    response = bureau_client.get(reverse("schools:district_list"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    body = response.content.decode()
    assert "onchange=" not in body and "<script>" not in body  # behaviours come from static/js/app.js


def test_login_is_locked_after_repeated_failures_and_says_so(bureau_user: User, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        assert attempt(client, bureau_user.username, "wrong-password").status_code == 200
    response = attempt(client, bureau_user.username, PASSWORD)
    assert response.status_code == 200  # the login page again, not a redirect
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    cache.clear()  # the window passes
    assert attempt(client, bureau_user.username, PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(bureau_user: User, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    attempt(client, bureau_user.username, "wrong")
    attempt(client, bureau_user.username, "wrong")
    assert attempt(client, bureau_user.username, PASSWORD).status_code == 302
    client.logout()
    attempt(client, bureau_user.username, "wrong")
    attempt(client, bureau_user.username, "wrong")
    assert attempt(client, bureau_user.username, PASSWORD).status_code == 302


def test_login_still_works_when_the_cache_is_down(bureau_user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis down: the lockout cannot count, but people can still log in (and wrong passwords
    are still wrong)."""
    from core import auth

    class DeadCache:
        def __getattr__(self, name: str) -> Any:
            def fail(*args: Any, **kwargs: Any) -> Any:
                raise ConnectionError("redis is down")

            return fail

    monkeypatch.setattr(auth, "cache", DeadCache())
    client = Client()
    assert attempt(client, bureau_user.username, "wrong").status_code == 200
    assert attempt(client, bureau_user.username, PASSWORD).status_code == 302


def test_api_token_is_issued_and_failures_lock_it(bureau_user: User, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    client = Client()
    url = reverse("api:token")
    ok = client.post(url, {"username": bureau_user.username, "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["token"]
    token = ok.json()["token"]
    districts = client.get(reverse("api:district-list"), HTTP_AUTHORIZATION=f"Token {token}")
    assert districts.status_code == 200 and districts.json()["count"] == 1
    for _ in range(2):
        assert client.post(url, {"username": bureau_user.username, "password": "bad"}).status_code == 400
    locked = client.post(url, {"username": bureau_user.username, "password": PASSWORD})
    assert locked.status_code == 429


def test_short_passwords_are_refused(bureau_user: User) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("abc12345", bureau_user)
    validate_password("清源县-教育局-2026", bureau_user)


def test_production_settings_pass_the_deploy_check() -> None:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "balance.example.cn",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' harness, never in production
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_the_development_secret_key() -> None:
    env = {**os.environ, "DEBUG": "false", "DATABASE_URL": "sqlite:///:memory:"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
