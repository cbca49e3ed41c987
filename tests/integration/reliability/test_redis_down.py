"""Redis unreachable (issue #12, point 3): the cache and the Celery broker on a closed port.

No page or API call answers 5xx: the token endpoint (DRF throttle), the survey link page (its rate
limits) and the balance page (cached charts) fall back to the process's memory
(core.cache.FallbackRedisCache). A save, submit or approve answers at once, with every broker and
result-backend call bounded (balance/settings.py), and leaves the district-year marked stale with
no run queued, for the catch-up job. The settings under test are the real ones: only the URLs
point at the closed port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from balance.celery import app
from balance.settings import redis_cache
from core.cache import FallbackRedisCache
from core.models import User
from indicators.models import BalanceState
from schools.models import AnnualStatistics, Status
from tests.conftest import login
from tests.factories import PASSWORD, YEAR, primary_values
from tests.integration import test_access
from tests.integration.test_access import Target, known_urls, post
from tests.worker import live_broker

pytestmark = pytest.mark.django_db

CLOSED = "redis://127.0.0.1:6399/0"  # nothing listens there
BOUND = 3.0  # seconds; the issue asks under one second, measured by bench/outage.py

target = test_access.target  # the access walker's cast of district A's objects (a fixture)


@pytest.fixture
def redis_down(settings: Any) -> Iterator[None]:
    """The cache and the broker (and result backend) on a closed port, the timeouts as configured."""
    settings.CACHES = {"default": redis_cache(CLOSED)}
    with live_broker(app, CLOSED):
        yield


def test_the_cache_falls_back_to_memory_and_stops_trying_for_a_while(redis_down: None, caplog: Any) -> None:
    from django.core.cache import cache, caches

    assert isinstance(caches["default"], FallbackRedisCache)
    assert cache.add("k", 1, 60) is True  # remembered in this process
    assert cache.incr("k") == 2
    assert cache.get_or_set("drawn", lambda: "svg") == "svg"
    assert cache.get("drawn") == "svg"
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1  # one warning, then memory until RETRY_AFTER has passed


def test_the_token_endpoint_answers_while_redis_is_down(redis_down: None, admin_user: User) -> None:
    response = Client().post("/api/v1/auth/token/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


def test_every_page_and_post_answers_without_a_server_error(
    target: Target, redis_down: None, request: pytest.FixtureRequest, django_capture_on_commit_callbacks: Any
) -> None:
    """The access walker's URLs, each page fetched and each form or API call posted by the user it
    is for (the survey questionnaire by an anonymous phone) while Redis is down."""
    clients: dict[str, Client] = {"anonymous": Client()}
    statuses: dict[str, int] = {}
    for name, page, url in known_urls(target):
        owner = "anonymous" if page.public else page.owner
        if owner not in clients:
            clients[owner] = login(request.getfixturevalue(owner))
        client = clients[owner]
        if page.get:
            statuses[f"GET {name}"] = client.get(url).status_code
        if page.post is not None:
            with django_capture_on_commit_callbacks(execute=True):  # what a request queues runs (and fails)
                statuses[f"POST {name}"] = post(client, url, page.post(target)).status_code
    errors = {call: status for call, status in statuses.items() if status >= 500}
    assert errors == {}
    assert statuses["GET indicators:balance_page"] == 200
    assert statuses["GET assessment:survey_public"] == 200


def test_a_save_submit_and_approve_answer_at_once_and_leave_the_results_stale(
    target: Target, redis_down: None, bureau_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    stats = AnnualStatistics.objects.get(school=target.point, year=YEAR)
    assert stats.status == Status.DRAFT
    bureau_client.get("/api/v1/statistics/")  # a warm process, as a running server is
    BalanceState.objects.filter(district=target.district, year=YEAR).update(stale=False, queued_at=None)

    def timed(method: str, url: str, data: dict[str, Any] | None = None) -> tuple[Any, float]:
        started = time.perf_counter()
        with django_capture_on_commit_callbacks(execute=True):  # the publish runs, against the closed port
            response = getattr(bureau_client, method)(url, data or {}, content_type="application/json")
        return response, time.perf_counter() - started

    body = {
        **primary_values(students_primary=62, classes_primary=2, max_class_size_primary=31),
        "school_code": target.point.code,
        "year": YEAR,
        "revision": stats.revision,
    }
    without = {k: v for k, v in body.items() if k != "revision"}
    assert timed("post", "/api/v1/statistics/", without)[0].status_code == 428  # a copy without revision
    saved, save_seconds = timed("post", "/api/v1/statistics/", body)
    assert saved.status_code == 200, saved.content
    state = BalanceState.objects.get(district=target.district, year=YEAR)
    assert state.stale and state.queued_at is None  # free for the catch-up job to queue
    submitted, submit_seconds = timed("post", f"/api/v1/statistics/{stats.pk}/submit/")
    approved, approve_seconds = timed("post", f"/api/v1/statistics/{stats.pk}/approve/")
    assert (submitted.status_code, approved.status_code) == (200, 200)
    assert AnnualStatistics.objects.get(pk=stats.pk).status == Status.APPROVED
    assert max(save_seconds, submit_seconds, approve_seconds) < BOUND, (save_seconds, submit_seconds, approve_seconds)
