"""Alert grouping by (agency, topic), silences and the outbox rule (SPEC Alert, R-01, R-08)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app.clock import FixedClock
from bot.app.delivery import DeliveryWorker
from bot.app.pipeline import Pipeline
from bot.app.ports import DeliveryError
from bot.core.alerts import route
from bot.core.domain import (
    Agency,
    AgencyName,
    Report,
    ReportId,
    Silence,
    Subscription,
    Topic,
    TopicName,
    Watchlist,
)
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.core.records import AnalysisWrite, DeliveryStatus
from storage.memory_store import MemoryStore
from tests.reliability.samples import DESK, NEWSROOM, commit, contradiction

WINDOW = timedelta(minutes=10)


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


def worker(store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock) -> DeliveryWorker:
    return DeliveryWorker(
        store, {"memory": adapter}, clock, rng=random.Random(3), channel_interval=0.0
    )


async def test_first_contradiction_of_a_pair_is_posted_at_once_as_the_lead(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    [row] = commit(store, clock, contradiction("r1"))
    assert row.is_lead
    assert row.next_attempt_at == clock.now()
    assert await worker(store, adapter, clock).run_once() == 1
    [post] = adapter.posts
    assert post.view.is_lead
    assert post.thread_id == ""


async def test_a_copy_within_the_group_window_updates_the_lead_sources(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    commit(store, clock, contradiction("r1", source="Knack"))
    await worker(store, adapter, clock).run_once()
    clock.advance(WINDOW - timedelta(seconds=1))
    [copy] = commit(store, clock, contradiction("r2", source="Le Soir"))
    assert copy.update and not copy.is_lead
    assert await worker(store, adapter, clock).run_once() == 1
    assert len(adapter.posts) == 1
    [(channel, message_id, view)] = adapter.updates
    assert (channel, message_id) == (NEWSROOM, adapter.posts[0].message_id)
    assert view.is_lead
    assert view.contradiction.new.report_id == "r1"  # the lead's own evidence stays on top
    assert {"Knack", "Le Soir"} <= set(view.sources)


async def test_copies_in_one_analysis_update_the_lead_instead_of_posting(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    rows = commit(store, clock, contradiction("r1", "d1"), contradiction("r1", "d2"))
    assert [(r.is_lead, r.update) for r in rows] == [(True, False), (False, True)]
    send = worker(store, adapter, clock)
    # As in SQL, the copy is due once its lead is no longer pending: the next batch.
    assert await send.run_once() == 1
    assert await send.run_once() == 1
    assert len(adapter.posts) == 1
    assert len(adapter.updates) == 1


async def test_a_burst_of_copies_edits_the_lead_once_per_batch_not_once_per_copy(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    commit(store, clock, contradiction("r1", source="Knack"))
    send = worker(store, adapter, clock)
    await send.run_once()
    copies = [
        commit(store, clock, contradiction(f"copy{n}", source=f"Paper {n}"))[0] for n in range(30)
    ]
    assert all(c.update for c in copies)
    assert await send.run_once(limit=50) == 1
    # One edit carried every source; the 29 other edits were coalesced into it.
    [(_, _, view)] = adapter.updates
    assert {f"Paper {n}" for n in range(30)} <= set(view.sources)
    statuses = [d.status for d in store.deliveries() if d.update]
    assert statuses.count(DeliveryStatus.SENT) == 1
    assert statuses.count(DeliveryStatus.COALESCED) == 29
    # A copy after the edit is edited in again.
    commit(store, clock, contradiction("late copy", source="Paper late"))
    assert await send.run_once() == 1
    assert "Paper late" in adapter.updates[-1][2].sources


async def test_later_evidence_goes_into_the_lead_thread(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    commit(store, clock, contradiction("r1"))
    await worker(store, adapter, clock).run_once()
    clock.advance(WINDOW)
    [later] = commit(store, clock, contradiction("r2"))
    assert not later.update and not later.is_lead
    await worker(store, adapter, clock).run_once()
    lead, reply = adapter.posts
    assert reply.thread_id == lead.message_id
    assert not reply.view.is_lead
    assert adapter.updates == []


async def test_follow_up_waits_for_its_lead_instead_of_posting_top_level(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    commit(store, clock, contradiction("r1"))
    clock.advance(WINDOW)
    commit(store, clock, contradiction("r2"))
    adapter.failures.append(DeliveryError("slack: server_error"))
    send = worker(store, adapter, clock)
    await send.run_once()
    assert adapter.posts == []
    for _ in range(5):
        clock.advance(timedelta(seconds=2))
        await send.run_once()
    lead, reply = adapter.posts
    assert lead.view.is_lead and lead.thread_id == ""
    assert reply.thread_id == lead.message_id


async def test_each_channel_gets_its_own_lead(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    commit(store, clock, contradiction("r1"))
    await worker(store, adapter, clock).run_once()
    store.add_subscription(Subscription(DESK))
    clock.advance(WINDOW)
    rows = {r.channel: r for r in commit(store, clock, contradiction("r2"))}
    assert not rows[NEWSROOM].is_lead
    assert rows[DESK].is_lead  # the desk never saw the alert: it gets it whole
    await worker(store, adapter, clock).run_once()
    desk = [p for p in adapter.posts if p.channel == DESK]
    assert [p.thread_id for p in desk] == [""]


async def test_a_lead_that_could_not_be_posted_hands_the_thread_to_the_next_post(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    commit(store, clock, contradiction("r1"))
    adapter.failures.append(DeliveryError("slack: is_archived", permanent=True))
    await worker(store, adapter, clock).run_once()
    clock.advance(WINDOW)
    commit(store, clock, contradiction("r2"))
    await worker(store, adapter, clock).run_once()
    clock.advance(WINDOW)
    commit(store, clock, contradiction("r3"))
    await worker(store, adapter, clock).run_once()
    first, second = adapter.posts
    assert first.thread_id == "" and first.view.is_lead
    assert second.thread_id == first.message_id


# silences --------------------------------------------------------------------------


async def test_a_silence_applies_to_the_next_analysis_and_is_recorded(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    store.add_silence(Silence("zephyr police", clock.now() + timedelta(hours=1), "U1"))
    [row] = commit(store, clock, contradiction("r1"))
    assert row.status is DeliveryStatus.SUPPRESSED
    assert "muted" in row.last_error
    assert await worker(store, adapter, clock).run_once() == 0
    assert adapter.posts == []
    assert [d.status for d in store.deliveries()] == [DeliveryStatus.SUPPRESSED]


async def test_a_silence_created_after_enqueue_still_holds_the_delivery_back(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    commit(store, clock, contradiction("r1"))
    store.add_silence(Silence("Clearview AI", clock.now() + timedelta(hours=1), "U1"))
    await worker(store, adapter, clock).run_once()
    assert adapter.posts == []
    [row] = store.deliveries()
    assert row.status is DeliveryStatus.SUPPRESSED


async def test_alerts_resume_when_the_silence_expires(
    store: MemoryStore, adapter: MemoryAdapter, clock: FixedClock
) -> None:
    store.add_silence(Silence("zephyr police", clock.now() + timedelta(minutes=30), "U1"))
    commit(store, clock, contradiction("r1"))
    clock.advance(timedelta(minutes=30))
    [row] = commit(store, clock, contradiction("r2"))
    assert row.is_lead  # the muted evidence opened nothing: this one is posted whole
    assert await worker(store, adapter, clock).run_once() == 1
    assert adapter.posts[0].view.is_lead


def test_routing_never_posts_muted_evidence_in_any_channel(clock: FixedClock) -> None:
    silences = [Silence("Clearview AI", clock.now() + timedelta(minutes=5))]
    subs = [Subscription(NEWSROOM), Subscription(DESK)]
    routing = route([contradiction("r1")], subs, silences, {}, clock.now())
    assert {d.status for d in routing.deliveries} == {DeliveryStatus.SUPPRESSED}
    assert routing.alerts == ()


# the outbox rule -----------------------------------------------------------------------


class RecordingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[AnalysisWrite] = []

    def save_analysis(self, write: AnalysisWrite) -> list:  # type: ignore[type-arg]
        self.writes.append(write)
        return super().save_analysis(write)


def test_a_contradiction_and_its_outbox_rows_are_committed_in_one_write(
    clock: FixedClock,
) -> None:
    store = RecordingStore()
    store.save_watchlist(
        Watchlist(
            (Agency(AgencyName("Zephyr Regional Police"), "XA"),),
            (Topic(TopicName("Clearview AI")),),
        )
    )
    store.add_subscription(Subscription(NEWSROOM))
    pipeline = Pipeline(store, clock, load_lexicons(), load_vocabulary())
    texts = (
        "A spokesperson for the Zephyr Regional Police said the force had never used Clearview AI.",
        "The interior minister confirmed that the Zephyr Regional Police had used "
        "Clearview AI since last year.",
    )
    for n, text in enumerate(texts):
        report = Report(ReportId(f"r{n}"), date(2021, 1, 1 + n), "src", "", "en", "", text)
        pipeline.ingest(report)
    found = [w for w in store.writes if w.contradictions]
    assert len(found) == 1
    [write] = found
    assert [d.contradiction_key for d in write.deliveries] == [write.contradictions[0].key]
    assert [a.key for a in write.alerts] == [write.deliveries[0].alert_key]
