"""The dashboard's kept cards: counted once per key within the age, again after it."""

import datetime as dt
import threading

from donor_registry.dashboard.cache import CardCache

T0 = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.calls


def test_a_key_is_counted_once_within_the_age_and_again_after_it():
    cache, count = CardCache(300), Counter()
    first = cache.get("a", T0, count)
    assert (first.value, first.at) == (1, T0)
    assert cache.get("a", T0 + dt.timedelta(seconds=299), count).value == 1
    again = cache.get("a", T0 + dt.timedelta(seconds=300), count)
    assert (again.value, again.at, count.calls) == (2, T0 + dt.timedelta(seconds=300), 2)


def test_keys_are_apart_and_a_clock_set_back_counts_again():
    cache, count = CardCache(300), Counter()
    assert [cache.get(k, T0, count).value for k in ("a", "b", "a")] == [1, 2, 1]
    assert cache.get("a", T0 - dt.timedelta(seconds=1), count).value == 3


def test_age_zero_counts_every_time():
    cache, count = CardCache(0), Counter()
    assert [cache.get("a", T0, count).value for _ in range(3)] == [1, 2, 3]


def test_the_cache_never_holds_more_than_its_keys():
    cache, count = CardCache(300, max_keys=3), Counter()
    for key in range(10):
        cache.get(key, T0, count)
    assert len(cache._entries) <= 3


def test_requests_for_one_key_at_once_cost_one_count():
    cache, release, calls = CardCache(300), threading.Event(), []

    def slow_count():
        calls.append(1)
        release.wait(timeout=10)
        return "counted"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("a", T0, slow_count).value))
               for _ in range(10)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["counted"] * 10 and len(calls) == 1
