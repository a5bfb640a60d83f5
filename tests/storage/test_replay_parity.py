"""The dev stream gives the same contradictions on the memory store, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app.clock import FixedClock
from bot.app.pipeline import Pipeline
from bot.app.ports import Store
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.inputs.loading import read_reports, read_watchlist
from storage.memory_store import MemoryStore
from storage.sql_store import SqlStore
from tests.conftest import shared_data

pytestmark = pytest.mark.shared


def _pairs(store: Store) -> set[tuple[str, str, str, str, str, float]]:
    data = shared_data() / "dev"
    store.save_watchlist(read_watchlist(data / "watchlist.json"))
    pipeline = Pipeline(store, FixedClock(), load_lexicons(), load_vocabulary())
    reports = read_reports(data / "reports.jsonl")
    found = set()
    for _, report in sorted(enumerate(reports), key=lambda item: (item[1].published, item[0])):
        analysis = pipeline.ingest(report)
        assert analysis is not None
        found |= {
            (c.new.report_id, c.earlier.report_id, str(c.kind), c.agency, c.topic, c.score)
            for c in analysis.contradictions
        }
    return found


@pytest.fixture
def sql(sql_url: str) -> Iterator[SqlStore]:
    store = SqlStore(sql_url)
    try:
        yield store
    finally:
        store.close()


def test_sql_store_finds_what_the_memory_store_finds(sql: SqlStore) -> None:
    expected = _pairs(MemoryStore())
    assert len(expected) >= 9
    assert _pairs(sql) == expected
