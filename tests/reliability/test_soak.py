"""Soak: 2,000 reports through the pipeline while Slack answers 429 and 500 for a minute.

Runs on a fixed clock (2 s of news per report, about 67 minutes in all) against the
real SlackAdapter and the fake Slack Web API. During one minute of that clock
every Web API call fails, in turn: 429 with Retry-After, 500 before Slack stored
anything, and 500 after Slack stored the message (the outcome the bot cannot know).
Every expected alert must reach each channel exactly once.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from adapters.slack import SlackAdapter
from bot.app.clock import FixedClock
from bot.app.delivery import DeliveryWorker
from bot.app.pipeline import Pipeline
from bot.core.domain import Channel, ChannelId, Subscription
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.core.records import DeliveryStatus
from storage.memory_store import MemoryStore
from tests.fakes.fake_slack import FakeSlack, SlackError, _Fault, manifest_scopes
from tests.reliability.streams import DELIVERED, stream, undisturbed, watchlist

pytestmark = pytest.mark.slow

CHANNELS = (Channel("slack", ChannelId("C0ALERTS")), Channel("slack", ChannelId("C0DESK")))
STEP = timedelta(seconds=2)
RETRY_AFTER = 5.0


class StormySlack(FakeSlack):
    """Fails every call while `storm()` is true, cycling 429 / 500 / stored-then-500."""

    def __init__(
        self, storm: Callable[[], bool], now: Callable[[], datetime], **options: Any
    ) -> None:
        super().__init__(**options)
        self.storm = storm
        self.now = now
        self.modes = itertools.cycle(("429", "500", "stored-500"))
        self.mode = ""
        self.answers: Counter[str] = Counter()
        self.sends: list[tuple[str, datetime, int]] = []

    def _take_fault(self, method: str) -> _Fault | None:
        self.mode = next(self.modes) if self.storm() else ""
        if self.mode:
            self.answers[self.mode] += 1
        if self.mode == "429":
            return _Fault(1, 429, method, RETRY_AFTER)
        if self.mode == "500":
            return _Fault(1, 500, method)
        return None

    def _dispatch(self, method: str, args: dict[str, Any], token: str) -> dict[str, Any]:
        if method in ("chat.postMessage", "chat.update"):
            status = 429 if self.mode == "429" else 500 if self.mode else 200
            self.sends.append((str(args.get("channel", "")), self.now(), status))
        result = super()._dispatch(method, args, token)
        if self.mode == "stored-500":
            raise SlackError("internal_error", status=500)
        return result

    def _record(
        self, method: str, args: dict[str, Any], token: str, status: int, body: dict[str, Any]
    ) -> None:
        if status == 429 and method in ("chat.postMessage", "chat.update"):
            self.sends.append((str(args.get("channel", "")), self.now(), status))
        super()._record(method, args, token, status, body)

    def delivered(self, channel_id: str) -> Counter[str]:
        keys: Counter[str] = Counter()
        for message in self.messages(channel_id):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            keys[str(payload.get("delivery_key", ""))] += 1
        return keys


async def test_2000_reports_through_a_minute_of_429_and_500_deliver_every_alert_once() -> None:
    reports = stream(2000, seed=17, noise=0.75)
    clock = FixedClock()
    storm_from = clock.now() + 500 * STEP
    storm_until = storm_from + timedelta(minutes=1)

    def storm() -> bool:
        return storm_from <= clock.now() < storm_until

    store = MemoryStore()
    store.save_watchlist(watchlist())
    for channel in CHANNELS:
        store.add_subscription(Subscription(channel))
    pipeline = Pipeline(store, clock, load_lexicons(), load_vocabulary())
    slack = StormySlack(
        storm, clock.now, scopes=manifest_scopes(), channels=[c.id for c in CHANNELS]
    )
    await slack.start()
    try:
        adapter = SlackAdapter(
            bot_token=slack.bot_token,
            signing_secret="soak-secret",
            api_url=slack.api_url,
        )
        await adapter.start(_no_commands)
        worker = DeliveryWorker(
            store, {"slack": adapter}, clock, rng=random.Random(5), channel_interval=0.0
        )
        try:
            for report in reports:
                pipeline.ingest(report)
                clock.advance(STEP)
                while await worker.run_once(100):
                    pass
            for _ in range(200):  # drain what is still waiting for a retry
                if all(d.status is not DeliveryStatus.PENDING for d in store.deliveries()):
                    break
                clock.advance(timedelta(seconds=5))
                await worker.run_once(100)
        finally:
            await adapter.stop()
    finally:
        await slack.stop()

    deliveries = store.deliveries()
    expected_posts, expected_edits = Counter[str](), Counter[str]()
    for channel in CHANNELS:
        posts, edits = await undisturbed(
            reports, watchlist(), channel, step_seconds=STEP.total_seconds()
        )
        expected_posts += posts
        expected_edits += edits
    posted: Counter[str] = Counter()
    for channel in CHANNELS:
        posted += slack.delivered(channel.id)
    figures = {
        "reports": len(reports),
        "deliveries": len(deliveries),
        "posts": sum(posted.values()),
        "edits": sum(d.update for d in deliveries),
        "storm_answers": dict(slack.answers),
        "lost": len(set(expected_posts) - set(posted)),
        "duplicated": sum(n - 1 for n in posted.values() if n > 1),
        "not_sent": sum(d.status not in DELIVERED for d in deliveries),
        "coalesced": sum(d.status is DeliveryStatus.COALESCED for d in deliveries),
    }
    print("soak figures:", json.dumps(figures))
    assert len(deliveries) > 1000
    assert min(slack.answers[m] for m in ("429", "500", "stored-500")) >= 3
    assert figures["not_sent"] == 0
    assert figures["duplicated"] == 0
    assert figures["lost"] == 0
    assert set(posted) == set(expected_posts)
    assert {d.key for d in deliveries if d.update} == set(expected_edits)
    # After a 429 nothing goes to that channel before Retry-After has passed.
    for channel in CHANNELS:
        sends = [(at, status) for ch, at, status in slack.sends if ch == channel.id]
        for (at, status), (later, _) in itertools.pairwise(sends):
            if status == 429:
                assert later - at >= timedelta(seconds=RETRY_AFTER), (channel, at, later)


async def _no_commands(request: Any) -> Any:
    raise AssertionError("no commands in the soak test")
