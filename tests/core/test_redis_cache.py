"""The cache fails soft: with Redis down it answers as an empty cache, quickly, never raising."""

from __future__ import annotations

import time

from django.core.cache import caches

from ..conftest import needs_real_services
from .broker import free_port


def use_cache_at(settings, url: str) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "core.redis_cache.FailSoftRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_with_redis_down_reads_miss_and_writes_are_dropped(settings):
    use_cache_at(settings, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    cache = caches["default"]
    started = time.monotonic()
    cache.set("k", "v", 60)
    assert cache.get("k", "missing") == "missing"
    assert cache.add("k", 1) is False
    assert cache.incr("n") == 1
    assert cache.get_or_set("g", "computed") == "computed"
    assert cache.get_many(["k"]) == {} and cache.set_many({"a": 1}) == ["a"]
    assert cache.delete("k") is False and cache.has_key("k") is False
    assert time.monotonic() - started < 5


def test_with_redis_up_it_is_the_redis_cache(settings):
    needs_real_services(postgres=False, redis=True)
    use_cache_at(settings, settings.REDIS_URL)
    cache = caches["default"]
    cache.set("oversight-failsoft-probe", "ok", 10)
    assert cache.get("oversight-failsoft-probe") == "ok"
    cache.delete("oversight-failsoft-probe")
