"""Backpressure: how far analysis is behind intake, and when the write API must say wait."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.app.ports import Backlog, Clock, ReportRepository

SAMPLE_EVERY_SECONDS = 1.0
"""The backlog is counted in the database at most this often; between counts, reports
accepted since are added to the last count."""
RETRY_AFTER_BOUNDS = (1, 60)
RETRY_AFTER_UNKNOWN = 10
"""Retry-After when no drain rate has been seen yet (the workers may be starting or stuck)."""
RATE_WEIGHT = 0.3
"""Weight of the newest drain-rate sample in its moving average."""


@dataclass
class BacklogWatch:
    """Count the reports awaiting analysis and refuse intake past `limit` (0: no limit)."""

    reports: ReportRepository
    clock: Clock
    limit: int
    monotonic: Callable[[], float] = time.monotonic
    last: Backlog = field(default_factory=lambda: Backlog(0, None))
    _sampled_at: float | None = None
    _accepted_since: int = 0
    _rate: float | None = None
    """Reports analysed per second, a moving average over samples."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stale(self) -> bool:
        return (
            self._sampled_at is None or self.monotonic() - self._sampled_at >= SAMPLE_EVERY_SECONDS
        )

    def sample(self) -> Backlog:
        """Count the backlog in the database (blocking) and update the drain rate."""
        counted = self.reports.backlog()
        now = self.monotonic()
        with self._lock:
            if self._sampled_at is not None and now > self._sampled_at:
                drained = self.last.reports + self._accepted_since - counted.reports
                rate = max(drained, 0) / (now - self._sampled_at)
                if drained > 0 or counted.reports > 0:
                    self._rate = (
                        rate
                        if self._rate is None
                        else RATE_WEIGHT * rate + (1 - RATE_WEIGHT) * self._rate
                    )
            self.last = counted
            self._sampled_at = now
            self._accepted_since = 0
        return counted

    def accepted(self) -> None:
        """Note a report stored since the last count."""
        with self._lock:
            self._accepted_since += 1

    def estimate(self) -> int:
        """Reports awaiting analysis now: the last count plus those accepted since."""
        with self._lock:
            return self.last.reports + self._accepted_since

    def oldest_age_seconds(self) -> float:
        """Age of the oldest report awaiting analysis at the last count (0 when none)."""
        oldest = self.last.oldest_stored_at
        if oldest is None or self.last.reports == 0:
            return 0.0
        return max((self.clock.now() - oldest).total_seconds(), 0.0)

    def retry_after(self) -> int | None:
        """Seconds a client should wait before sending more, or None to accept now.

        The wait is the time the workers need, at their recent rate, to bring the
        backlog back under the limit, within 1–60 s.
        """
        if self.limit <= 0:
            return None
        waiting = self.estimate()
        if waiting < self.limit:
            return None
        rate = self._rate
        if not rate:
            return RETRY_AFTER_UNKNOWN
        excess = waiting - self.limit + 1
        low, high = RETRY_AFTER_BOUNDS
        return min(max(math.ceil(excess / rate), low), high)
