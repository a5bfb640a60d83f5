"""Fixtures for the end-to-end tests: a real Synapse (shared with tests/matrix) and a
throw-away PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.matrix.conftest import encrypted_editor, synapse

__all__ = ["database", "encrypted_editor", "synapse"]


@pytest.fixture
def database() -> Iterator[str]:
    """Create a uniquely named PostgreSQL database for one test and drop it afterwards."""
    base = os.environ.get("DENIALWATCH_TEST_DATABASE_URL")
    if not base:
        pytest.skip("DENIALWATCH_TEST_DATABASE_URL is not set (.ci/run sets it)")
    import psycopg

    name = f"dw_e2e_{uuid.uuid4().hex[:10]}"
    admin = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
