"""The claim index kept as files: reopened as built, caught up by row, rebuilt when bad."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import cast

import pytest
from sqlmodel import Session

from bot.app.claim_search import ClaimSearch
from bot.app.ports import Store
from bot.core.domain import Polarity, ReportId
from bot.core.records import AnalysisWrite, StatementText
from bot.entry.config import load_settings
from bot.entry.service import build_search
from storage.index_files import CURRENT, IndexFiles
from storage.sql_store import SqlStore
from tests.storage.samples import report, statement

QUERIES = ("Federal Police Clearview", "drones protest", "police denies", "spyware ministry")
AGENCIES = ("Federal Police", "Dutch National Police", "Ministry of the Interior")
TOPICS = ("Clearview AI", "drones", "Pegasus spyware", "protest surveillance")


def fill(store: SqlStore, start: int, count: int) -> None:
    for n in range(start, start + count):
        st = statement(
            f"r{n}",
            Polarity.DENIES if n % 3 else Polarity.AFFIRMS,
            date(2020, 1, 1 + n % 28),
            agency=AGENCIES[n % len(AGENCIES)],
            topic=TOPICS[n % len(TOPICS)],
        )
        st = replace(st, quote=f"{st.quote} Statement number {n} about {TOPICS[(n * 7) % 4]}.")
        store.add_report(report(n))
        store.save_analysis(AnalysisWrite(report_id=ReportId(f"r{n}"), statements=(st,)))


def results(search: ClaimSearch) -> list[list[tuple[str, float]]]:
    return [[(s.id, score) for s, score in search.search(q, 8)] for q in QUERIES]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(sql_store: SqlStore) -> SqlStore:
    return sql_store


def opened(
    store: SqlStore, directory: Path, clock: Clock | None = None, settle: float = 0
) -> ClaimSearch:
    search = ClaimSearch(
        store,
        IndexFiles(directory),
        database="test",
        monotonic=clock or Clock(),
        settle_seconds=settle,
        snapshot_every=1,
    )
    search.open()
    return search


def test_a_persisted_index_reopens_with_the_results_of_a_fresh_build(
    store: SqlStore, tmp_path: Path
) -> None:
    fill(store, 0, 60)
    first = opened(store, tmp_path / "index")
    assert first.opened == "rebuilt"
    assert (tmp_path / "index" / CURRENT).is_file()
    fresh = ClaimSearch(store)
    fresh.open()
    again = opened(store, tmp_path / "index")
    assert again.opened == "snapshot"
    assert len(again) == 60
    assert results(again) == results(fresh) == results(first)
    assert results(fresh)[0]  # the queries do find something


def test_a_refresh_indexes_only_what_was_stored_since_and_a_restart_keeps_it(
    store: SqlStore, tmp_path: Path
) -> None:
    fill(store, 0, 30)
    clock = Clock()
    search = opened(store, tmp_path / "index", clock, settle=10)
    fill(store, 30, 5)
    assert search.refresh() == 5
    assert search.refresh() == 0  # the unsettled rows are read again but not re-indexed
    assert len(search) == 35
    clock.now += 60
    fill(store, 35, 2)
    assert search.refresh() == 2  # settles rows seen a minute ago; writes a snapshot
    fill(store, 37, 3)
    restarted = opened(store, tmp_path / "index")
    assert restarted.opened == "snapshot"
    assert len(restarted) == 40
    fresh = ClaimSearch(store)
    fresh.open()
    assert results(restarted) == results(fresh)
    found = restarted.search("Statement number 38", 1)
    assert found and found[0][0].report_id == "r38"


class CountingStore:
    """The store, counting the statement rows the claim index reads from it."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.rows_read = 0

    def statement_texts_after(self, row: int, limit: int) -> list[StatementText]:
        page = self.store.statement_texts_after(row, limit)
        self.rows_read += len(page)
        return page

    def statement_texts_within(
        self, ranges: Sequence[tuple[int, int]], after: int, limit: int
    ) -> list[StatementText]:
        page = self.store.statement_texts_within(ranges, after, limit)
        self.rows_read += len(page)
        return page

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


def test_a_start_after_a_rebuild_reads_no_row_again(
    store: SqlStore, sql_url: str, tmp_path: Path
) -> None:
    fill(store, 0, 30)
    settings = load_settings(
        {"DENIALWATCH_DATABASE_URL": sql_url, "DENIALWATCH_INDEX_DIR": str(tmp_path / "index")},
        env_file=None,
    )
    assert build_search(settings, store).opened == "rebuilt"
    counting = CountingStore(store)
    again = build_search(settings, cast(Store, counting))
    assert again.opened == "snapshot"
    assert len(again) == 30
    # The snapshot says how far it read and where rows were missing: a start reads the
    # rows after it and the gaps, not the rows of the last two minutes again (at 1M
    # statements on PostgreSQL, every one of them).
    assert counting.rows_read == 0


@pytest.mark.postgres
def test_a_row_committed_after_a_higher_one_is_found_by_the_next_start(
    store: SqlStore, sql_url: str, tmp_path: Path
) -> None:
    if not sql_url.startswith("postgresql"):
        pytest.skip("SQLite commits its rows in row order: no row commits late there")
    fill(store, 0, 10)
    store.add_report(report(10))
    # An agency and topic of its own: its alike group row is locked until it commits.
    late = statement(
        "r10", Polarity.AFFIRMS, date(2021, 3, 1), agency="Late Agency", topic="late topic"
    )
    late = replace(late, quote=f"{late.quote} The late row.")
    settings = load_settings(
        {"DENIALWATCH_DATABASE_URL": sql_url, "DENIALWATCH_INDEX_DIR": str(tmp_path / "index")},
        env_file=None,
    )
    with Session(store.engine) as open_transaction:
        # r10's statement takes its row number now and commits after r11's.
        store._insert_statements(open_transaction, [late])
        fill(store, 11, 2)
        assert len(build_search(settings, store)) == 12  # rebuilt: r10 is not visible
        open_transaction.commit()
    counting = CountingStore(store)
    again = build_search(settings, cast(Store, counting))
    assert again.opened == "snapshot"
    assert len(again) == 13
    assert again.search("The late row", 1)[0][0].report_id == "r10"
    assert counting.rows_read == 1  # read in its gap, nothing else again


@pytest.mark.parametrize("damage", ["truncated", "deleted", "garbage manifest", "bad pointer"])
def test_a_damaged_snapshot_is_rebuilt_from_the_store(
    store: SqlStore, tmp_path: Path, damage: str
) -> None:
    fill(store, 0, 40)
    directory = tmp_path / "index"
    expected = results(opened(store, directory))
    generation = directory / (directory / CURRENT).read_text().strip()
    if damage == "truncated":
        postings = generation / "post_slots.npy"
        postings.write_bytes(postings.read_bytes()[:-12])
    elif damage == "deleted":
        (generation / "texts.npy").unlink()
    elif damage == "garbage manifest":
        (generation / "manifest.json").write_text("{not json")
    else:
        (directory / CURRENT).write_text("g-nothing")
    reopened = opened(store, directory)
    assert reopened.opened == "rebuilt"
    assert results(reopened) == expected
    assert opened(store, directory).opened == "snapshot"  # and a good one was written


def test_a_snapshot_of_another_store_or_a_stale_one_is_not_trusted(
    store: SqlStore, tmp_path: Path
) -> None:
    fill(store, 0, 20)
    directory = tmp_path / "index"
    opened(store, directory)
    other = ClaimSearch(store, IndexFiles(directory), database="another")
    assert other.open() == "rebuilt"
    assert opened(store, directory).opened == "rebuilt"  # "another" had overwritten it
    # r3 revised: its statement is deleted, so the store no longer holds what the
    # snapshot counted (as after restoring an older backup under the same name).
    revised = store.get_report(ReportId("r3"))
    assert revised is not None
    store.add_report(replace(revised.report, text="A corrected text."))
    again = opened(store, directory)
    assert again.opened == "rebuilt"
    assert len(again) == 19


def test_a_deleted_statement_is_never_returned(store: SqlStore, tmp_path: Path) -> None:
    fill(store, 0, 10)
    search = opened(store, tmp_path / "index")
    hits = search.search("Statement number 4", 3)
    assert hits[0][0].report_id == "r4"
    report = store.get_report(ReportId("r4"))
    assert report is not None
    store.add_report(replace(report.report, text="A corrected text."))
    assert all(s.report_id != "r4" for s, _ in search.search("Statement number 4", 3))


def test_blocked_search_works_on_a_reopened_index(store: SqlStore, tmp_path: Path) -> None:
    fill(store, 0, 12)
    built = opened(store, tmp_path / "index")
    reopened = opened(store, tmp_path / "index")
    assert reopened.opened == "snapshot"
    for index in (built._index, reopened._index):
        hits = index.search("spyware", 5, agency="Ministry of the Interior")
        assert hits
    assert built._index.search("police", 5, agency=AGENCIES[0], topic=TOPICS[0]) == (
        reopened._index.search("police", 5, agency=AGENCIES[0], topic=TOPICS[0])
    )


def test_a_snapshot_written_with_a_gap_open_is_rewritten_once_it_closes(
    store: SqlStore, tmp_path: Path
) -> None:
    """A first start stopped at once leaves such a snapshot: only the first restart pays."""
    fill(store, 0, 20)
    # r10 revised: its statement is deleted, a row number the index never sees again.
    revised = store.get_report(ReportId("r10"))
    assert revised is not None
    store.add_report(replace(revised.report, text="A corrected text."))
    rows = [s.row for s in store.statement_texts_after(0, 100)]
    missing = next(r for r in range(rows[0], rows[-1]) if r not in rows)
    directory = tmp_path / "index"

    def started(clock: Clock) -> ClaimSearch:
        search = ClaimSearch(
            store, IndexFiles(directory), database="test", monotonic=clock, settle_seconds=10
        )
        search.open()
        return search

    started(Clock())  # rebuilt; the gap was seen just now, so it is still open
    first = IndexFiles(directory).load()
    assert first is not None
    # (On a shared PostgreSQL, rows below this test's first are a gap too.)
    assert first.settled <= missing - 1 and first.read_upto == rows[-1]
    assert (missing - 1, missing + 1) in [gap[:2] for gap in first.gaps]
    clock = Clock()
    restarted = started(clock)
    assert restarted.opened == "snapshot"
    clock.now += 60
    assert restarted.refresh() == 0  # nothing new to index, but the gap has closed
    rewritten = IndexFiles(directory).load()
    assert rewritten is not None
    assert (rewritten.settled, rewritten.gaps) == (rows[-1], ())
    assert len(started(Clock())) == 19
