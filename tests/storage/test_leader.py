"""Leader election: one replica runs the periodic jobs; another takes over when it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from storage.leader import LeaderElection

HOLD = """
import sys, time
from storage.leader import LeaderElection
election = LeaderElection(sys.argv[1])
print("leader" if election.try_acquire() else "follower", flush=True)
time.sleep(600)
"""


def wait_for_leadership(election: LeaderElection, within: float) -> float:
    """Poll as the scheduler would; return how long the take-over took."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if election.try_acquire():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"no leadership within {within} s")


@pytest.mark.postgres
def test_only_one_replica_leads(pg_url: str) -> None:
    first, second = LeaderElection(pg_url), LeaderElection(pg_url)
    try:
        assert first.try_acquire()
        assert first.try_acquire()
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_elections_with_different_names_do_not_interfere(pg_url: str) -> None:
    scheduler, other = LeaderElection(pg_url), LeaderElection(pg_url, name="digests")
    try:
        assert scheduler.try_acquire()
        assert other.try_acquire()
    finally:
        scheduler.close()
        other.close()


@pytest.mark.postgres
def test_leadership_is_lost_when_the_connection_drops(pg_url: str) -> None:
    leader, standby = LeaderElection(pg_url), LeaderElection(pg_url)
    admin = create_engine(pg_url, poolclass=NullPool)
    try:
        assert leader.try_acquire()
        assert not standby.try_acquire()
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND ((classid::bigint << 32) | objid::bigint) = :id"
                ),
                {"id": leader.lock_id},
            )
        wait_for_leadership(standby, within=10)
        # The old leader notices at its next tick and stands down.
        assert not leader.try_acquire()
    finally:
        leader.close()
        standby.close()
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_another_replica_takes_over_when_the_leader_process_is_killed(pg_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, pg_url], stdout=subprocess.PIPE, text=True, env=env
    )
    standby = LeaderElection(pg_url)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "leader"
        assert not standby.try_acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert wait_for_leadership(standby, within=60) < 60
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
        standby.close()


def test_sqlite_has_one_leader_per_database_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'denialwatch.db'}"
    first, second = LeaderElection(url), LeaderElection(url)
    try:
        assert first.try_acquire()
        assert first.try_acquire()
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire()
    finally:
        first.close()
        second.close()


def test_an_in_memory_sqlite_database_always_leads() -> None:
    election = LeaderElection("sqlite://")
    assert election.try_acquire()
    assert election.is_leader
    election.close()


def test_a_database_that_does_not_answer_means_no_leader() -> None:
    election = LeaderElection("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    try:
        assert not election.try_acquire()
        assert not election.is_leader
    finally:
        election.close()
