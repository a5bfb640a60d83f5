"""The service under steady load over a big store (issue 16): `denialwatch run` as a process.

`run_load_bench` fills a database with N synthetic statements (`startup_bench.fill`)
and starts `denialwatch run` three times, timing each from the process's spawn to the
first 200 from `/readyz`: without a claim-index snapshot (the first start of a host,
which writes one), again at once (the snapshot's newest rows are not settled yet, so
they are read again), and after the load below has run for minutes in the second
process (its refreshes settle the rows and write the snapshot every later start maps).
Against the second it posts the dev stream's reports, read where they lie and re-sent
under new ids, at a fixed rate (an open loop: a post leaves on schedule whether or not
earlier ones have been answered), polls `/healthz` every 100 ms from a process of its
own, and watches the `contradictions` table from a thread of its own: the time from a
report's POST until the first contradiction of that report is readable there
(committed with its alert and outbox row) is its
report→alert latency. Nothing here is asserted; the figures are returned.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import create_engine, text

from bot.tools.bench import (
    API_TOKEN,
    _gauge,
    api_stream,
    running_service,
    service_env,
    wait_for_service,
)

WATCH_EVERY_S = 0.05
"""How often the alert watcher reads new contradiction rows (its resolution)."""
DRAIN_LIMIT_S = 120.0
"""After the last post, how long the backlog may take to empty before the run ends."""


def run_load_bench(
    dev_dir: Path,
    statements: int,
    *,
    database_url: str | None = None,
    rate: float = 20.0,
    seconds: float = 300.0,
    workers: int | None = None,
    fill_store: bool = True,
) -> dict[str, float | int | str]:
    """Fill, start twice, then post at `rate` per second for `seconds`; return the figures.

    Without `database_url`, a SQLite file in a temporary folder. `workers` is
    DENIALWATCH_WORKERS (None: the service's default).
    """
    from bot.tools.startup_bench import fill

    dev_dir = dev_dir.resolve()
    with tempfile.TemporaryDirectory(prefix="dw-load-bench-") as home:
        url = database_url or f"sqlite:///{home}/dw.db"
        filled_s = 0.0
        if fill_store:
            began = time.perf_counter()
            fill(url, statements)
            filled_s = time.perf_counter() - began
        env = service_env(home, url, dev_dir, workers)
        env["DENIALWATCH_INDEX_DIR"] = f"{home}/index"
        cold_s = _start(env, home, "cold")  # no snapshot yet: builds and writes one
        figures = asyncio.run(_drive(env, home, dev_dir, url, rate, seconds))
        figures["restart_readyz_s"] = round(_start(env, home, "restart"), 2)
    count = int(rate * seconds)
    return {
        "database": "postgresql" if database_url else "sqlite",
        "statements": statements,
        "workers": workers if workers is not None else "default",
        "fill_s": round(filled_s, 1),
        "first_readyz_s": round(cold_s, 2),
        "posts": count,
        "rate_per_s": rate,
        "seconds": seconds,
        **figures,
    }


def _ready_after(
    service: subprocess.Popen[bytes], base: str, started: float, limit_s: float = 900.0
) -> float:
    """Seconds from `started` until `/readyz` answers 200 (polled every 50 ms)."""
    wait_for_service(
        service,
        base,
        lambda client: client.get("/readyz").status_code == 200,
        limit_s=limit_s,
        every_s=0.05,
    )
    return time.perf_counter() - started


def _start(env: dict[str, str], home: str, name: str) -> float:
    """Start, time to ready, stop."""
    started = time.perf_counter()
    with running_service(env, home, name, "load bench") as (service, base):
        return _ready_after(service, base, started)


class _AlertWatch(threading.Thread):
    """Note when each report's first contradiction becomes readable in the database."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url)
        self.first_seen: dict[str, float] = {}
        self.stopping = threading.Event()
        self.errors = 0
        with self.engine.connect() as conn:
            newest = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM contradictions"))
            self.last = int(newest.scalar_one())

    def run(self) -> None:
        query = text("SELECT id, new_report_id FROM contradictions WHERE id > :last ORDER BY id")
        while not self.stopping.is_set():
            try:
                with self.engine.connect() as conn:
                    rows = conn.execute(query, {"last": self.last}).all()
                now = time.perf_counter()
                for row_id, report_id in rows:
                    self.last = max(self.last, int(row_id))
                    self.first_seen.setdefault(str(report_id), now)
            except Exception:  # a locked SQLite file: try again at the next tick
                self.errors += 1
            self.stopping.wait(WATCH_EVERY_S)
        self.engine.dispose()


async def _drive(
    env: dict[str, str], home: str, dev_dir: Path, url: str, rate: float, seconds: float
) -> dict[str, float | int | str]:
    count = int(rate * seconds)
    documents = api_stream(dev_dir, count)
    started = time.perf_counter()
    with running_service(env, home, "warm", "load bench") as (service, base):
        ready_s = await asyncio.to_thread(_ready_after, service, base, started)
        figures = await _load(base, documents, url, rate, service)
        figures["readyz_s"] = round(ready_s, 2)
        figures["service_peak_mb"] = _peak_mb(service.pid)
        return figures


async def _load(
    base: str,
    documents: list[dict[str, object]],
    url: str,
    rate: float,
    service: subprocess.Popen[bytes],
) -> dict[str, float | int | str]:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    watch = _AlertWatch(url)
    watch.start()
    posted_at: dict[str, float] = {}
    accepted: list[float] = []
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def post(document: dict[str, object]) -> None:
            sent = time.perf_counter()
            posted_at[str(document["id"])] = sent
            try:
                answer = await client.post("/api/v1/reports", json=document, headers=headers)
                status = answer.status_code
            except httpx.HTTPError:
                status = 0  # no answer at all
            statuses[status] = statuses.get(status, 0) + 1
            if status == 202:
                accepted.append(time.perf_counter() - sent)

        # /healthz is polled from a process of its own (`bot.tools.health_probe`).
        prober = subprocess.Popen(
            [sys.executable, "-m", "bot.tools.health_probe", f"{base}/healthz"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        began = time.perf_counter()
        tasks = []
        for n, document in enumerate(documents):
            await asyncio.sleep(max(began + n / rate - time.perf_counter(), 0.0))
            tasks.append(asyncio.create_task(post(document)))
        await asyncio.gather(*tasks)
        posting_s = time.perf_counter() - began
        drained_s: float | str = ""
        while time.perf_counter() - began - posting_s < DRAIN_LIMIT_S:
            if service.poll() is not None:
                raise RuntimeError("the service exited under load")
            metrics = (await client.get("/metrics")).text
            if _gauge(metrics, "denialwatch_analysis_backlog") == 0:
                drained_s = round(time.perf_counter() - began - posting_s, 2)
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2 * WATCH_EVERY_S)
        out, _ = await asyncio.to_thread(prober.communicate, b"")  # stdin closed: stop
        probed = json.loads(out)
        health, health_failed = probed["latencies"], probed["failed"]
    watch.stopping.set()
    watch.join()
    alert = [
        watch.first_seen[report] - sent
        for report, sent in posted_at.items()
        if report in watch.first_seen
    ]
    five = sum(n for status, n in statuses.items() if status >= 500)
    return {
        "posting_s": round(posting_s, 1),
        "status_5xx": five,
        "status_other": sum(n for s, n in statuses.items() if s != 202 and s < 500),
        **_percentiles("accepted", accepted),
        "alerted_reports": len(alert),
        **_percentiles("alert", alert),
        "backlog_drained_after_s": drained_s,
        "healthz_polls": len(health),
        "healthz_failed": health_failed,
        **_percentiles("healthz", health, with_max=True),
    }


def _percentiles(
    name: str, seconds: list[float], *, with_max: bool = False
) -> dict[str, float | str]:
    if not seconds:
        return {f"{name}_p50_ms": "", f"{name}_p99_ms": ""}
    millis = np.asarray(seconds) * 1000.0
    out: dict[str, float | str] = {
        f"{name}_p50_ms": round(float(np.percentile(millis, 50)), 1),
        f"{name}_p99_ms": round(float(np.percentile(millis, 99)), 1),
    }
    if with_max:
        out[f"{name}_max_ms"] = round(float(millis.max()), 1)
    return out


def _peak_mb(pid: int) -> float | str:
    """The service process's peak resident memory (VmHWM), its workers not included."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return ""
