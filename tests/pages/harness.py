"""Evidence pages on loopback: a store replayed from reports, the real app, a browser."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from bot.app.claim_search import ClaimSearch
from bot.app.clock import SystemClock
from bot.app.pipeline import Pipeline
from bot.app.ports import Clock
from bot.core.domain import Channel, ChannelId, Report, Subscription, Watchlist
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.entry.http_app import create_app
from bot.entry.metrics import Metrics
from bot.entry.pages.routes import mount_pages
from bot.entry.pages.signing import PageSigner
from bot.entry.pages.views import PageReader
from bot.inputs.loading import read_watchlist
from bot.inputs.reports import parse_report
from storage.memory_store import MemoryStore
from tests.conftest import free_port

SECRET = b"pages-test-secret-0123456789abcdef0123456789"
SLACK_CHANNEL = Channel("slack", ChannelId("C0NEWSROOM"))
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def read_reports(path: Path, ids: Iterable[str] | None = None) -> list[Report]:
    wanted = set(ids) if ids is not None else None
    reports = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            if wanted is None or raw["id"] in wanted:
                reports.append(parse_report(raw))
    return reports


def dev_watchlist(data_dir: Path) -> Watchlist:
    return read_watchlist(data_dir / "dev" / "watchlist.json")


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


def replayed_store(
    reports: Sequence[Report],
    watchlist: Watchlist,
    clock: Clock | None = None,
    before: Callable[[Report], None] | None = None,
) -> tuple[MemoryStore, Pipeline]:
    """A memory store after the live pipeline read `reports` in date order."""
    store = MemoryStore()
    store.save_watchlist(watchlist)
    store.add_subscription(Subscription(SLACK_CHANNEL))
    pipeline = Pipeline(store, clock or SystemClock(), load_lexicons(), load_vocabulary())
    for _, report in sorted(enumerate(reports), key=lambda item: (item[1].published, item[0])):
        if before is not None:
            before(report)
        pipeline.ingest(report)
    return store, pipeline


def pages_app(
    store: MemoryStore, signer: PageSigner, clock: Clock | None = None, trusted: str | None = None
) -> FastAPI:
    """The service's HTTP app with the pages mounted, as `denialwatch run` builds it."""
    pipeline = Pipeline(store, SystemClock(), load_lexicons(), load_vocabulary())

    async def ready() -> None:
        return None

    app = create_app(store, pipeline, Metrics(), api_token=None, readiness=ready)
    search = ClaimSearch(store)
    search.open()
    mount_pages(
        app,
        reader=PageReader(store, load_lexicons()),
        search=search.search,
        signer=signer,
        clock=clock or SystemClock(),
        trusted_header=trusted,
    )
    return app


@contextmanager
def serving(build: Callable[[str], FastAPI]) -> Iterator[str]:
    """Run the app `build(base_url)` returns with uvicorn on loopback; yield the URL."""
    port = free_port()
    app = build(f"http://127.0.0.1:{port}")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def signer_for(url: str, lifetime: timedelta = timedelta(days=30)) -> PageSigner:
    return PageSigner(SECRET, url, lifetime)


def now() -> datetime:
    return datetime.now(UTC)


def browser_available() -> str | None:
    """Return why the browser tests cannot run here, or None when they can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(path) or shutil.which(Path(path).name)):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None
