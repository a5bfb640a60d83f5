"""Pending analysis: claim reports through the store, analyse each within its budget.

The same loop runs inside the service (`DENIALWATCH_WORKERS=0`) and in every analysis
worker process (`denialwatch worker`, or the pool `denialwatch run` starts). Reports are
claimed through the database (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on
SQLite) with a lease; while a report is being analysed its claim is renewed, so a slow
analysis is never taken over, and a worker that dies stops renewing: its report comes
back to the others within one lease. A report is marked analysed in the transaction that
commits its statements, so it is analysed once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

import anyio.to_thread
import structlog

from bot.app.pipeline import Pipeline
from bot.core.domain import Analysis, Report, ReportId

log = structlog.get_logger("denialwatch.analysis")
T = TypeVar("T")

CLAIM_BATCH = 5
"""Reports claimed at a time: few, so a crash strands few and the lease stays short."""
WATCHDOG_GRACE_SECONDS = 5.0
"""How long past its budget an analysis thread is waited for before the report is set aside."""

Outcome = Callable[[Report, Analysis | None, float], None]
"""Told of each report worked on: its analysis (None: failed, skipped, given back), seconds."""


@dataclass
class Analyser:
    """Claim and analyse reports until none is left or `stopping` is set."""

    pipeline: Pipeline
    stopping: asyncio.Event
    on_outcome: Outcome
    batch: int = CLAIM_BATCH
    _held: set[ReportId] = field(default_factory=set)

    async def drain(self) -> int:
        """Analyse every claimable report; return how many were worked on.

        Cancelled (the process stops), it gives back the claims it has not started on;
        the report in progress comes back when its lease ends, so that its analysis,
        should it still commit, is never raced by another worker's.
        """
        worked = 0
        current: ReportId | None = None
        renewing = asyncio.create_task(self._keep_claims(), name="claim renewal")
        try:
            while not self.stopping.is_set():
                claimed = await anyio.to_thread.run_sync(self.pipeline.claim, self.batch)
                if not claimed:
                    break
                self._held.update(r.id for r in claimed)
                for report in claimed:
                    if self.stopping.is_set():
                        return worked
                    current = report.id
                    started = time.monotonic()
                    try:
                        analysis = await self.analyse_watched(report)
                    finally:
                        self._held.discard(report.id)
                    current = None
                    worked += 1
                    self.on_outcome(report, analysis, time.monotonic() - started)
        finally:
            renewing.cancel()
            unstarted = sorted(self._held - {current} if current else self._held)
            self._held.clear()
            if unstarted:
                with contextlib.suppress(Exception):  # else they come back with the lease
                    self.pipeline.release(unstarted)
        return worked

    async def analyse_watched(self, report: Report) -> Analysis | None:
        """Analyse one report in a daemon thread, watched against its time budget.

        The thread is a daemon so that SIGTERM ends the process even mid-analysis; past
        the budget the report is set aside as `too_costly` and the next one starts (the
        late thread commits nothing: the pipeline checks the same deadline).
        """
        budget = self.pipeline.budget.total_seconds()
        deadline = time.monotonic() + budget
        try:
            return await asyncio.wait_for(
                in_daemon_thread(self.pipeline.analyse_claimed, report, deadline),
                budget + WATCHDOG_GRACE_SECONDS,
            )
        except TimeoutError:
            await anyio.to_thread.run_sync(
                self.pipeline.skip,
                report.id,
                f"too_costly: analysis still running after {budget:g} s",
            )
            return None

    async def _keep_claims(self) -> None:
        """Renew the claims held, a third of a lease apart, while this worker lives."""
        every = self.pipeline.store.claim_lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            held = sorted(self._held)
            if not held:
                continue
            try:
                await anyio.to_thread.run_sync(self.pipeline.store.renew_claims, held)
            except Exception as error:  # the lease still protects the claims for a while
                log.warning("claims not renewed", reports=len(held), error=type(error).__name__)


def in_daemon_thread(fn: Callable[..., T], *args: object) -> Awaitable[T]:
    """Run `fn` in a fresh daemon thread; the returned future resolves on the loop.

    Unlike the default executor, whose threads the interpreter joins at exit, a
    daemon thread cannot keep a stopping process alive.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(cast(T, result))

    def work() -> None:
        try:
            result = fn(*args)
        except BaseException as error:  # handed to the awaiting task, not swallowed
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(settle, None, error)
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=work, name="denialwatch analysis", daemon=True).start()
    return future
