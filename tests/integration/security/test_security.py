"""Security: headers, login lockout, API token throttling, production settings (issue #8)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
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
    for _ in range(2):
        assert attempt(client, bureau_user.username, "wrong-password").status_code == 200
    locking = attempt(client, bureau_user.username, "wrong-password")
    assert locking.status_code == 429 and "登录失败次数过多" in locking.content.decode()
    response = attempt(client, bureau_user.username, PASSWORD)
    assert response.status_code == 200  # the login page again, not a redirect
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    AccessAttempt.objects.all().delete()  # the lockout time passes
    cache.clear()
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


def test_wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(admin_user: User) -> None:
    """Five wrong passwords for `admin` from address A: A is locked for admin, B is not (issue #12)."""
    from_a = Client(REMOTE_ADDR="203.0.113.7")
    from_b = Client(REMOTE_ADDR="198.51.100.20")
    for _ in range(5):
        assert attempt(from_a, "admin", "guessing-1234").status_code in (200, 429)
    refused = attempt(from_a, "admin", PASSWORD)
    assert "登录失败次数过多" in refused.content.decode() and "_auth_user_id" not in from_a.session
    assert attempt(from_b, "admin", PASSWORD).status_code == 302  # the real admin logs in
    token = reverse("api:token")
    assert (
        Client(REMOTE_ADDR="198.51.100.20").post(token, {"username": "admin", "password": PASSWORD}).status_code == 200
    )
    assert Client(REMOTE_ADDR="203.0.113.7").post(token, {"username": "admin", "password": PASSWORD}).status_code == 429
    assert AccessAttempt.objects.filter(username="admin", ip_address="203.0.113.7").exists()


def test_a_forged_forwarded_for_header_is_believed_only_from_trusted_proxies(admin_user: User, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    # No proxy configured: the header is the client's own text and changes nothing.
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for forged in ("10.0.0.1", "10.0.0.2"):
        attempt_with = attacker.post(
            reverse("login"), {"username": "admin", "password": "x"}, HTTP_X_FORWARDED_FOR=forged
        )
        assert attempt_with.status_code in (200, 429)
    assert "登录失败次数过多" in attempt(attacker, "admin", PASSWORD).content.decode()
    # Behind one trusted proxy (REMOTE_ADDR = the proxy): the address it appended is the client's.
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="192.0.2.1")
    for _ in range(2):
        proxy.post(
            reverse("login"), {"username": "admin", "password": "x"}, HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.9"
        )
    locked = proxy.post(
        reverse("login"), {"username": "admin", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.9"
    )
    assert "登录失败次数过多" in locked.content.decode()
    other = proxy.post(
        reverse("login"), {"username": "admin", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.10"
    )
    assert other.status_code == 302  # another client behind the same proxy


def test_one_address_trying_many_usernames_is_throttled(admin_user: User, bureau_user: User, settings: Any) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    sprayer = Client(REMOTE_ADDR="203.0.113.50")
    for name in ("a1", "a2", "a3", "a4"):
        attempt(sprayer, name, "Passw0rd!")
    assert "登录失败次数过多" in attempt(sprayer, bureau_user.username, PASSWORD).content.decode()
    assert attempt(Client(REMOTE_ADDR="203.0.113.51"), bureau_user.username, PASSWORD).status_code == 302


def test_the_lockout_holds_and_logins_work_while_redis_is_down(admin_user: User, settings: Any) -> None:
    """Axes keeps its records in the database: with the cache on a closed port the lockout still
    counts, and the right password from another address still logs in."""
    from balance.settings import redis_cache

    settings.CACHES = {"default": redis_cache("redis://127.0.0.1:6399/0")}
    from_a = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        assert attempt(from_a, "admin", "wrong-password").status_code in (200, 429)
    assert "登录失败次数过多" in attempt(from_a, "admin", PASSWORD).content.decode()
    assert attempt(Client(REMOTE_ADDR="198.51.100.20"), "admin", PASSWORD).status_code == 302


def test_api_token_is_issued_and_failures_lock_it(bureau_user: User, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    client = Client()
    url = reverse("api:token")
    ok = client.post(url, {"username": bureau_user.username, "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["token"]
    token = ok.json()["token"]
    districts = client.get(reverse("api:district-list"), HTTP_AUTHORIZATION=f"Token {token}")
    assert districts.status_code == 200 and districts.json()["count"] == 1
    failures = [client.post(url, {"username": bureau_user.username, "password": "bad"}) for _ in range(2)]
    assert [f.status_code for f in failures] == [400, 429]  # the failure that locks says so
    locked = client.post(url, {"username": bureau_user.username, "password": PASSWORD})
    assert locked.status_code == 429 and "登录失败次数过多" in locked.json()["detail"]


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
