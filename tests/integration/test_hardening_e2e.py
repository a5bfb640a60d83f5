"""Issue 13 end to end: replicas starting together, poison reports, killed connections."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import dev_report
from tests.running import TOKEN, RunningService, running_service
from tests.storage.conftest import kill_connections

ROOT = Path(__file__).resolve().parents[2]

# The start-up path of `denialwatch run` up to the watchlist merge, started by three
# processes that wait for the same instant.
START_UP = """
import sys, time
from pathlib import Path
from bot.entry.config import load_settings
from bot.entry.service import merge_watchlist_file, open_store
from bot.inputs.loading import read_watchlist
start, every, listing = float(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[3])
loaded = read_watchlist(listing)
for round, url in enumerate(sys.argv[4:]):
    time.sleep(max(0.0, start + round * every - time.time()))
    settings = load_settings({"DENIALWATCH_DATABASE_URL": url}, env_file=None)
    store = open_store(settings)
    merge_watchlist_file(store, loaded)
    print(len(store.watchlist().agencies), flush=True)
    store.close()
"""


@pytest.fixture
def fresh_databases() -> Iterator[list[str]]:
    base = os.environ.get("DENIALWATCH_TEST_DATABASE_URL")
    if not base:
        pytest.skip("DENIALWATCH_TEST_DATABASE_URL is not set (.ci/run sets it)")
    import psycopg

    admin = base.replace("postgresql+psycopg://", "postgresql://")
    names: list[str] = []
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            for _ in range(10):
                name = f"dw_start_{uuid.uuid4().hex[:10]}"
                conn.execute(f'CREATE DATABASE "{name}"')
                names.append(name)
        yield [base.rsplit("/", 1)[0] + "/" + name for name in names]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.slow
def test_three_replicas_starting_together_on_a_fresh_database_all_start(
    tmp_path: Path, data_dir: Path, fresh_databases: list[str]
) -> None:
    """Before: 6 of 14 trials crashed one or two replicas with uq_agencies_name_key."""
    listing = data_dir / "dev" / "watchlist.json"
    expected = len(json.loads(listing.read_text())["agencies"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Each round, the three processes open a fresh database at the same instant.
    start, every = time.time() + 6, 3.0
    replicas = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                START_UP,
                str(start),
                str(every),
                str(listing),
                *fresh_databases,
            ],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [(p.communicate(timeout=120), p.returncode) for p in replicas]
    failed = [err[-800:] for (_, err), code in outcomes if code != 0]
    assert failed == []
    for (out, _), _code in outcomes:
        assert out.split() == [str(expected)] * len(fresh_databases)


def _post_raw(service: RunningService, body: str) -> httpx.Response:
    return httpx.post(
        f"{service.url}/api/v1/reports",
        content=body.encode("utf-8"),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=30,
    )


@pytest.mark.shared
def test_poison_reports_between_the_belgian_reports_do_not_delay_the_alert(
    tmp_path: Path, data_dir: Path
) -> None:
    extra = {"DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json")}
    with running_service(tmp_path, extra) as service:
        assert service.post_report(dev_report(data_dir, "dev-01")).status_code == 202
        service.wait_for("/api/v1/reports/dev-01", lambda r: r.json()["analysed"], timeout=30)

        title = {"id": "poison-title", "published": "2021-10-01", "title": "Police " * 128_572}
        refused = _post_raw(service, json.dumps(title))
        assert refused.status_code == 422
        assert "title is longer than" in refused.json()["error"]
        word = {
            "id": "poison-word",
            "published": "2021-10-01",
            "title": "The Federal Police said",
            "text": "a" * 200_000,  # one word, exactly the text cap
        }
        assert _post_raw(service, json.dumps(word)).status_code == 202
        started = time.monotonic()
        assert service.post_report(dev_report(data_dir, "dev-06")).status_code == 202

        service.wait_for("/api/v1/alerts", lambda r: r.json()["alerts"], timeout=30)
        assert time.monotonic() - started < 15
        poison = service.get("/api/v1/reports/poison-word").json()
        assert poison["analysed"] and poison["statements"] == []


@pytest.mark.postgres
@pytest.mark.shared
@pytest.mark.slow
def test_reports_are_analysed_within_30_s_of_connections_being_killed(
    tmp_path: Path, data_dir: Path, database: str
) -> None:
    """Before: the batch in flight waited out a 5-minute claim lease."""
    reports = [
        json.loads(line)
        for line in (data_dir / "dev" / "reports.jsonl").read_text("utf-8").splitlines()
    ]
    extra = {
        "DENIALWATCH_DATABASE_URL": database,
        "DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json"),
    }
    with running_service(tmp_path, extra) as service:
        for i, report in enumerate(reports):
            for _ in range(20):  # a POST that meets a killed connection is sent again
                try:
                    if service.post_report(report).status_code == 202:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            if i % 3 == 0:
                kill_connections(database)
        kill_connections(database)
        back = time.monotonic()
        waiting = {r["id"] for r in reports}
        while waiting and time.monotonic() - back < 30:
            for report_id in sorted(waiting):
                try:
                    answer = service.get(f"/api/v1/reports/{report_id}")
                except httpx.HTTPError:
                    continue
                if answer.status_code == 200 and answer.json()["analysed"]:
                    waiting.discard(report_id)
            time.sleep(0.3)
        assert waiting == set(), f"not analysed 30 s after the database came back: {waiting}"
        elapsed = time.monotonic() - back
        print(f"every report analysed {elapsed:.1f} s after the last connection kill")


def test_sigterm_mid_analysis_stops_within_the_drain_window(tmp_path: Path) -> None:
    """A daemon analysis thread cannot keep a stopping process alive."""
    code = """
import asyncio, threading, time, sys
from bot.app.analysis import in_daemon_thread
async def main():
    asyncio.get_running_loop().call_later(0.3, sys.exit, 0)
    await in_daemon_thread(time.sleep, 3600)
try:
    asyncio.run(main())
except SystemExit:
    pass
"""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        timeout=30,
        capture_output=True,
        text=True,
        check=False,
    )
    assert time.monotonic() - started < 15, done.stderr
