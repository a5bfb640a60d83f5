"""Analysis apart from the API: worker processes, their leases, and backpressure (issue 16).

Each test starts the real `denialwatch run` (or `denialwatch worker`) and talks HTTP to
it on loopback. The test hook on PYTHONPATH shortens the claim lease to 2 s and can
hold one report's analysis still, so that the worker analysing it can be killed then.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.core.domain import ReportId
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from tests.conftest import dev_report
from tests.running import RunningService, running_service, service_env

pytestmark = pytest.mark.shared

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "tests" / "reliability" / "hooks"
LEASE_SECONDS = "2"


def hooked(tmp_path: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    """Settings for a service whose first analysis of `stall` hangs until it is killed."""
    path = os.pathsep.join(p for p in (str(HOOKS), str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {
        "PYTHONPATH": path,
        "DENIALWATCH_TEST_LEASE_SECONDS": LEASE_SECONDS,
        "DENIALWATCH_TEST_STALL_MARK": str(tmp_path / "stalled.pid"),
        "DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json"),
        **extra,
    }


def stalled_pid(tmp_path: Path, timeout: float = 30.0) -> int:
    """The pid of the process that began analysing the stalled report."""
    mark = tmp_path / "stalled.pid"
    deadline = time.monotonic() + timeout
    while not (mark.exists() and mark.read_text()):
        assert time.monotonic() < deadline, "no worker began the stalled report"
        time.sleep(0.1)
    return int(mark.read_text())


def events(service: RunningService, name: str) -> list[dict[str, object]]:
    found = []
    for line in service.stderr.read_text().splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == name:
                found.append(event)
    return found


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_a_worker_killed_mid_analysis_hands_its_report_to_the_next_and_nothing_twice(
    tmp_path: Path, data_dir: Path
) -> None:
    extra = hooked(
        tmp_path, data_dir, DENIALWATCH_WORKERS="1", DENIALWATCH_TEST_STALL_REPORT="dev-01"
    )
    with running_service(tmp_path, extra) as service:
        assert service.post_report(dev_report(data_dir, "dev-01")).status_code == 202
        worker = stalled_pid(tmp_path)
        assert worker != service.process.pid  # analysis runs apart from the API
        # The API stores and answers while the only worker is busy.
        started = time.monotonic()
        assert service.post_report(dev_report(data_dir, "dev-06")).status_code == 202
        assert time.monotonic() - started < 2
        assert not service.get("/api/v1/reports/dev-06").json()["analysed"]

        os.kill(worker, signal.SIGKILL)
        alerts = service.wait_for(
            "/api/v1/alerts", lambda r: r.json()["alerts"], timeout=40
        ).json()["alerts"]
        [alert] = alerts
        [contradiction] = alert["contradictions"]
        assert {contradiction["report_id"], contradiction["contradicts"]} == {"dev-01", "dev-06"}
        first = service.get("/api/v1/reports/dev-01").json()
        assert first["analysed"] and not first["skipped"] and first["statements"]

        analysed = Counter(str(e["report"]) for e in events(service, "report analysed"))
        assert analysed == Counter({"dev-01": 1, "dev-06": 1})
        assert all(e["pid"] != worker for e in events(service, "report analysed"))
        assert [e["pid"] for e in events(service, "analysis worker exited")] == [worker]
        metrics = service.get("/metrics").text
        assert metric(metrics, "denialwatch_analysis_worker_restarts_total") == 1.0
        assert metric(metrics, "denialwatch_analysis_workers") == 1.0
        assert metric(metrics, "denialwatch_analysis_backlog") == 0.0


def test_past_the_backlog_limit_the_write_api_answers_429_with_retry_after(
    tmp_path: Path, data_dir: Path
) -> None:
    extra = hooked(
        tmp_path,
        data_dir,
        DENIALWATCH_WORKERS="1",
        DENIALWATCH_MAX_BACKLOG="3",
        DENIALWATCH_TEST_STALL_REPORT="dev-01",
    )
    with running_service(tmp_path, extra) as service:
        for report_id in ("dev-01", "dev-02", "dev-03"):
            assert service.post_report(dev_report(data_dir, report_id)).status_code == 202
        refused = service.post_report(dev_report(data_dir, "dev-04"))
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "retry later" in refused.json()["error"]
        assert service.get("/api/v1/reports/dev-04").status_code == 404  # nothing stored

        stalled_pid(tmp_path)
        time.sleep(1.2)  # let the oldest report age, and the last count go stale
        metrics = service.get("/metrics").text
        assert metric(metrics, "denialwatch_analysis_backlog") == 3.0
        assert metric(metrics, "denialwatch_analysis_backlog_oldest_seconds") >= 1.0
        assert 'denialwatch_reports_total{outcome="throttled"} 1.0' in metrics
        assert metric(metrics, "denialwatch_analysis_workers") == 1.0


def test_denialwatch_worker_analyses_reports_stored_by_others_and_stops_on_sigterm(
    tmp_path: Path, data_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'dw.db'}"
    upgrade(url)
    store = SqlStore(url)
    try:
        from bot.inputs.reports import parse_report

        store.add_report(parse_report(dev_report(data_dir, "dev-01")))
    finally:
        store.close()
    env = service_env(tmp_path, {"DENIALWATCH_DATABASE_URL": url})
    with (tmp_path / "worker.log").open("w") as err:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot.entry.cli", "worker"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        store = SqlStore(url)
        deadline = time.monotonic() + 30
        while True:
            stored = store.get_report(ReportId("dev-01"))
            if stored is not None and stored.analysed:
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the worker analysed nothing"
            time.sleep(0.2)
        assert stored.statements and not stored.skip_reason
        store.close()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert '"event": "analysis worker stopped"' in (tmp_path / "worker.log").read_text()


def test_the_service_keeps_its_start_up_heap_out_of_the_collectors_walks(
    tmp_path: Path, data_dir: Path
) -> None:
    extra = {"DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json")}
    with running_service(tmp_path, extra) as service:
        # Lexicons, watchlist, claim index and libraries: settled once, before serving.
        frozen = metric(service.get("/metrics").text, "denialwatch_heap_frozen_objects")
        assert frozen > 10_000
