"""Shared fixtures: Celery in-process, and the fixed cast of districts, schools and users.

The cast (built through the services, see tests/factories.py):

    district_a   甲测试县 (110101): school_a1 (primary, principal), school_a2 (junior, other_principal)
    district_b   乙测试县 (120101): school_b1 (primary)
    bureau_user          bureau staff of district A
    other_bureau_user    bureau staff of district B
    principal            principal of school_a1
    other_principal      principal of school_a2 (another school in the same district)
    inspector            inspector assigned to district A
    outsider_inspector   inspector assigned to district B only
    outsider_city        city supervision office (市级教育督导室) assigned to district B only
    admin_user           administrator

Celery: with REDIS_URL set (as in CI) tasks would go to a broker. The autouse fixtures
`celery_eager_session` and `celery_eager` run them in-process (eager, errors propagated) for the
whole session and every test, so results are the same with or without REDIS_URL. Tests marked
`worker` (a real worker on Redis) get eager mode switched off for their duration; any other test
can do the same by requesting `celery_not_eager`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from core.models import Role, User
from schools.models import District, School
from tests.factories import YEAR, make_district, make_school, make_user


def pytest_configure(config: pytest.Config) -> None:
    # WhiteNoise warns when `collectstatic` has not run; pages are served without it in tests.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def _set_eager(eager: bool) -> tuple[Any, Any]:
    from balance.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = eager
    app.conf.task_eager_propagates = True if eager else previous[1]
    return previous


def _restore(previous: tuple[Any, Any]) -> None:
    from balance.celery import app

    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True, scope="session")
def fast_password_hasher() -> Iterator[None]:
    """Users are created in many tests; the production hasher is slow on purpose."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def private_cache() -> Iterator[None]:
    """Each test run counts login failures in its own memory, not in a shared Redis that outlives
    the run (the throttling tests clear it between tests)."""
    from django.test import override_settings

    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        yield


@pytest.fixture(autouse=True)
def language_per_test() -> Iterator[None]:
    """Each test starts in the default language. A request through the test client activates its
    language (LocaleMiddleware) in this thread and nothing switches it back, as a real server's
    next request would: without this, a test in English mode leaves later tests' management
    commands and services speaking English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True, scope="session")
def celery_eager_session() -> Iterator[None]:
    """Tasks run in-process for the whole session, so module- and session-scoped fixtures that
    write data (and schedule recomputes) see the same behaviour as the tests."""
    previous = _set_eager(True)
    yield
    _restore(previous)


@pytest.fixture(autouse=True)
def celery_eager(request: pytest.FixtureRequest, celery_eager_session: None) -> Iterator[bool]:
    """Run Celery tasks in-process (and raise their errors), except in tests marked `worker`:
    those publish to a real broker, so eager mode is switched off for them."""
    if request.node.get_closest_marker("worker") is not None:
        previous = _set_eager(False)
        yield False
        _restore(previous)
        return
    previous = _set_eager(True)
    yield True
    _restore(previous)


@pytest.fixture
def celery_not_eager() -> Iterator[None]:
    """Send tasks to the configured broker for this test (a worker must consume them)."""
    previous = _set_eager(False)
    yield
    _restore(previous)


# --- the cast ---------------------------------------------------------------------------------


@pytest.fixture
def year() -> int:
    return YEAR


@pytest.fixture
def district_a(db: None) -> District:
    return make_district("110101", "甲测试县")


@pytest.fixture
def district_b(db: None) -> District:
    return make_district("120101", "乙测试县")


@pytest.fixture
def school_a1(district_a: District) -> School:
    return make_school(district_a, "1101010001", "甲县城关第一小学", "primary")


@pytest.fixture
def school_a2(district_a: District) -> School:
    return make_school(district_a, "1101010002", "甲县实验初级中学", "junior")


@pytest.fixture
def school_b1(district_b: District) -> School:
    return make_school(district_b, "1201010001", "乙县向阳小学", "primary")


@pytest.fixture
def bureau_user(district_a: District) -> User:
    return make_user("bureau_a", Role.BUREAU, district=district_a)


@pytest.fixture
def other_bureau_user(district_b: District) -> User:
    return make_user("bureau_b", Role.BUREAU, district=district_b)


@pytest.fixture
def principal(school_a1: School) -> User:
    return make_user("principal_a1", Role.PRINCIPAL, school=school_a1)


@pytest.fixture
def other_principal(school_a2: School) -> User:
    return make_user("principal_a2", Role.PRINCIPAL, school=school_a2)


@pytest.fixture
def inspector(district_a: District) -> User:
    user = make_user("inspector_a", Role.INSPECTOR)
    user.inspected_districts.add(district_a)
    return user


@pytest.fixture
def outsider_inspector(district_b: District) -> User:
    user = make_user("inspector_b", Role.INSPECTOR)
    user.inspected_districts.add(district_b)
    return user


@pytest.fixture
def outsider_city(district_b: District) -> User:
    user = make_user("city_b", Role.CITY)
    user.inspected_districts.add(district_b)
    return user


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user("admin", Role.ADMIN)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bureau_client(bureau_user: User) -> Client:
    return login(bureau_user)


@pytest.fixture
def principal_client(principal: User) -> Client:
    return login(principal)


@pytest.fixture
def inspector_client(inspector: User) -> Client:
    return login(inspector)


@pytest.fixture
def renders() -> Iterator[list[dict[str, Any]]]:
    """Report renders replaced by a small fake PDF of 1 page ("%PDF-1.7 fake N"), counted; the
    real renderer has its own tests (tests/integration/reports/test_report_content.py)."""
    from unittest import mock

    calls: list[dict[str, Any]] = []

    def fake(**kwargs: Any) -> tuple[bytes, int]:
        calls.append(kwargs)
        return b"%PDF-1.7 fake " + str(len(calls)).encode(), 1

    with mock.patch("reports.services.render_document", side_effect=fake):
        yield calls
