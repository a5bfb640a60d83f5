"""/readyz turns red within seconds when the database stops answering, and green again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from tests.running import running_service

pytestmark = pytest.mark.postgres


def _allow_connections(database: str, allowed: bool) -> None:
    import psycopg

    admin = os.environ["DENIALWATCH_TEST_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")
    name = database.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )


def _status_within(url: str, status: int, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if httpx.get(f"{url}/readyz", timeout=5).status_code == status:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"/readyz did not answer {status} within {seconds}s")


def test_readiness_follows_the_database(tmp_path: Path, database: str) -> None:
    with running_service(tmp_path, {"DENIALWATCH_DATABASE_URL": database}) as service:
        _status_within(service.url, 200, 20)
        _allow_connections(database, False)
        try:
            _status_within(service.url, 503, 10)
            assert httpx.get(f"{service.url}/healthz").status_code == 200
            assert "database" in httpx.get(f"{service.url}/readyz").json()["reason"]
        finally:
            _allow_connections(database, True)
        _status_within(service.url, 200, 15)
