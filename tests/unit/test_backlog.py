"""Backpressure: the write API is refused past the backlog limit, with an honest Retry-After."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from bot.app.backlog import RETRY_AFTER_UNKNOWN, BacklogWatch
from bot.app.clock import FixedClock
from bot.app.ports import Backlog, ReportRepository

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Counted:
    """A report repository reduced to its backlog count."""

    reports: int = 0
    oldest: datetime | None = None

    def backlog(self) -> Backlog:
        return Backlog(self.reports, self.oldest)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def watch(counted: Counted, limit: int, ticks: Ticks) -> BacklogWatch:
    repository = cast(ReportRepository, cast(Any, counted))
    return BacklogWatch(repository, FixedClock(AT), limit, monotonic=ticks)


def test_under_the_limit_reports_are_accepted() -> None:
    ticks = Ticks()
    backlog = watch(Counted(4), 5, ticks)
    backlog.sample()
    assert backlog.retry_after() is None


def test_reports_accepted_since_the_last_count_fill_the_backlog() -> None:
    ticks = Ticks()
    backlog = watch(Counted(4), 5, ticks)
    backlog.sample()
    backlog.accepted()
    assert backlog.estimate() == 5
    assert backlog.retry_after() == RETRY_AFTER_UNKNOWN  # nothing drained yet


def test_retry_after_is_the_time_to_drain_back_under_the_limit() -> None:
    ticks = Ticks()
    counted = Counted(100)
    backlog = watch(counted, 50, ticks)
    backlog.sample()
    ticks.now, counted.reports = 2.0, 80  # 10 analysed per second
    backlog.sample()
    assert backlog.retry_after() == 4  # 31 over the limit at 10/s


def test_retry_after_stays_within_a_minute() -> None:
    ticks = Ticks()
    counted = Counted(10_000)
    backlog = watch(counted, 50, ticks)
    backlog.sample()
    ticks.now, counted.reports = 1.0, 9_999
    backlog.sample()
    assert backlog.retry_after() == 60


def test_no_limit_accepts_every_report() -> None:
    ticks = Ticks()
    backlog = watch(Counted(1_000_000), 0, ticks)
    backlog.sample()
    assert backlog.retry_after() is None


def test_the_oldest_waiting_report_has_an_age_and_none_waiting_has_none() -> None:
    ticks = Ticks()
    counted = Counted(3, AT - timedelta(seconds=42))
    backlog = watch(counted, 10, ticks)
    backlog.sample()
    assert backlog.oldest_age_seconds() == 42.0
    counted.reports, counted.oldest = 0, None
    ticks.now = 1.0
    backlog.sample()
    assert backlog.oldest_age_seconds() == 0.0


def test_the_count_is_taken_at_most_once_a_second() -> None:
    ticks = Ticks()
    backlog = watch(Counted(1), 10, ticks)
    assert backlog.stale()
    backlog.sample()
    ticks.now = 0.5
    assert not backlog.stale()
    ticks.now = 1.0
    assert backlog.stale()
