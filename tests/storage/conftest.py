"""Databases for the storage tests: a SQLite file per test, a PostgreSQL database per run.

PostgreSQL tests need `DENIALWATCH_TEST_DATABASE_URL` (CI sets it). Each test run
creates its own uniquely named databases on that server and drops them at the end,
so parallel runs never see each other's rows or advisory locks.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.app.clock import FixedClock as FakeClock
from bot.app.ports import Store
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from storage.tables import METADATA

PG_ENV = "DENIALWATCH_TEST_DATABASE_URL"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class PgServer:
    """Creates throw-away databases on the test server and drops them at the end."""

    base_url: str
    created: list[str] = field(default_factory=list)

    def create(self) -> str:
        name = f"dw_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in self.created:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.base_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    base_url = os.environ.get(PG_ENV)
    if not base_url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests need a server (.ci/run sets it)")
    server = PgServer(base_url)
    try:
        yield server
    finally:
        server.drop_all()


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> str:
    """A migrated PostgreSQL database shared by this run's tests (emptied before each)."""
    url = pg_server.create()
    upgrade(url)
    return url


def empty_postgres(url: str) -> None:
    """Delete every row; cheaper than TRUNCATE for the few rows a test writes."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for table in reversed(METADATA.sorted_tables):
                conn.execute(table.delete())
    finally:
        engine.dispose()


def kill_connections(url: str) -> None:
    """Terminate every server connection to `url`'s database but the one asking."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "denialwatch.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def empty_pg_url(pg_url: str) -> str:
    empty_postgres(pg_url)
    return pg_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest) -> str:
    """An empty migrated database on each engine."""
    name = "sqlite_url" if request.param == "sqlite" else "empty_pg_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def sql_store(sql_url: str, clock: FakeClock) -> Iterator[SqlStore]:
    store = SqlStore(sql_url, clock=clock)
    try:
        yield store
    finally:
        store.close()


def _memory_store(clock: FakeClock | None = None) -> Store:
    try:
        from storage.memory_store import MemoryStore
    except ImportError:
        pytest.skip("storage.memory_store.MemoryStore does not exist yet")
    store: Store = MemoryStore(clock=clock)
    return store


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Store]:
    """Every `Store` implementation, empty: the contract tests run against each."""
    if request.param == "memory":
        yield _memory_store(clock)
        return
    url: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "empty_pg_url"
    )
    sql = SqlStore(url, clock=clock)
    try:
        yield sql
    finally:
        sql.close()
