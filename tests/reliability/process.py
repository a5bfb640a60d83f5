"""Run the real `denialwatch run` against the fake Slack, and kill it at chosen moments."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import httpx

from bot.core.domain import Channel, ChannelId, Report, Subscription, Watchlist
from bot.core.records import Delivery
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from tests.fakes.fake_slack import FakeSlack, SlackError
from tests.reliability.streams import report_document

ROOT = Path(__file__).resolve().parents[2]
HOOKS = Path(__file__).resolve().parent / "hooks"
DENIALWATCH = Path(sys.executable).parent / "denialwatch"
SIGNING_SECRET = "crash-test-signing-secret"
API_TOKEN = "crash-test-api-token"
ALERTS = Channel("slack", ChannelId("C0ALERTS"))
LEASE_SECONDS = 2.0
SENDS = ("chat.postMessage", "chat.update")


class KillingSlack(FakeSlack):
    """A fake Slack that SIGKILLs the bot at planned sends.

    `plan` maps the n-th send (chat.postMessage or chat.update, counted from 1) to
    "before" (the request arrives, Slack keeps nothing) or "after" (Slack stored the
    message; the bot dies before it reads the answer, so it cannot mark it sent).
    """

    def __init__(self, plan: dict[int, str] | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.plan = dict(plan or {})
        self.pid = 0
        self.sends = 0
        self.kills: list[tuple[int, str]] = []

    def _dispatch(self, method: str, args: dict[str, Any], token: str) -> dict[str, Any]:
        if method not in SENDS:
            return super()._dispatch(method, args, token)
        self.sends += 1
        point = self.plan.pop(self.sends, None)
        if point == "before":
            self._kill(point)
            raise SlackError("killed_before_send", status=500)
        result = super()._dispatch(method, args, token)
        if point == "after":
            self._kill(point)
        return result

    def _kill(self, point: str) -> None:
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            self.kills.append((self.sends, point))

    def delivered(self, channel_id: str = ALERTS.id) -> Counter[str]:
        """How often each delivery key appears among the channel's messages."""
        keys: Counter[str] = Counter()
        for message in self.messages(channel_id):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            keys[str(payload.get("delivery_key", ""))] += 1
        return keys


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(path: Path, listing: Watchlist) -> str:
    url = f"sqlite:///{path}"
    upgrade(url)
    store = SqlStore(url)
    try:
        store.save_watchlist(listing)
        store.add_subscription(Subscription(ALERTS))
    finally:
        store.close()
    return url


class Bot:
    """One `denialwatch run` process at a time, restartable, on a fixed database."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        slack: FakeSlack,
        *,
        group_window_minutes: float = 10.0,
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(workdir),
            "PYTHONPATH": os.pathsep.join((str(HOOKS), str(ROOT))),
            "DENIALWATCH_TEST_LEASE_SECONDS": str(LEASE_SECONDS),
            "DENIALWATCH_DATABASE_URL": database_url,
            "DENIALWATCH_HTTP_PORT": str(self.port),
            "DENIALWATCH_API_TOKEN": API_TOKEN,
            "DENIALWATCH_LOG_FORMAT": "json",
            "DENIALWATCH_GROUP_WINDOW_MINUTES": str(group_window_minutes),
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "DENIALWATCH_SLACK_API_URL": slack.api_url,
        }
        self.slack = slack
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._log: TextIO | None = None

    async def start(self) -> None:
        self.starts += 1
        self._log = (self.workdir / f"run-{self.starts}.log").open("w")
        self.process = subprocess.Popen(
            [str(DENIALWATCH), "run"],
            cwd=self.workdir,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if isinstance(self.slack, KillingSlack):
            self.slack.pid = self.process.pid
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"denialwatch exited: {self.log_tail()}")
                try:
                    if (await client.get(f"{self.base}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"denialwatch did not start: {self.log_tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def ensure_running(self) -> None:
        if not self.alive():
            await self.reap()
            await self.start()

    async def reap(self) -> None:
        if self.process is not None:
            await asyncio.to_thread(self.process.wait)
        if self._log is not None:
            self._log.close()
            self._log = None

    async def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.to_thread(self.process.wait), 20)
            except TimeoutError:
                self.process.kill()
        await self.reap()

    def log_tail(self, lines: int = 30) -> str:
        text = "".join(p.read_text() for p in sorted(self.workdir.glob("run-*.log")))
        return "\n".join(text.splitlines()[-lines:])

    async def feed(self, reports: Iterable[Report], timeout: float = 120.0) -> None:
        """POST each report and wait until it is analysed, restarting the bot if killed."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5.0) as client:
            for report in reports:
                while True:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"report {report.id} not analysed: {self.log_tail()}")
                    await self.ensure_running()
                    try:
                        if await self._analysed(client, report):
                            break
                    except httpx.TransportError:
                        pass  # killed under us: restart and ask again
                    await asyncio.sleep(0.05)

    async def _analysed(self, client: httpx.AsyncClient, report: Report) -> bool:
        answer = await client.get(
            f"{self.base}/api/v1/reports/{report.id}",
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
        if answer.status_code == 404:
            posted = await client.post(
                f"{self.base}/api/v1/reports",
                json=report_document(report),
                headers={"Authorization": f"Bearer {API_TOKEN}"},
            )
            assert posted.status_code == 202, posted.text
            return False
        return bool(answer.json()["analysed"])

    async def settle(self, database_url: str, timeout: float = 120.0) -> list[Delivery]:
        """Wait (restarting after kills) until no delivery is pending; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            await self.ensure_running()
            deliveries = await asyncio.to_thread(all_deliveries, database_url)
            if deliveries and all(d.status != "pending" for d in deliveries):
                return deliveries
            if time.monotonic() > deadline:
                raise TimeoutError(f"deliveries still pending: {self.log_tail()}")
            await asyncio.sleep(0.2)


def all_deliveries(database_url: str) -> list[Delivery]:
    store = SqlStore(database_url)
    try:
        return [d for record in store.alerts_since(None) for d in record.deliveries]
    finally:
        store.close()
