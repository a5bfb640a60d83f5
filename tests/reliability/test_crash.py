"""SIGKILL the real `denialwatch run` around Slack posts; restart; nothing lost or doubled.

RELIABILITY T-04 in small: the fake Slack kills the process when a post arrives
("before": Slack keeps nothing) or right after Slack stored it ("after": the bot
never learns it succeeded). Restarts must deliver every alert of an undisturbed
run exactly once; the "after" kills are the ones reconciliation has to catch.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.domain import Report
from bot.inputs.loading import read_reports, read_watchlist
from tests.fakes.fake_slack import manifest_scopes
from tests.reliability.process import ALERTS, Bot, KillingSlack, prepare_database
from tests.reliability.streams import DELIVERED, stream, undisturbed, watchlist

pytestmark = pytest.mark.slow

DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "dev"
# Short enough that later evidence (a later report) goes into the thread, long enough
# that the contradictions one report finds at once are edits of the lead.
WINDOW_MINUTES = 0.0005


@pytest.fixture
async def slack() -> AsyncIterator[KillingSlack]:
    fake = KillingSlack(scopes=manifest_scopes())
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def run_disturbed(
    tmp_path: Path, slack: KillingSlack, reports: list[Report], listing_path: Path | None = None
) -> tuple[Bot, list[str]]:
    listing = read_watchlist(listing_path) if listing_path else watchlist()
    url = prepare_database(tmp_path / "denialwatch.db", listing)
    bot = Bot(tmp_path, url, slack, group_window_minutes=WINDOW_MINUTES)
    try:
        await bot.start()
        await bot.feed(reports)
        deliveries = await bot.settle(url)
    finally:
        await bot.stop()
    assert all(d.status in DELIVERED for d in deliveries), [
        (d.key, d.status, d.last_error) for d in deliveries if d.status not in DELIVERED
    ]
    return bot, [d.key for d in deliveries if d.update]


async def assert_same_as_undisturbed(
    slack: KillingSlack, reports: list[Report], edited: list[str], listing_path: Path | None = None
) -> None:
    listing = read_watchlist(listing_path) if listing_path else watchlist()
    expected_posts, expected_edits = await undisturbed(
        reports, listing, ALERTS, group_window=timedelta(minutes=WINDOW_MINUTES), step_seconds=60.0
    )
    posted = slack.delivered()
    duplicated = {key: n for key, n in posted.items() if n > 1}
    lost = set(expected_posts) - set(posted)
    report = {
        "lost": len(lost),
        "duplicated": sum(n - 1 for n in duplicated.values()),
        "posts": sum(posted.values()),
        "edits": len(edited),
        "kills": slack.kills,
    }
    print("crash figures:", json.dumps(report))
    assert duplicated == {}
    assert lost == set()
    assert set(posted) == set(expected_posts)
    assert set(edited) == set(expected_edits)


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param({2: "after", 4: "before", 7: "after"}, id="after-before-after"),
        pytest.param({1: "after", 3: "after", 5: "before"}, id="lead-first"),
    ],
)
async def test_killed_around_slack_posts_loses_nothing_and_posts_nothing_twice(
    tmp_path: Path, slack: KillingSlack, plan: dict[int, str]
) -> None:
    reports = stream(30, seed=5, pairs=8, noise=0.3)
    slack.plan = dict(plan)
    bot, edited = await run_disturbed(tmp_path, slack, reports)
    assert len(slack.kills) == len(plan), slack.kills
    assert bot.starts == len(plan) + 1
    await assert_same_as_undisturbed(slack, reports, edited)
    assert any(m.get("thread_ts") for m in slack.messages(ALERTS.id))  # threads exercised


needs_dev = pytest.mark.skipif(
    not (DEV / "reports.jsonl").exists(), reason="../shared/data/dev is not here"
)


def dev_reports() -> list[Report]:
    reports = read_reports(DEV / "reports.jsonl")
    order = sorted(enumerate(reports), key=lambda item: (item[1].published, item[0]))
    return [report for _, report in order]


@pytest.mark.shared
@needs_dev
async def test_dev_stream_killed_twice_delivers_what_an_undisturbed_run_does(
    tmp_path: Path, slack: KillingSlack
) -> None:
    reports = dev_reports()
    slack.plan = {1: "after", 3: "after"}
    _, edited = await run_disturbed(tmp_path, slack, reports, DEV / "watchlist.json")
    assert len(slack.kills) == 2
    await assert_same_as_undisturbed(slack, reports, edited, DEV / "watchlist.json")


@pytest.mark.shared
@needs_dev
async def test_dev_stream_under_rate_limits_delivers_what_an_undisturbed_run_does(
    tmp_path: Path, slack: KillingSlack
) -> None:
    reports = dev_reports()
    slack.rate_limit(3, retry_after=1)
    _, edited = await run_disturbed(tmp_path, slack, reports, DEV / "watchlist.json")
    assert sum(c.status == 429 for c in slack.calls) == 3
    await assert_same_as_undisturbed(slack, reports, edited, DEV / "watchlist.json")
