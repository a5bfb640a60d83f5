"""What the SQL store adds to the contract: leases, constraints and races, on both engines."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.core.domain import Contradiction, ContradictionKind, Polarity, ReportId
from bot.core.records import AnalysisWrite, DeliveryStatus
from storage import sql_store
from storage.memory_store import MemoryStore
from storage.sql_store import SqlStore
from tests.storage.conftest import FakeClock, kill_connections
from tests.storage.samples import (
    CONTRADICTION,
    DENIAL,
    KEY,
    SLACK,
    delivery,
    denial_then_confirmation,
    report,
    statement,
)

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def analysed_pair(store: SqlStore | MemoryStore) -> None:
    store.add_report(report(1))
    store.add_report(report(2))
    first, second = denial_then_confirmation()
    store.save_analysis(first)
    store.save_analysis(second)


def test_a_claimed_report_is_not_claimed_again_until_its_lease_expires(
    sql_store: SqlStore, clock: FakeClock
) -> None:
    sql_store.add_report(report(1))
    assert [r.id for r in sql_store.claim_unanalysed(5)] == ["r1"]
    assert sql_store.claim_unanalysed(5) == []
    clock.advance(sql_store.claim_lease + timedelta(seconds=1))
    # The first worker crashed: its claim ran out and the report is claimed again.
    assert [r.id for r in sql_store.claim_unanalysed(5)] == ["r1"]


def test_a_renewed_claim_stays_off_other_workers_and_lapses_when_renewal_stops(
    sql_store: SqlStore, clock: FakeClock
) -> None:
    sql_store.add_report(report(1))
    assert [r.id for r in sql_store.claim_unanalysed(5)] == ["r1"]
    for _ in range(3):  # a slow analysis, its worker alive and renewing
        clock.advance(sql_store.claim_lease * 0.6)
        sql_store.renew_claims([ReportId("r1")])
        assert sql_store.claim_unanalysed(5) == []
    clock.advance(sql_store.claim_lease + timedelta(seconds=1))  # the worker died
    assert [r.id for r in sql_store.claim_unanalysed(5)] == ["r1"]


def test_renewing_an_analysed_or_released_report_claims_nothing(
    sql_store: SqlStore, clock: FakeClock
) -> None:
    sql_store.add_report(report(1))
    sql_store.add_report(report(2))
    sql_store.claim_unanalysed(5)
    sql_store.release_claims([ReportId("r2")])
    first, _ = denial_then_confirmation()
    sql_store.save_analysis(first)
    sql_store.renew_claims([ReportId("r1"), ReportId("r2")])
    assert [r.id for r in sql_store.claim_unanalysed(5)] == ["r2"]


def test_a_claimed_delivery_is_not_handed_out_twice_until_its_lease_expires(
    # The contract: on memory, SQLite and PostgreSQL alike.
    store: SqlStore | MemoryStore,
) -> None:
    analysed_pair(store)
    assert len(store.due_deliveries(AT, 10)) == 1
    assert store.due_deliveries(AT, 10) == []
    assert len(store.due_deliveries(AT + store.delivery_lease, 10)) == 1


def test_a_follow_up_waits_for_its_lead_to_be_posted(store: SqlStore | MemoryStore) -> None:
    analysed_pair(store)
    later = statement("r3", Polarity.AFFIRMS, date(2021, 11, 2), sequence=3)
    again = Contradiction(
        new=later, earlier=DENIAL, kind=ContradictionKind.DENIAL_CONTRADICTED, score=0.8
    )
    store.add_report(report(3))
    follow_up = delivery(again, is_lead=False)
    store.save_analysis(
        AnalysisWrite(
            report_id=ReportId("r3"),
            statements=(later,),
            contradictions=(again,),
            deliveries=(follow_up,),
        )
    )
    (lead,) = store.due_deliveries(AT, 10)
    assert lead.is_lead
    assert store.due_deliveries(AT + timedelta(seconds=30), 10) == []
    store.update_delivery(replace(lead, status=DeliveryStatus.SENT, message_id="1.2"))
    assert store.due_deliveries(AT + timedelta(seconds=30), 10) == [follow_up]


def test_a_second_lead_for_the_same_alert_and_channel_becomes_a_follow_up(
    sql_store: SqlStore,
) -> None:
    analysed_pair(sql_store)
    later = statement("r3", Polarity.AFFIRMS, date(2021, 11, 2), sequence=3)
    again = Contradiction(
        new=later, earlier=DENIAL, kind=ContradictionKind.DENIAL_CONTRADICTED, score=0.8
    )
    sql_store.add_report(report(3))
    # Another replica analysed this report before it saw the first alert's lead.
    sql_store.save_analysis(
        AnalysisWrite(
            report_id=ReportId("r3"),
            statements=(later,),
            contradictions=(again,),
            deliveries=(delivery(again, is_lead=True),),
        )
    )
    record = sql_store.alert(KEY)
    assert record is not None
    assert [(d.contradiction_key, d.is_lead) for d in record.deliveries] == [
        (CONTRADICTION.key, True),
        (again.key, False),
    ]
    assert [c.key for c in record.alert.contradictions] == [CONTRADICTION.key, again.key]


def test_deliveries_make_their_alert_exist(sql_store: SqlStore, clock: FakeClock) -> None:
    analysed_pair(sql_store)
    record = sql_store.alert(KEY)
    assert record is not None
    assert record.opened_at == clock.now()
    assert record.alert.contradictions == (CONTRADICTION,)


def test_concurrent_saves_of_one_contradiction_store_it_once(sql_url: str) -> None:
    stores = [SqlStore(sql_url) for _ in range(4)]
    try:
        stores[0].add_report(report(1))
        stores[0].add_report(report(2))
        first, second = denial_then_confirmation()
        stores[0].save_analysis(first)
        barrier = threading.Barrier(len(stores))

        def save(store: SqlStore) -> int:
            barrier.wait()
            return len(store.save_analysis(second))

        with ThreadPoolExecutor(len(stores)) as pool:
            assert sorted(pool.map(save, stores)) == [0, 0, 0, 1]
        assert len(stores[0].due_deliveries(AT, 10)) == 1
    finally:
        for store in stores:
            store.close()


def test_concurrent_workers_never_claim_the_same_report(sql_url: str) -> None:
    workers = [SqlStore(sql_url) for _ in range(4)]
    try:
        for n in range(200):
            workers[0].add_report(report(n))
        barrier = threading.Barrier(len(workers))

        def drain(store: SqlStore) -> list[str]:
            barrier.wait()
            claimed: list[str] = []
            while batch := store.claim_unanalysed(7):
                claimed.extend(r.id for r in batch)
            return claimed

        with ThreadPoolExecutor(len(workers)) as pool:
            results = list(pool.map(drain, workers))
        everything = [rid for claimed in results for rid in claimed]
        assert len(everything) == len(set(everything)) == 200
    finally:
        for store in workers:
            store.close()


def test_concurrent_dispatchers_never_get_the_same_delivery(sql_url: str) -> None:
    workers = [SqlStore(sql_url) for _ in range(4)]
    try:
        setup = workers[0]
        for n in range(60):
            new = statement(f"n{n}", Polarity.AFFIRMS, date(2021, 11, 1), topic=f"topic {n}")
            old = statement(f"o{n}", Polarity.DENIES, date(2020, 1, 1), topic=f"topic {n}")
            c = Contradiction(
                new=new, earlier=old, kind=ContradictionKind.DENIAL_CONTRADICTED, score=0.9
            )
            setup.save_analysis(
                AnalysisWrite(
                    report_id=ReportId(f"n{n}"),
                    statements=(old, new),
                    contradictions=(c,),
                    deliveries=(delivery(c),),
                )
            )
        barrier = threading.Barrier(len(workers))

        def drain(store: SqlStore) -> list[str]:
            barrier.wait()
            got: list[str] = []
            while batch := store.due_deliveries(AT, 5):
                got.extend(d.key for d in batch)
                for d in batch:
                    store.update_delivery(replace(d, status=DeliveryStatus.SENT, message_id="x"))
            return got

        with ThreadPoolExecutor(len(workers)) as pool:
            results = list(pool.map(drain, workers))
        everything = [key for got in results for key in got]
        assert len(everything) == len(set(everything)) == 60
    finally:
        for store in workers:
            store.close()


def test_sequence_numbers_are_unique_across_workers(sql_url: str) -> None:
    workers = [SqlStore(sql_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            results = list(pool.map(lambda s: [s.next_sequence() for _ in range(25)], workers))
        numbers = [n for r in results for n in r]
        assert sorted(numbers) == list(range(1, 101))
    finally:
        for store in workers:
            store.close()


def test_adding_a_feed_again_changes_its_interval(sql_store: SqlStore) -> None:
    feed = sql_store.add_feed("https://example.org/rss", 15, channel="slack:C1")
    again = sql_store.add_feed("https://example.org/rss", 5, channel="slack:C1")
    assert again == replace(feed, every_minutes=5)
    assert sql_store.feeds() == [again]


def test_instants_come_back_in_utc(sql_store: SqlStore) -> None:
    from datetime import timezone

    from bot.core.records import AuditEvent

    brussels = datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    sql_store.audit(AuditEvent(actor="U1", action="watch", detail="", at=brussels))
    (event,) = sql_store.audit_events()
    assert event.at == brussels
    assert event.at.utcoffset() == timedelta(0)


def test_naive_instants_are_refused(sql_store: SqlStore) -> None:
    from sqlalchemy.exc import StatementError

    from bot.core.records import AuditEvent

    with pytest.raises(StatementError, match="naive datetime"):
        sql_store.audit(AuditEvent(actor="U1", action="x", detail="", at=datetime(2026, 3, 1)))


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    store = SqlStore(sqlite_url)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000
    finally:
        store.close()


def test_the_statement_behind_a_contradiction_cannot_be_missing(sql_store: SqlStore) -> None:
    sql_store.add_report(report(2))
    # The earlier statement was never saved: save_analysis stores it with the pair.
    sql_store.save_analysis(
        AnalysisWrite(report_id=ReportId("r2"), contradictions=(CONTRADICTION,))
    )
    assert sql_store.all_statements() == [DENIAL, CONTRADICTION.new]
    assert SLACK.platform == "slack"


def test_an_in_memory_database_is_migrated_through_the_store() -> None:
    store = SqlStore("sqlite://")
    try:
        store.migrate()
        assert store.add_report(report(1))
        assert [r.id for r in store.claim_unanalysed(5)] == ["r1"]
    finally:
        store.close()


def test_reports_stored_from_many_threads_at_once_are_each_stored_once(sql_url: str) -> None:
    """Both engines write them in shared transactions (group commit)."""
    store = SqlStore(sql_url)
    try:
        sent = [report(n % 30) for n in range(60)]  # every report twice
        with ThreadPoolExecutor(max_workers=20) as pool:
            stored = list(pool.map(store.add_report, sent))
        assert sum(stored) == 30  # the second copy of each is a duplicate
        assert all(store.get_report(ReportId(f"r{n}")) is not None for n in range(30))
    finally:
        store.close()


def test_reports_stored_at_the_same_moment_share_commits(sql_url: str) -> None:
    """One commit (on PostgreSQL one fsync) for many reports: the 202 p99 at 20 clients
    on PostgreSQL was 161 ms with one commit each, 64–71 ms shared (bench/RESULTS.md)."""
    store = SqlStore(sql_url)
    commits = 0

    def count(_connection: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(store.engine, "commit", count)
    barrier = threading.Barrier(20)

    def add(n: int) -> bool:
        barrier.wait()
        return store.add_report(report(n))

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            assert all(pool.map(add, range(20)))
        assert commits <= 10
    finally:
        store.close()


def test_a_report_that_fails_in_a_shared_transaction_fails_alone(
    sql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqlStore(sql_url)
    original = SqlStore._add_report

    def failing(self: SqlStore, s: object, sent: object) -> bool:
        if getattr(sent, "id", "") == "r7":
            raise ValueError("this one cannot be stored")
        return original(self, s, sent)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlStore, "_add_report", failing)
    barrier = threading.Barrier(12)

    def add(n: int) -> bool | str:
        barrier.wait()
        try:
            return store.add_report(report(n))
        except ValueError as error:
            return str(error)

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            outcomes = dict(zip(range(12), pool.map(add, range(12)), strict=True))
        assert outcomes.pop(7) == "this one cannot be stored"
        assert set(outcomes.values()) == {True}
        assert store.get_report(ReportId("r7")) is None
        assert all(store.get_report(ReportId(f"r{n}")) is not None for n in outcomes)
    finally:
        store.close()


@pytest.mark.postgres
@pytest.mark.parametrize("idle", [True, False], ids=["idle", "just-used"])
def test_a_pooled_connection_killed_while_idle_is_replaced_unseen(
    empty_pg_url: str, monkeypatch: pytest.MonkeyPatch, idle: bool
) -> None:
    store = SqlStore(empty_pg_url)
    try:
        assert store.add_report(report(1))
        store.watchlist()
        kill_connections(empty_pg_url)
        # Idle past the limit (here: any time at all), the connection is pinged on
        # checkout and replaced; given back a moment ago, it is trusted as it is.
        monkeypatch.setattr(sql_store, "PING_AFTER_IDLE_SECONDS", 0.0 if idle else 3600.0)
        if idle:
            assert store.get_report(ReportId("r1")) is not None
            assert store.add_report(report(2))
        else:
            with pytest.raises(OperationalError):
                store.get_report(ReportId("r1"))
            # The failure drops the pool's other connections too: the next call works.
            assert store.get_report(ReportId("r1")) is not None
    finally:
        store.close()
