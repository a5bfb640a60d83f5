"""`denialwatch run` as a Slack app against the fake Slack Web API, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import dev_report
from tests.fakes.fake_slack import FORM, FakeSlack, signed_headers, slash_command
from tests.running import RunningService, running_service

pytestmark = pytest.mark.shared
SECRET = "e2e-signing-secret-0123456789abcdef"


class ThreadedFakeSlack:
    """Run the fake Slack on its own event loop, so the test can block freely."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.slack = self.call(FakeSlack(channels=("C0ALERTS",)).start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def stop(self) -> None:
        self.call(self.slack.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def fake() -> Iterator[ThreadedFakeSlack]:
    threaded = ThreadedFakeSlack()
    try:
        yield threaded
    finally:
        threaded.stop()


@pytest.fixture
def service(tmp_path: Path, fake: ThreadedFakeSlack, data_dir: Path) -> Iterator[RunningService]:
    extra = {
        "SLACK_BOT_TOKEN": fake.slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "DENIALWATCH_SLACK_API_URL": fake.slack.api_url,
        "DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json"),
    }
    with running_service(tmp_path, extra) as running:
        running.wait_for("/readyz", lambda r: r.status_code == 200)
        yield running


def _command(
    service: RunningService,
    fake: ThreadedFakeSlack,
    text: str,
    secret: str = SECRET,
    timestamp: int | None = None,
) -> httpx.Response:
    body = urllib.parse.urlencode(
        slash_command(text, response_url=fake.slack.response_url())
    ).encode()
    headers = signed_headers(secret, body, timestamp=timestamp, content_type=FORM)
    return httpx.post(f"{service.url}/slack/events", content=body, headers=headers, timeout=10)


def test_watch_command_then_reports_post_one_block_kit_alert(
    service: RunningService, fake: ThreadedFakeSlack, data_dir: Path
) -> None:
    response = _command(service, fake, "watch topic Clearview AI")
    assert response.status_code == 200
    service.post_report(dev_report(data_dir, "dev-01"))
    service.post_report(dev_report(data_dir, "dev-06"))
    deadline = time.monotonic() + 20
    while not fake.slack.messages("C0ALERTS") and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)
    [message] = fake.slack.messages("C0ALERTS")
    blocks = message["blocks"]
    header = next(b for b in blocks if b["type"] == "header")
    assert "Belgian Federal Police" in header["text"]["text"]
    buttons = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["Confirmed", "Not a contradiction", "Mute 7 days"]
    rendered = json.dumps(blocks)
    assert "never used Clearview AI" in rendered
    assert all(call.ok for call in fake.slack.calls_to("chat.postMessage"))


@pytest.mark.parametrize("kind", ["bad-secret", "stale"])
def test_bad_or_stale_signatures_get_401_and_change_nothing(
    service: RunningService, fake: ThreadedFakeSlack, kind: str
) -> None:
    if kind == "bad-secret":
        response = _command(service, fake, "watch topic Pegasus", secret="wrong-secret")
    else:
        response = _command(service, fake, "watch topic Pegasus", timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    time.sleep(0.5)
    assert not fake.slack.ephemerals and not fake.slack.response_posts


def test_secrets_never_reach_the_logs(
    service: RunningService, fake: ThreadedFakeSlack, data_dir: Path
) -> None:
    _command(service, fake, "watch topic Clearview AI")
    _command(service, fake, "status", secret="wrong-secret")
    service.post_report(dev_report(data_dir, "dev-01"))
    service.post_report({"id": "x"}, token="wrong-token")
    time.sleep(1.0)
    logs = service.stdout.read_text() + service.stderr.read_text()
    assert '"event": "settings"' in logs
    for secret in (SECRET, fake.slack.bot_token, "test-token-0123456789"):
        assert secret not in logs
        assert urllib.parse.quote(secret) not in logs


def test_a_channel_that_asks_for_a_digest_gets_one_post(
    service: RunningService, fake: ThreadedFakeSlack
) -> None:
    assert _command(service, fake, "watch topic Clearview AI").status_code == 200
    assert _command(service, fake, "digest on 00:00").status_code == 200

    def digests() -> list[dict[str, Any]]:
        return [
            m
            for m in fake.slack.messages("C0ALERTS")
            if m.get("text", "").startswith("denialwatch digest")
        ]

    deadline = time.monotonic() + 40
    while not digests() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(16)  # one more scheduler tick: the digest must not come twice
    assert len(digests()) == 1
