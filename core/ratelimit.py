"""Fixed-window counters on Django's cache, for limits keyed by a subject (a client address, a
respondent token …).

Keys hash the subject with SECRET_KEY (nothing personal is stored in the cache). With several
web processes the cache must be shared (Redis) for a limit to hold across them; while Redis is
down core.cache.FallbackRedisCache counts in each process's memory, so the limits still hold per
process.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, subject: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|{subject}".encode()).hexdigest()[:32]
    return f"rl:{kind}:{digest}"


def hit(kind: str, subject: str, window: int) -> int:
    """Count one event of `kind` for `subject` in the current window; the count so far."""
    key = _key(kind, subject)
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def count(kind: str, subject: str) -> int:
    """Events of `kind` for `subject` in the current window, without counting one."""
    return int(cache.get(_key(kind, subject), 0))
