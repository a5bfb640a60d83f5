"""Fixtures for the evidence pages: served sites on loopback and a headless Chromium."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.app.command_service import claim_report, record_claim
from bot.core.domain import Agency, AgencyName, Polarity, Topic, TopicName, Watchlist
from bot.entry.pages.signing import PageSigner
from bot.inputs.reports import parse_report
from storage.memory_store import MemoryStore
from tests.conftest import shared_data
from tests.pages.harness import (
    CHROMEDRIVER,
    CHROMIUM,
    browser_available,
    dev_watchlist,
    pages_app,
    read_reports,
    replayed_store,
    serving,
    signer_for,
)


@dataclass
class Site:
    """A running HTTP app with pages on, and the signer its links are checked with."""

    url: str
    signer: PageSigner
    store: MemoryStore
    extra: dict[str, Any] = field(default_factory=dict)

    def link(self, path: str, **query: str | int) -> str:
        return self.url + self.signer.signed(path, self.signer.expiry(datetime.now(UTC)), **query)

    @property
    def alert_key(self) -> str:
        (record,) = self.store.alerts_since(None)
        return str(record.alert.key)


def serve_store(store: MemoryStore, trusted: str | None = None) -> Iterator[Site]:
    signers: list[PageSigner] = []

    def build(url: str) -> Any:
        signers.append(signer_for(url))
        return pages_app(store, signers[0], trusted=trusted)

    with serving(build) as url:
        yield Site(url, signers[0], store)


@pytest.fixture(scope="module")
def belgian_site() -> Iterator[Site]:
    """The two Belgian reports of the dev stream (dev-01, dev-06), replayed and served."""
    data = shared_data()
    reports = read_reports(data / "dev" / "reports.jsonl", ["dev-01", "dev-06"])
    store, _ = replayed_store(reports, dev_watchlist(data))
    yield from serve_store(store)


class Canary:
    """A loopback HTTP server that counts every request: injected markup must not reach it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                del args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Canary:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def payload(port: int) -> str:
    """Markup a hostile report might carry: scripts, handlers, script links, template code."""
    return (
        f"<script>alert(1)</script> <script src=http://127.0.0.1:{port}/script.js></script> "
        f"<img src=http://127.0.0.1:{port}/pixel.png onerror=alert(2)> "
        '<a href="javascript:alert(3)">click</a> {{ 7*7 }} {% raw %}'
    )


HOSTILE_WATCHLIST = Watchlist(
    agencies=(Agency(AgencyName("Belgian Federal Police"), "BE", ("Federal Police",)),),
    topics=(Topic(TopicName("Clearview AI"), ("Clearview",)),),
)


@pytest.fixture(scope="module")
def hostile_site() -> Iterator[Site]:
    """Reports (and a hand-recorded claim) whose every field holds hostile markup."""
    with Canary() as canary:
        bad = payload(canary.port)
        reports = [
            parse_report(
                {
                    "id": "hostile-1",
                    "published": "2020-01-10",
                    "source": f"<script>alert('source')</script>{{{{ 7*7 }}}} {bad}",
                    "url": "javascript:alert(document.domain)",
                    "language": "en",
                    "title": f"Police deny using Clearview AI {bad}",
                    "text": (
                        "Asked about the entry, a spokesperson for the Belgian Federal Police "
                        f"said the force had never used Clearview AI {bad}."
                    ),
                }
            ),
            parse_report(
                {
                    "id": "hostile-2",
                    "published": "2021-11-02",
                    "source": "Wire {{ 7*7 }}",
                    "url": f"http://127.0.0.1:{canary.port}/article?<script>alert(5)</script>",
                    "language": "en",
                    "title": "Minister confirms Clearview AI use",
                    "text": (
                        "The interior minister confirmed in parliament that the Belgian "
                        f"Federal Police had used Clearview AI {bad}."
                    ),
                }
            ),
        ]
        store, pipeline = replayed_store(reports, HOSTILE_WATCHLIST)
        # A chat member can name any agency and topic in `claim`: the names are hostile too.
        agency, topic = f"<b>Evil</b> Police {bad}", f"{{{{ 7*7 }}}} <i>tool</i> {bad}"
        for polarity, day in (
            (Polarity.DENIES, date(2020, 5, 1)),
            (Polarity.AFFIRMS, date(2021, 5, 1)),
        ):
            report = claim_report(
                agency,
                topic,
                polarity,
                f"{polarity} {bad}",
                day,
                source=f"chat {bad}",
                url="javascript:alert(6)",
            )
            record_claim(store, pipeline, report, agency, topic, polarity)
        for site in serve_store(store):
            site.extra["canary"] = canary
            site.extra["hostile_agency"] = agency
            yield site


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium driven through the system chromedriver (no download)."""
    reason = browser_available()
    if reason:
        _browser_unavailable(reason)
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.TemporaryDirectory(prefix="dw-chromium-")
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI containers run as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        f"--user-data-dir={profile.name}",
        # Tests send traffic only to loopback: none of Chromium's own background calls.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--no-first-run",
        "--no-default-browser-check",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.get("about:blank")
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


def console_errors(driver: Any) -> list[str]:
    """Severe console entries since the last call (CSP violations and failed loads too)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser requested since the last call."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
