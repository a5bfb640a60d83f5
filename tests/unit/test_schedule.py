"""Every periodic job is declared on APScheduler; leader jobs idle on other replicas."""

from __future__ import annotations

from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.entry.config import load_settings
from bot.entry.service import build_service


async def test_periodic_work_is_scheduled_and_leader_jobs_wait_for_leadership(
    tmp_path: Path,
) -> None:
    env = {"DENIALWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}"}
    service = build_service(load_settings(env, env_file=None))
    polled: list[str] = []

    async def poll() -> list[object]:
        polled.append("poll")
        return []

    service.ingestion.poll_due_feeds = poll  # type: ignore[method-assign]  # a stub poll
    scheduler = AsyncIOScheduler(timezone="UTC")
    service.schedule(scheduler)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"poll-feeds", "digests", "prune", "refresh-search", "refresh-gauges"}

    service.is_leader = lambda: False
    await jobs["poll-feeds"].func()
    assert polled == [] and service.metrics.leader._value.get() == 0

    service.is_leader = lambda: True
    await jobs["poll-feeds"].func()
    await jobs["prune"].func()
    assert polled == ["poll"] and service.metrics.leader._value.get() == 1
    service.release_leadership()
