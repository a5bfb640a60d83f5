"""The delivery worker against RELIABILITY R-04..R-07: backoff, rate limits, errors, pacing."""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest
import structlog

from adapters.memory import MemoryAdapter
from bot.app.clock import FixedClock
from bot.app.delivery import BACKOFF_CAP, CLAIM_LEASE, DeliveryWorker, backoff
from bot.app.ports import AlertView, DeliveryError, Posted
from bot.core.domain import Channel, ChannelId, Subscription
from bot.core.records import Delivery, DeliveryStatus
from storage.memory_store import MemoryStore
from tests.reliability.samples import (
    DESK,
    NEWSROOM,
    Outcomes,
    ReconcilingAdapter,
    commit,
    contradiction,
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    store.add_subscription(Subscription(NEWSROOM))
    return store


@pytest.fixture
def adapter() -> MemoryAdapter:
    return MemoryAdapter()


@pytest.fixture
def outcomes() -> Outcomes:
    return Outcomes()


def worker(
    store: MemoryStore,
    adapter: MemoryAdapter,
    clock: FixedClock,
    outcomes: Outcomes | None = None,
    **options: object,
) -> DeliveryWorker:
    options.setdefault("channel_interval", 0.0)
    return DeliveryWorker(
        store, {"memory": adapter}, clock, rng=random.Random(7), on_outcome=outcomes, **options
    )  # type: ignore[arg-type]


def only(store: MemoryStore) -> Delivery:
    [row] = store.deliveries()
    return row


# backoff -------------------------------------------------------------------------


def test_backoff_is_full_jitter_between_zero_and_the_exponential_ceiling() -> None:
    rng = random.Random(1)
    for attempt, ceiling in ((1, 2.0), (3, 8.0), (6, 64.0), (12, BACKOFF_CAP), (400, BACKOFF_CAP)):
        delays = [backoff(attempt, rng) for _ in range(2000)]
        assert all(0.0 <= d <= ceiling for d in delays)
        # Full jitter: spread over the whole range, not clustered at the ceiling.
        assert min(delays) < 0.05 * ceiling
        assert max(delays) > 0.95 * ceiling


def test_backoff_is_never_shorter_than_retry_after() -> None:
    rng = random.Random(2)
    assert all(backoff(1, rng, retry_after=30.0) >= 30.0 for _ in range(500))


# retries -------------------------------------------------------------------------


async def test_server_error_is_retried_with_backoff_and_counts_an_attempt(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock, outcomes: Outcomes
) -> None:
    commit(store, clock, contradiction("r1"))
    adapter.failures.append(DeliveryError("slack: server_error (HTTP 500)"))
    assert await worker(store, adapter, clock, outcomes).run_once() == 0
    row = only(store)
    assert row.status is DeliveryStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at is not None
    assert clock.now() <= row.next_attempt_at <= clock.now() + timedelta(seconds=2)
    assert "server_error" in row.last_error
    clock.advance(timedelta(seconds=2))
    assert await worker(store, adapter, clock, outcomes).run_once() == 1
    assert only(store).status is DeliveryStatus.SENT
    assert len(adapter.posts) == 1
    assert outcomes.of("retry") == [row.key]


async def test_rate_limit_waits_for_retry_after_and_is_not_a_failed_attempt(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock, outcomes: Outcomes
) -> None:
    commit(store, clock, contradiction("r1"))
    adapter.failures.append(DeliveryError("slack: ratelimited", retry_after=30))
    send = worker(store, adapter, clock, outcomes)
    await send.run_once()
    row = only(store)
    assert row.attempts == 0
    assert row.next_attempt_at is not None
    assert row.next_attempt_at >= clock.now() + timedelta(seconds=30)
    clock.advance(timedelta(seconds=29))
    assert await send.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await send.run_once() == 1
    assert only(store).attempts == 1
    assert outcomes.of("ratelimited") == [row.key]


async def test_rate_limit_holds_back_the_whole_channel_but_not_others(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    store.add_subscription(Subscription(DESK))
    commit(store, clock, contradiction("r1", topic="Pegasus"))
    commit(store, clock, contradiction("r2", topic="Palantir"))
    calls: list[Channel] = []
    limited = {NEWSROOM}

    async def post(channel: Channel, view: object, key: str, thread_id: str = "") -> object:
        calls.append(channel)
        if channel in limited:
            raise DeliveryError("ratelimited", retry_after=10)
        return await MemoryAdapter.post_alert(adapter, channel, view, key, thread_id)  # type: ignore[arg-type]

    adapter.post_alert = post  # type: ignore[method-assign,assignment]
    send = worker(store, adapter, clock)
    assert await send.run_once() == 2
    # One 429 on the newsroom: its second alert was not even tried; the desk got both.
    assert calls.count(NEWSROOM) == 1
    assert calls.count(DESK) == 2
    limited.clear()
    clock.advance(timedelta(seconds=9))
    assert await send.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await send.run_once() == 2
    assert all(d.attempts == 1 for d in store.deliveries())


async def test_permanent_error_stops_retrying_and_says_so(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock, outcomes: Outcomes
) -> None:
    commit(store, clock, contradiction("r1"))
    adapter.failures.append(DeliveryError("slack: channel_not_found", permanent=True))
    with structlog.testing.capture_logs() as logs:
        await worker(store, adapter, clock, outcomes).run_once()
    row = only(store)
    assert row.status is DeliveryStatus.FAILED
    assert "channel_not_found" in row.last_error
    assert outcomes.of("failed") == [row.key]
    assert any(
        e["event"] == "delivery failed permanently" and e["log_level"] == "error" for e in logs
    )
    clock.advance(timedelta(days=1))
    assert await worker(store, adapter, clock).run_once() == 0
    assert adapter.posts == []


async def test_rejected_credentials_pause_the_platform_and_keep_the_rows(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock, outcomes: Outcomes
) -> None:
    commit(store, clock, contradiction("r1", topic="Pegasus"))
    commit(store, clock, contradiction("r2", topic="Palantir"))
    adapter.failures.append(DeliveryError("slack: token_expired", permanent=True, auth=True))
    send = worker(store, adapter, clock, outcomes)
    with structlog.testing.capture_logs() as logs:
        await send.run_once()
    assert [d.status for d in store.deliveries()] == [DeliveryStatus.PENDING] * 2
    assert [d.attempts for d in store.deliveries()] == [0, 0]
    assert sum(e["event"] == "delivery paused" for e in logs) == 1
    # At most one probe per pause: nothing is tried before it ends.
    clock.advance(timedelta(seconds=59))
    await send.run_once()
    assert adapter.posts == []
    clock.advance(timedelta(seconds=1))
    assert await send.run_once() == 2
    assert len(adapter.posts) == 2


async def test_delivery_retries_for_24_hours_then_is_dead_with_a_log_line(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock, outcomes: Outcomes
) -> None:
    commit(store, clock, contradiction("r1"))
    start = clock.now()
    send = worker(store, adapter, clock, outcomes)
    tries = 0
    while clock.now() - start < timedelta(hours=23, minutes=50):
        adapter.failures[:] = [DeliveryError("network: ClientConnectorError")]
        row = only(store)
        assert row.status is DeliveryStatus.PENDING
        assert row.next_attempt_at is not None
        clock.at = max(row.next_attempt_at, clock.now())
        await send.run_once()
        tries += 1
    assert tries > 250  # retried all day, with waits capped at 5 minutes
    clock.at = start + timedelta(hours=24)
    adapter.failures[:] = [DeliveryError("network: ClientConnectorError")]
    with structlog.testing.capture_logs() as logs:
        await send.run_once()
    row = only(store)
    assert row.status is DeliveryStatus.DEAD
    assert "ClientConnectorError" in row.last_error
    assert outcomes.of("dead") == [row.key]
    assert any(e["event"] == "delivery dead" and e["log_level"] == "error" for e in logs)
    assert adapter.posts == []


# pacing --------------------------------------------------------------------------


@dataclass
class TimedAdapter(MemoryAdapter):
    """Records when each post reached the platform (real monotonic time)."""

    times: list[tuple[Channel, float]] = field(default_factory=list)

    async def post_alert(
        self, channel: Channel, view: AlertView, delivery_key: str, thread_id: str = ""
    ) -> Posted:
        self.times.append((channel, time.monotonic()))
        return await super().post_alert(channel, view, delivery_key, thread_id)


async def test_posts_to_one_channel_are_paced_and_channels_do_not_wait_for_each_other(
    store: MemoryStore, clock: FixedClock
) -> None:
    store.add_subscription(Subscription(DESK))
    for n, topic in enumerate(("Pegasus", "Palantir", "Cellebrite")):
        commit(store, clock, contradiction(f"r{n}", topic=topic))
    adapter = TimedAdapter()
    send = DeliveryWorker(store, {"memory": adapter}, clock, channel_interval=0.25)
    started = time.monotonic()
    assert await send.run_once() == 6
    elapsed = time.monotonic() - started
    for channel in (NEWSROOM, DESK):
        times = [at for ch, at in adapter.times if ch == channel]
        assert len(times) == 3
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(gap >= 0.24 for gap in gaps), gaps
    # Side by side: 2 gaps of 0.25 s, not 5.
    assert elapsed < 1.0


# the notification log --------------------------------------------------------------


class BrokenStore(MemoryStore):
    """The database goes away: every write raises."""

    def update_delivery(self, delivery: Delivery) -> None:
        raise ConnectionError("database unreachable")


async def test_nothing_is_sent_while_the_database_cannot_record_it(
    adapter: MemoryAdapter, clock: FixedClock
) -> None:
    store = BrokenStore()
    store.add_subscription(Subscription(NEWSROOM))
    commit(store, clock, contradiction("r1"))
    with pytest.raises(ConnectionError):
        await worker(store, adapter, clock).run_once()
    assert adapter.posts == []


class LosesSentMark(MemoryStore):
    """Crash stand-in: the write that marks a row sent never lands."""

    def update_delivery(self, delivery: Delivery) -> None:
        if delivery.status is DeliveryStatus.SENT:
            raise ConnectionError("killed before the commit")
        super().update_delivery(delivery)


async def test_a_post_whose_outcome_was_lost_is_reconciled_not_posted_again(
    clock: FixedClock,
) -> None:
    store = LosesSentMark()
    store.add_subscription(Subscription(NEWSROOM))
    commit(store, clock, contradiction("r1"))
    adapter = ReconcilingAdapter()
    with pytest.raises(ConnectionError):
        await worker(store, adapter, clock).run_once()
    assert len(adapter.posts) == 1
    # "Restart": a new worker, a store that works, after the claim's lease.
    healthy = MemoryStore()
    healthy.__dict__.update(store.__dict__)
    clock.advance(CLAIM_LEASE - timedelta(seconds=1))
    assert await worker(healthy, adapter, clock).run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await worker(healthy, adapter, clock).run_once() == 1
    assert len(adapter.posts) == 1
    assert adapter.lookups == [only(healthy).key]
    assert only(healthy).message_id == adapter.posts[0].message_id


async def test_a_thread_reply_whose_outcome_was_lost_is_reconciled_in_its_thread(
    clock: FixedClock,
) -> None:
    store = MemoryStore()
    store.add_subscription(Subscription(NEWSROOM))
    adapter = ReconcilingAdapter()
    commit(store, clock, contradiction("r1"))
    await worker(store, adapter, clock).run_once()
    clock.advance(timedelta(hours=1))
    [follow] = commit(store, clock, contradiction("r2"))
    assert not follow.update
    lost = LosesSentMark()
    lost.__dict__.update(store.__dict__)
    with pytest.raises(ConnectionError):
        await worker(lost, adapter, clock).run_once()
    clock.advance(CLAIM_LEASE)
    assert await worker(store, adapter, clock).run_once() == 1
    assert [p.delivery_key for p in adapter.posts] == [adapter.posts[0].delivery_key, follow.key]
    assert adapter.lookups == [follow.key]


async def test_without_reconciliation_a_lost_outcome_is_posted_again(clock: FixedClock) -> None:
    """The documented at-least-once window for adapters that cannot look back (R-06)."""
    store = LosesSentMark()
    store.add_subscription(Subscription(NEWSROOM))
    commit(store, clock, contradiction("r1"))
    adapter = MemoryAdapter()
    with pytest.raises(ConnectionError):
        await worker(store, adapter, clock).run_once()
    healthy = MemoryStore()
    healthy.__dict__.update(store.__dict__)
    clock.advance(CLAIM_LEASE)
    await worker(healthy, adapter, clock).run_once()
    assert len(adapter.posts) == 2


async def test_a_claimed_row_is_left_alone_for_the_lease(
    store: MemoryStore, clock: FixedClock
) -> None:
    commit(store, clock, contradiction("r1"))
    row = only(store)
    claimed = replace(row, attempts=1, next_attempt_at=clock.now() + CLAIM_LEASE)
    store.update_delivery(claimed)  # another worker's claim, mid-send
    adapter = MemoryAdapter()
    assert await worker(store, adapter, clock).run_once() == 0
    assert adapter.posts == []


async def test_unknown_platform_keeps_the_row_until_it_is_configured(
    store: MemoryStore, clock: FixedClock, outcomes: Outcomes
) -> None:
    store.add_subscription(Subscription(Channel("matrix", ChannelId("!room:example.org"))))
    commit(store, clock, contradiction("r1"))
    adapter = MemoryAdapter()
    await worker(store, adapter, clock, outcomes).run_once()
    matrix = next(d for d in store.deliveries() if d.channel.platform == "matrix")
    assert matrix.status is DeliveryStatus.PENDING
    assert outcomes.of("paused") == [matrix.key]
