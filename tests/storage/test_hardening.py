"""Issue 13 on every store: claims given back, skipped reports, revisions, row-level
watchlist upserts under concurrency, dedupe keys pruned."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.app.ports import Store
from bot.core.domain import (
    Agency,
    AgencyName,
    Channel,
    ChannelId,
    Polarity,
    ReportId,
    Subscription,
    Topic,
    TopicName,
    Watchlist,
)
from bot.core.records import AnalysisWrite
from storage.sql_store import SqlStore
from tests.storage.samples import report, statement


def test_released_claims_can_be_claimed_again_at_once(store: Store) -> None:
    store.add_report(report(1))
    store.add_report(report(2))
    assert [r.id for r in store.claim_unanalysed(10)] == ["r1", "r2"]
    assert store.claim_unanalysed(10) == []
    store.release_claims([ReportId("r1"), ReportId("r2")])
    assert [r.id for r in store.claim_unanalysed(10)] == ["r1", "r2"]


def test_a_skipped_report_keeps_its_reason_and_is_not_claimed_again(store: Store) -> None:
    store.add_report(report(1))
    store.claim_unanalysed(10)
    store.skip_report(ReportId("r1"), "too_costly: analysis took 40 s")
    stored = store.get_report(ReportId("r1"))
    assert stored is not None
    assert stored.analysed
    assert stored.skip_reason == "too_costly: analysis took 40 s"
    store.release_claims([ReportId("r1")])
    assert store.claim_unanalysed(10) == []


def test_a_report_resent_with_new_content_is_a_revision_analysed_again(store: Store) -> None:
    first = report(1)
    assert store.add_report(first)
    store.claim_unanalysed(10)
    denial = statement("r1", Polarity.DENIES, first.published)
    store.save_analysis(AnalysisWrite(report_id=first.id, statements=(denial,)))
    assert not store.add_report(first)  # the same content again: a duplicate

    corrected = replace(first, text="Corrected: the police used it after all.")
    assert store.add_report(corrected)

    stored = store.get_report(first.id)
    assert stored is not None
    assert stored.report.text == corrected.text
    assert stored.revision == 2
    assert [(r.revision, r.report.text) for r in stored.earlier] == [(1, first.text)]
    assert not stored.analysed
    assert stored.statements == ()  # the retracted version's statement is gone
    assert [r.id for r in store.claim_unanalysed(10)] == ["r1"]


def test_prune_claims_forgets_old_dedupe_keys_only(store: Store) -> None:
    now = datetime.now(UTC)
    assert store.claim_key("slack-inbound:a", now)
    assert store.claim_key("other:b", now)
    assert store.prune_claims("slack-inbound:", datetime(2000, 1, 1, tzinfo=UTC)) == 0
    assert store.prune_claims("slack-inbound:", now + timedelta(days=400)) == 1
    assert store.claim_key("slack-inbound:a", now)  # forgotten: claimable again
    assert not store.claim_key("other:b", now)


BELGIAN = Agency(AgencyName("Belgian Federal Police"), "BE", ("Federale Politie",))


def test_merging_a_watchlist_upserts_rows_and_keeps_the_others(store: Store) -> None:
    store.save_watchlist(Watchlist(topics=(Topic(TopicName("Clearview AI")),)))
    store.merge_watchlist(Watchlist(agencies=(BELGIAN,)))
    store.merge_watchlist(
        Watchlist(agencies=(replace(BELGIAN, aliases=("Police fédérale",)),)),
        [Subscription(Channel("slack", ChannelId("C1")), agency=BELGIAN.name)],
    )
    watchlist = store.watchlist()
    assert [t.name for t in watchlist.topics] == ["Clearview AI"]
    assert [(a.name, a.aliases) for a in watchlist.agencies] == [
        ("Belgian Federal Police", ("Police fédérale",))
    ]
    assert [s.agency for s in store.subscriptions()] == ["Belgian Federal Police"]


def test_twenty_concurrent_watch_commands_lose_nothing(sql_url: str) -> None:
    stores = [SqlStore(sql_url) for _ in range(4)]
    errors: list[BaseException] = []

    def watch(n: int) -> None:
        topic = Topic(TopicName(f"Topic {n}"))
        channel = Channel("slack", ChannelId(f"C{n}"))
        try:
            stores[n % 4].merge_watchlist(
                Watchlist(topics=(topic,)), [Subscription(channel, topic=topic.name)]
            )
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=watch, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert sorted(t.name for t in stores[0].watchlist().topics) == sorted(
            f"Topic {n}" for n in range(20)
        )
        assert len(stores[0].subscriptions()) == 20
    finally:
        for store in stores:
            store.close()


def test_concurrent_merges_of_the_same_watchlist_all_succeed(sql_url: str) -> None:
    listing = Watchlist(
        agencies=tuple(Agency(AgencyName(f"Agency {n}")) for n in range(15)),
        topics=tuple(Topic(TopicName(f"Topic {n}")) for n in range(15)),
    )
    stores = [SqlStore(sql_url) for _ in range(3)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def merge(store: SqlStore) -> None:
        barrier.wait()
        try:
            store.merge_watchlist(listing)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    try:
        for _ in range(5):
            threads = [threading.Thread(target=merge, args=(s,)) for s in stores]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert errors == []
        assert len(stores[0].watchlist().agencies) == 15
    finally:
        for store in stores:
            store.close()


def test_ping_fails_when_the_database_cannot_take_a_write(sql_url: str) -> None:
    """/readyz calls `ping`: a database that answers but refuses writes is not ready."""
    import pytest
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    healthy = SqlStore(sql_url)
    healthy.ping()
    healthy.close()
    url = make_url(sql_url)
    if url.get_backend_name() == "sqlite":
        read_only = f"sqlite:///file:{url.database}?mode=ro&uri=true"
        store = SqlStore(read_only)
        try:
            with pytest.raises(Exception, match="readonly"):
                store.ping()
        finally:
            store.close()
        return
    admin = create_engine(sql_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = url.database
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        store = SqlStore(sql_url)
        try:
            with pytest.raises(Exception, match="read-only"):
                store.ping()
        finally:
            store.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text("SET default_transaction_read_only = off"))
            conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
        admin.dispose()


def test_a_dead_workers_claims_come_back_after_the_short_lease(
    sql_url: str,
) -> None:
    from bot.app.clock import FixedClock
    from storage.sql_store import CLAIM_LEASE

    assert timedelta(seconds=10) <= CLAIM_LEASE <= timedelta(seconds=60)
    clock = FixedClock()
    crashed, survivor = SqlStore(sql_url, clock=clock), SqlStore(sql_url, clock=clock)
    try:
        crashed.add_report(report(1))
        assert [r.id for r in crashed.claim_unanalysed(5)] == ["r1"]
        crashed.close()  # dies holding the claim
        assert survivor.claim_unanalysed(5) == []
        clock.advance(CLAIM_LEASE + timedelta(seconds=1))
        assert [r.id for r in survivor.claim_unanalysed(5)] == ["r1"]
    finally:
        survivor.close()


async def test_twenty_concurrent_watch_commands_all_succeed_and_all_are_kept(
    sql_url: str,
) -> None:
    """Before: on SQLite 6 topics were lost, on PostgreSQL 17 replies said "failed"."""
    import asyncio

    from bot.app.clock import FixedClock
    from bot.app.command_service import CommandService
    from bot.app.pipeline import Pipeline
    from bot.app.ports import CommandRequest
    from bot.core.language.resources import load_lexicons, load_vocabulary

    store = SqlStore(sql_url)
    clock = FixedClock()
    service = CommandService(
        store,
        Pipeline(store, clock, load_lexicons(), load_vocabulary()),
        clock,
        admins=frozenset({"U-ADMIN"}),
    )
    try:
        replies = await asyncio.gather(
            *(
                service.handle(
                    CommandRequest(
                        "slack",
                        Channel("slack", ChannelId(f"C{n}")),
                        "U-ADMIN",
                        f"watch topic Spyware {n}",
                    )
                )
                for n in range(20)
            )
        )
        assert all(r.ok for r in replies), [r.text for r in replies if not r.ok]
        assert len(store.watchlist().topics) == 20
        assert len(store.subscriptions()) == 20
        assert len(store.audit_events()) == 20
    finally:
        store.close()
