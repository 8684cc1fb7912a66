"""Redis down or hung: the cache fails fast (short socket timeouts, then the breaker in
laowu/core/cache.py), and every use of it answers as docs/redis.md says — the public
verification page and the cached counts carry on, a second-factor code is refused with a
message, sessions move to the database and back, refusals are audited one by one."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from laowu.core import ratelimit
from laowu.core.cache import CacheUnavailable, RedisCache, _Breaker
from tests.conftest import PASSWORD
from tests.factories import totp_code, totp_device

REAL_REDIS = "redis://127.0.0.1:6379/15"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A port that takes connections (the kernel's backlog) and never answers: a hung Redis."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield f"redis://127.0.0.1:{s.getsockname()[1]}/0"


@pytest.fixture(autouse=True)
def _closed_breakers() -> Iterator[None]:
    _Breaker.reset()
    yield
    _Breaker.reset()


def redis_cache(location: str, **params: Any) -> RedisCache:
    params.setdefault("OPTIONS", {"socket_connect_timeout": 0.3, "socket_timeout": 0.3})
    return RedisCache(location, params)


def caches_at(location: str) -> dict[str, Any]:
    """Production's layout (laowu/settings/production.py) pointed at `location`."""
    default = {
        "BACKEND": "laowu.core.cache.RedisCache",
        "LOCATION": location,
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        "BREAKER_SECONDS": 10,
    }
    return {"default": default}


def production_like(location: str) -> Any:
    return override_settings(
        CACHES=caches_at(location),
        SESSION_ENGINE="laowu.core.sessions",
        LAOWU_STATISTICS_CACHE_SECONDS=300,
        LAOWU_PENDING_COUNTS_SECONDS=30,
    )


def test_a_refused_connection_opens_the_breaker() -> None:
    cache = redis_cache(f"redis://127.0.0.1:{free_port()}/0", BREAKER_SECONDS=0.5)
    with pytest.raises(CacheUnavailable):
        cache.get("k")
    with pytest.raises(CacheUnavailable, match="breaker open"):
        cache.add("k", 1)
    time.sleep(0.6)
    with pytest.raises(CacheUnavailable) as tried:
        cache.get("k")
    assert "breaker open" not in str(tried.value)  # tried the network again once it closed


def test_a_hung_redis_costs_one_timeout_not_one_per_call(hung_redis: str) -> None:
    cache = redis_cache(hung_redis)
    started = time.monotonic()
    with pytest.raises(CacheUnavailable):
        cache.get("k")
    first = time.monotonic() - started
    assert 0.25 <= first < 3, first  # the socket timeout, not redis-py's or the kernel's
    started = time.monotonic()
    for _ in range(20):
        with pytest.raises(CacheUnavailable):
            cache.incr("k")
    # Twenty calls without touching the network: far less than a single timeout.
    assert time.monotonic() - started < 0.25


def test_a_working_redis_closes_the_breaker() -> None:
    cache = redis_cache(REAL_REDIS, KEY_PREFIX=f"laowu-test-{free_port()}")
    cache._breaker.failed(OSError("was down"))
    with pytest.raises(CacheUnavailable):
        cache.get("k")
    _Breaker._open_until[REAL_REDIS] = 0.0
    cache.set("k", 1, 5)
    assert cache.get("k") == 1 and REAL_REDIS not in _Breaker._open_until
    cache.delete("k")


def test_rate_limits_fail_open_or_safe_as_their_caller_says() -> None:
    with override_settings(CACHES=caches_at(f"redis://127.0.0.1:{free_port()}/0")):
        assert ratelimit.allow("verify:1.2.3.4", limit=1, window_seconds=60, fail_open=True) is True
        assert ratelimit.allow("otp-fail:1", limit=1, window_seconds=60, fail_open=False) is False
        with pytest.raises(ratelimit.Unavailable):
            ratelimit.hits("otp-fail:1")
        ratelimit.clear("otp-fail:1")  # best effort: no error


@pytest.fixture
def approved(filing_in_state: Any) -> Any:
    from laowu.review.models import State

    return filing_in_state(State.APPROVED)


@pytest.mark.django_db
def test_with_redis_hung_login_and_verify_pages_answer(hung_redis: str, enterprise_a: Any, approved: Any) -> None:
    with production_like(hung_redis):
        c = Client()
        started = time.monotonic()
        assert c.get(reverse("accounts:login")).status_code == 200
        data = {"username": enterprise_a.username, "password": PASSWORD, "captcha_0": "k", "captcha_1": "PASSED"}
        resp = c.post(reverse("accounts:login"), data)
        assert resp.status_code == 302, resp.content.decode()[:500]
        # The session lives in the database: the enterprise stays logged in.
        assert c.get(reverse("workspace:home")).status_code == 200
        token = approved.approved_submission.verify_token
        page = Client().get(reverse("printing:verify", args=[token]))
        assert page.status_code == 200
        # One socket timeout for the lot (the breaker), not one per cache call.
        assert time.monotonic() - started < 5


@pytest.mark.django_db
def test_with_redis_down_a_second_factor_code_is_refused_with_a_message(reviewer: Any) -> None:
    device = totp_device(reviewer)
    with production_like(f"redis://127.0.0.1:{free_port()}/0"):
        c = Client()
        data = {"username": reviewer.username, "password": PASSWORD, "captcha_0": "k", "captcha_1": "PASSED"}
        assert c.post(reverse("accounts:login"), data).status_code == 302
        resp = c.post(reverse("accounts:otp_verify"), {"code": totp_code(device)})
        assert resp.status_code == 200
        assert "暂时无法校验动态验证码" in resp.content.decode()
        assert c.get("/review/").status_code == 302  # not let in


@pytest.mark.django_db
def test_with_redis_down_the_queue_counts_and_statistics_are_computed(as_user: Any, reviewer: Any) -> None:
    with production_like(f"redis://127.0.0.1:{free_port()}/0"):
        c = as_user(reviewer)
        assert c.get(reverse("review:queue")).status_code == 200
        assert c.get(reverse("supervision:statistics")).status_code == 200


@pytest.mark.django_db
def test_with_redis_down_every_refusal_is_audited() -> None:
    from laowu.audit.models import AuditEvent
    from laowu.audit.services import Action

    with production_like(f"redis://127.0.0.1:{free_port()}/0"), override_settings(LAOWU_AUDIT_REFUSALS_PER_MINUTE=1):
        for _ in range(3):
            assert Client().get("/no-such-page/").status_code == 404
    # Over the per-minute limit, yet each one written: without the counter none is held back.
    assert AuditEvent.objects.filter(action=Action.NOT_FOUND).count() == 3


@pytest.mark.django_db
def test_sessions_live_in_redis_and_in_the_database_while_it_is_down(enterprise_a: Any) -> None:
    from django.contrib.sessions.models import Session

    from laowu.core.sessions import KEY_PREFIX, SessionStore

    prefix = f"laowu-test-{free_port()}"
    up = {**caches_at(REAL_REDIS)["default"], "KEY_PREFIX": prefix}
    down = caches_at(f"redis://127.0.0.1:{free_port()}/0")["default"]
    with override_settings(CACHES={"default": up}):
        s = SessionStore()
        s["who"] = "a"
        s.save()
        key = s.session_key
        # Redis up: in Redis only, no database write.
        assert not Session.objects.exists() and SessionStore(key).load() == {"who": "a"}
    with override_settings(CACHES={"default": down}):
        assert SessionStore(key).load() == {}  # lived in Redis: logged out, no error
        s = SessionStore()
        s["who"] = "b"
        s.save()
        during = s.session_key
        assert Session.objects.filter(session_key=during).exists()
        assert SessionStore(during).load() == {"who": "b"}
    _Breaker.reset()
    with override_settings(CACHES={"default": up}):
        from django.core.cache import caches

        # Back up: the session made meanwhile is read, and moves to Redis.
        assert SessionStore(during).load() == {"who": "b"}
        assert not Session.objects.filter(session_key=during).exists()
        assert caches["default"].get(KEY_PREFIX + during) == {"who": "b"}
        SessionStore(during).delete()
        assert SessionStore(during).load() == {}
        SessionStore(key).delete()
