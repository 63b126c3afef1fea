"""Pure sending rules: quiet hours, retry backoff, and a token-bucket rate limiter."""

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo


def quiet_until(
    now: dt.datetime, *, start: dt.time, end: dt.time, tz: str
) -> dt.datetime | None:
    """When the quiet period `now` falls in ends (UTC), or None outside quiet hours.

    The period runs from `start` to `end` local time and may span midnight (21:00–07:00);
    start == end means no quiet hours.
    """
    if start == end:
        return None
    local = now.astimezone(ZoneInfo(tz))
    clock = local.timetz().replace(tzinfo=None)
    spans_midnight = start > end
    inside = (clock >= start or clock < end) if spans_midnight else (start <= clock < end)
    if not inside:
        return None
    end_day = local.date() + dt.timedelta(days=1 if spans_midnight and clock >= start else 0)
    return dt.datetime.combine(end_day, end, tzinfo=local.tzinfo).astimezone(dt.UTC)


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Wait after the `attempts`-th failed try: base, 2×base, 4×base … at most cap."""
    exponent = max(attempts - 1, 0)
    if exponent > 60:
        return cap
    return min(cap, base * math.pow(2, exponent))


class TokenBucket:
    """At most `rate` acquisitions a second, with a burst of `burst`; rate 0 = no limit.

    `clock` and `sleep` are injectable so tests run on a fake clock.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 0 or burst < 1:
            raise ValueError("rate must be >= 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._last = clock()
        self._lock = threading.Lock()  # held while waiting: senders queue up in turn

    def acquire(self) -> None:
        """Take one token, sleeping until one is available (thread-safe)."""
        if self.rate == 0:
            return
        with self._lock:
            self._take()

    def _take(self) -> None:
        while True:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1 - 1e-9:  # float dust must not leave a waiter spinning
                self._tokens = max(self._tokens - 1, 0.0)
                return
            self._sleep((1 - self._tokens) / self.rate)
