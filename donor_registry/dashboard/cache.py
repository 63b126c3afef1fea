"""The dashboard's slow cards, kept for a few minutes per reach.

Three cards read every donor of a chapter (the reserve by group with who may give today, the
honours due, the SMS counts joined to donors): about a second at a million donors, too slow to
run on every opening of the dashboard. They are kept here for `[web] dashboard_cache_seconds`
per (user's chapters, day) and the page says when they were counted. The other cards are read
live. While one request counts a key, others for the same key wait for it instead of counting
too (fifty coordinators opening the dashboard at eight o'clock cost one count).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Counted:
    value: Any
    at: dt.datetime  # when it was counted (UTC)


class CardCache:
    @property
    def keeps(self) -> bool:
        return self.max_age > dt.timedelta(0)

    def __init__(self, max_age_seconds: int, max_keys: int = 1000):
        self.max_age = dt.timedelta(seconds=max_age_seconds)
        self.max_keys = max_keys
        self._entries: dict[Hashable, Counted] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, now: dt.datetime, count: Callable[[], Any]) -> Counted:
        """The value kept for `key` if counted less than max_age before `now`, else `count()`."""
        if self.max_age <= dt.timedelta(0):
            return Counted(count(), now)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            kept = self._entries.get(key)
            if kept is not None and dt.timedelta(0) <= now - kept.at < self.max_age:
                return kept
            counted = Counted(count(), now)
            with self._guard:
                if len(self._entries) >= self.max_keys:
                    # a burst of distinct reaches: start again, never grow (the locks in use are
                    # held by their callers, so dropping them from the table is safe)
                    self._entries.clear()
                    self._locks = {key: lock}
                self._entries[key] = counted
            return counted
