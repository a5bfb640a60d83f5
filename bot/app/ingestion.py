"""Bring reports in from feeds and URLs through the safe fetcher into the store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

import anyio.to_thread
import structlog

from bot.app.ports import Clock, FeedRepository, ReportRepository
from bot.core.domain import Report, ReportId
from bot.core.records import Feed
from bot.inputs.articles import extract_article
from bot.inputs.feeds import FeedError, parse_feed
from bot.inputs.fetching import FetchError, SafeFetcher, accepts_feed, accepts_html
from bot.inputs.reports import FUTURE_SLACK, bounded_report

log = structlog.get_logger("denialwatch.ingestion")
MAX_BACKOFF = timedelta(hours=6)


class IngestionStore(FeedRepository, ReportRepository, Protocol):
    """The roles ingestion needs: the feeds it polls and the reports it stores."""


class Ingestion:
    """Poll feeds and read URLs; every report goes through the one pipeline."""

    def __init__(
        self,
        store: IngestionStore,
        fetcher: SafeFetcher,
        clock: Clock,
        on_feed_error: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._fetcher = fetcher
        self._clock = clock
        self._failures: dict[int, int] = {}
        self._on_feed_error = on_feed_error

    def check_url(self, url: str) -> None:
        """Refuse, before any connection, a URL that may not be fetched (ValueError)."""
        try:
            self._fetcher.check_url(url)
        except FetchError as error:
            raise ValueError(str(error)) from None

    async def read_url(self, url: str) -> Report:
        """Fetch an article and turn it into a report (not stored)."""
        try:
            result = await self._fetcher.fetch(url, accept=accepts_html)
        except FetchError as error:
            raise ValueError(str(error)) from None
        title, text, published = await anyio.to_thread.run_sync(
            extract_article, result.body, result.final_url
        )
        if not text.strip():
            raise ValueError("no article text found on the page")
        digest = hashlib.sha256(result.final_url.encode()).hexdigest()[:16]
        return _capped(
            Report(
                ReportId(f"url-{digest}"),
                published or self._clock.now().date(),
                source=_host(result.final_url),
                url=result.final_url,
                title=title,
                text=text,
            )
        )

    def due(self, feed: Feed, now: datetime) -> bool:
        if feed.last_polled_at is None:
            return True
        base = timedelta(minutes=feed.every_minutes)
        # A failing feed backs off exponentially, up to six hours (or its own interval).
        wait = min(base * 2 ** min(self._failures.get(feed.id, 0), 8), max(MAX_BACKOFF, base))
        return bool(now - feed.last_polled_at >= wait)

    async def poll_due_feeds(self) -> list[Report]:
        """Poll every feed whose interval has passed; a broken feed disturbs no other."""
        now = self._clock.now()
        feeds = await anyio.to_thread.run_sync(self._store.feeds)
        stored: list[Report] = []
        for feed in feeds:
            if self.due(feed, now):
                stored.extend(await self.poll(feed))
        return stored

    async def poll(self, feed: Feed) -> list[Report]:
        """Fetch a feed and store its new entries; analysis claims them like any report."""
        now = self._clock.now()
        try:
            result = await self._fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified, accept=accepts_feed
            )
            reports = (
                []
                if result.not_modified
                else await anyio.to_thread.run_sync(
                    lambda: parse_feed(
                        result.body, feed.url, today=now.date(), content_type=result.content_type
                    )
                )
            )
        except (FetchError, FeedError) as error:
            self._failures[feed.id] = self._failures.get(feed.id, 0) + 1
            log.warning("feed poll failed", feed=feed.id, error=str(error))
            if self._on_feed_error is not None:
                self._on_feed_error()
            await anyio.to_thread.run_sync(
                self._store.update_feed,
                replace(feed, last_error=str(error)[:300], last_polled_at=now),
            )
            return []
        self._failures.pop(feed.id, None)
        await anyio.to_thread.run_sync(
            self._store.update_feed,
            replace(
                feed,
                etag=result.etag,
                last_modified=result.last_modified,
                last_error="",
                last_polled_at=now,
            ),
        )
        stored: list[Report] = []
        for report in (self._dated(_capped(r)) for r in reports):
            if not report.text.strip() and report.url:
                try:
                    report = await self.complete(report)
                except ValueError as error:
                    log.info("article not fetched", report=report.id, error=str(error))
            if await anyio.to_thread.run_sync(self._store.add_report, report):
                stored.append(report)
        log.info("feed polled", feed=feed.id, entries=len(reports), new=len(stored))
        return stored

    def _dated(self, report: Report) -> Report:
        """A feed item dated beyond tomorrow gets today's date: a typo, not the future."""
        today = self._clock.now().date()
        if report.published > today + FUTURE_SLACK:
            log.warning("feed item from the future dated today", report=report.id)
            return replace(report, published=today)
        return report

    async def complete(self, report: Report) -> Report:
        """Fill in the text of a report that carries only a URL (ValueError if unreadable)."""
        if report.text.strip() or not report.url:
            return report
        article = await self.read_url(report.url)
        return replace(report, text=article.text, title=report.title or article.title)


def _capped(report: Report) -> Report:
    """A feed item or fetched article cut to the report caps (they cannot be refused)."""
    report, cut = bounded_report(report)
    if cut:
        log.warning("report truncated", report=report.id, fields=list(cut))
    return report


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]
