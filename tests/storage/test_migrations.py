"""Alembic migrations: the schema they build is the tables', and upgrades keep data."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bot.core.domain import AlertKey, Report, ReportId
from bot.core.records import DeliveryStatus
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from storage.sql_store import SqlStore, content_hash
from storage.tables import METADATA
from tests.storage.conftest import PgServer

FIRST = "0001"
DENIAL_TEXT = "The police never used Clearview."


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database nobody has migrated yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create()


def run_sql(url: str, *statements: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_tables(fresh_url: str) -> None:
    upgrade(fresh_url)
    engine = create_engine(fresh_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, METADATA) == []
    finally:
        engine.dispose()
    assert current_revision(fresh_url) == head_revision()


def test_upgrading_is_idempotent(fresh_url: str) -> None:
    upgrade(fresh_url)
    upgrade(fresh_url)
    assert current_revision(fresh_url) == head_revision()


def test_upgrade_from_the_previous_revision_keeps_the_data(fresh_url: str) -> None:
    h1 = content_hash(Report(ReportId("r1"), date(2020, 2, 28), title="Denial", text=DENIAL_TEXT))
    upgrade(fresh_url, FIRST)
    assert current_revision(fresh_url) == FIRST
    run_sql(
        fresh_url,
        "INSERT INTO reports (report_id, published, source, url, url_key, language, title,"
        " text, content_hash, analysed)"
        " VALUES ('r1', '2020-02-28', 'Belga', 'https://example.org/1', 'https://example.org/1',"
        f" 'en', 'Denial', '{DENIAL_TEXT}', '{h1}', true),"
        " ('r2', '2021-10-27', 'Kamer', '', NULL, 'nl', 'Answer', 'Clearview was used.', 'h2',"
        " false)",
        "INSERT INTO statements (key, report_id, agency, topic, agency_key, topic_key, polarity,"
        " quote, published, speaker, source, url, confidence, role, sequence)"
        " VALUES ('r1:Police:Clearview:denies', 'r1', 'Police', 'Clearview', 'police',"
        " 'clearview', 'denies', 'We never used it.', '2020-02-28', 'spokesperson', 'Belga',"
        " '', 0.9, 'primary', 1)",
        "INSERT INTO alerts (key, agency, topic, opened_at)"
        " VALUES ('police|clearview', 'Police', 'Clearview', '2021-10-27 10:00:00')",
        "INSERT INTO deliveries (key, alert_key, platform, channel_id, contradiction_key, is_lead,"
        " is_update, status, attempts, message_id, thread_id, last_error, created_at)"
        " VALUES ('d1', 'police|clearview', 'slack', 'C1', 'k1', true, false, 'pending', 2, '',"
        " '', 'ratelimited', '2021-10-27 10:00:00')",
        "INSERT INTO adapter_state (key, value) VALUES ('matrix.next_batch', 's72594_4483')",
    )

    upgrade(fresh_url)

    assert current_revision(fresh_url) == head_revision()
    store = SqlStore(fresh_url)
    try:
        first = store.get_report(ReportId("r1"))
        assert first is not None
        assert first.analysed
        assert first.report.text == "The police never used Clearview."
        assert first.report.published == date(2020, 2, 28)
        assert [s.quote for s in first.statements] == ["We never used it."]
        assert [r.id for r in store.claim_unanalysed(10)] == ["r2"]
        record = store.alert(AlertKey("police|clearview"))
        assert record is not None
        (delivery,) = record.deliveries
        assert (delivery.status, delivery.attempts, delivery.last_error) == (
            DeliveryStatus.PENDING,
            2,
            "ratelimited",
        )
        assert store.get_state("matrix.next_batch") == "s72594_4483"
        # The new revision's column works for new rows.
        assert not store.add_report(first.report)
    finally:
        store.close()


def test_downgrade_to_nothing_and_back(fresh_url: str) -> None:
    upgrade(fresh_url)
    command.downgrade(alembic_config(fresh_url), "base")
    assert current_revision(fresh_url) is None
    upgrade(fresh_url)
    assert current_revision(fresh_url) == head_revision()


@pytest.mark.postgres
@pytest.mark.slow
def test_replicas_starting_together_migrate_once(pg_server: PgServer) -> None:
    url = pg_server.create()
    code = "import sys; from storage.migrate import upgrade; upgrade(sys.argv[1])"
    replicas = [
        subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outcomes = [(p.communicate(timeout=120)[1], p.returncode) for p in replicas]
    assert [err for err, code in outcomes if code != 0] == []
    assert current_revision(url) == head_revision()
