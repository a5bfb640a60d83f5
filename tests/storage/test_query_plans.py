"""SQLite answers the outbox's hot queries from an index, not by walking an alert's rows.

The delivery worker claims due deliveries every half second, inside SQLite's one write
lock, and routing reads an alert's leads for every contradiction. Both ask whether a
lead exists for an alert and channel; written so that SQLite could not use the partial
index `uq_deliveries_lead`, each follow-up walked every delivery of its alert: at 5,000
pending follow-ups of one alert a claim took 1.4 s and every write in the service
waited (migration 0007). Each query the store runs is explained as it ran.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from bot.core.domain import Alert
from storage.sql_store import SqlStore
from tests.storage.samples import CLEARVIEW, CONTRADICTION, KEY, POLICE, denial_then_confirmation
from tests.storage.test_store_contract import AT, store_both_reports

LEAD_TEST = re.compile(r"is_lead\b")


def plans_of_lead_queries(store: SqlStore, run: Any) -> list[str]:
    """EXPLAIN QUERY PLAN of every statement `run` sends that tests `is_lead` in WHERE."""
    sent: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        where = statement.upper().split("WHERE", 1)
        selects = statement.lstrip().upper().startswith("SELECT")
        if selects and len(where) == 2 and LEAD_TEST.search(where[1].lower()):
            sent.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)
    plans = []
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, params in sent:
            rows = raw.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            plans.append("\n".join(str(row[-1]) for row in rows))
    return plans


def test_claiming_due_deliveries_and_reading_leads_use_the_lead_index(sqlite_url: str) -> None:
    store = SqlStore(sqlite_url)
    try:
        store_both_reports(store)
        first, second = denial_then_confirmation()
        alert = Alert(key=KEY, agency=POLICE, topic=CLEARVIEW, contradictions=(CONTRADICTION,))
        store.save_analysis(first)
        store.save_analysis(replace(second, alerts=(alert,), at=AT))

        plans = plans_of_lead_queries(
            store,
            lambda: (
                store.due_deliveries(AT + timedelta(minutes=1), 20),
                store.alert_leads(KEY),
            ),
        )
    finally:
        store.close()
    assert len(plans) == 2
    for plan in plans:
        assert "uq_deliveries_lead" in plan, plan


def test_reading_the_claim_index_gaps_walks_only_the_rows_they_span(sqlite_url: str) -> None:
    """Without outer bounds, SQLite read every row after the first gap's start to test an
    OR of ranges: at 1M statements a start re-read the whole table (about 20 s)."""
    store = SqlStore(sqlite_url)
    sent: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM statements" in statement:
            sent.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        store.statement_texts_within([(500, 502), (900, 905)], 0, 100)
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)
    [(statement, params)] = sent
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        plan = " ".join(
            str(row[-1]) for row in raw.execute("EXPLAIN QUERY PLAN " + statement, params)
        )
    store.close()
    assert "rowid>? AND rowid<?" in plan, plan
