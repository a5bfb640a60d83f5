"""Analysis worker processes: `denialwatch worker`, and the pool `denialwatch run` starts.

The write API only stores a report and answers 202; analysis runs here, in processes
of its own, so it never competes with HTTP for one interpreter lock. Workers claim
reports through the database (`bot.app.analysis.Analyser`) like replicas do, so any
number of them, on one host or many, analyse each report once. A worker the service
started reports each analysis back through a pipe, for the metrics and the claim
search; a worker started on its own only logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import anyio.to_thread
import structlog

from bot.app.analysis import Analyser
from bot.app.clock import SystemClock
from bot.app.pipeline import Pipeline
from bot.core.domain import Analysis, Report, ReportId, Statement
from bot.entry import heap
from bot.entry.config import Settings

log = structlog.get_logger("denialwatch.workers")

WORKER_POLL_SECONDS = 0.25
"""How often an idle worker looks for new reports (one indexed query)."""
SUPERVISE_SECONDS = 0.5
"""How often the service checks that its workers live."""
RESTART_DELAYS = (1.0, 2.0, 5.0, 15.0, 30.0)
"""Waits before starting a worker again, longer each time one dies soon after starting."""
STABLE_SECONDS = 30.0
"""A worker that lived this long resets the restart delay."""
WORKER_NICENESS = 10
"""Workers yield the CPU to the HTTP app, delivery and chat adapters when both want it:
analysis is background work, a 202 or a Slack ack is not (Linux/Unix `nice`)."""
STOP_SECONDS = 8.0
"""How long stopping workers get to finish before they are killed (the claims come back)."""


@dataclass(frozen=True)
class Ready:
    """A worker process has built its pipeline and starts claiming reports."""

    pid: int


@dataclass(frozen=True)
class Analysed:
    """What a worker tells the service about one report it worked on."""

    report_id: ReportId
    seconds: float
    analysed: bool
    """False when the analysis failed or was set aside; the claim handles retries."""
    statements: tuple[Statement, ...] = ()
    contradiction_kinds: tuple[str, ...] = ()


def analysed(report: Report, analysis: Analysis | None, seconds: float) -> Analysed:
    if analysis is None:
        return Analysed(report.id, seconds, analysed=False)
    return Analysed(
        report.id,
        seconds,
        analysed=True,
        statements=analysis.statements,
        contradiction_kinds=tuple(str(c.kind) for c in analysis.contradictions),
    )


def log_analysis(analysis: Analysis) -> None:
    """Log one analysed report and each contradiction it found, as events with ids."""
    log.info(
        "report analysed",
        report=analysis.report.id,
        language=analysis.language,
        statements=len(analysis.statements),
        contradictions=len(analysis.contradictions),
        pid=os.getpid(),
    )
    for contradiction in analysis.contradictions:
        log.info(
            "contradiction found",
            report=contradiction.new.report_id,
            earlier=contradiction.earlier.report_id,
            kind=str(contradiction.kind),
            agency=contradiction.agency,
            topic=contradiction.topic,
            score=contradiction.score,
        )


def serve_worker(
    settings: Settings, results: Connection | None = None, parent: int | None = None
) -> None:
    """Run one analysis worker until SIGTERM or SIGINT, or until its service `parent` is gone."""
    from bot.entry.logs import configure_logging
    from bot.entry.service import build_pipeline, open_store

    configure_logging(settings.log_format)
    with contextlib.suppress(OSError, AttributeError):  # no `nice` here: run as is
        os.nice(WORKER_NICENESS)
    with heap.building():
        store = open_store(settings)
        pipeline = build_pipeline(settings, store, SystemClock())
    heap.settle()
    asyncio.run(_work(pipeline, results, parent))


def _reporter(
    results: Connection | None, stopping: asyncio.Event
) -> Callable[[Report, Analysis | None, float], None]:
    def report_outcome(report: Report, analysis: Analysis | None, seconds: float) -> None:
        if analysis is not None:
            log_analysis(analysis)
        if results is not None:
            try:
                results.send(analysed(report, analysis, seconds))
            except OSError:
                # The service is gone when its end of the pipe is: the worker stops too.
                stopping.set()

    return report_outcome


async def _work(pipeline: Pipeline, results: Connection | None, parent: int | None) -> None:
    stopping = asyncio.Event()
    # One report per claim: the workers share the backlog evenly, and a dead one strands one.
    analyser = Analyser(pipeline, stopping, _reporter(results, stopping), batch=1)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    log.info("analysis worker started", pid=os.getpid())
    if results is not None:
        with contextlib.suppress(OSError):
            results.send(Ready(os.getpid()))
    while not stopping.is_set():
        if parent is not None and os.getppid() != parent:
            log.warning("analysis worker stops: its service is gone", pid=os.getpid())
            break
        draining = asyncio.create_task(analyser.drain())
        stop = asyncio.create_task(stopping.wait())
        await asyncio.wait({draining, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not draining.done():
            # Stopping mid-analysis: the daemon thread dies with the process.
            draining.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await draining
            break
        error = draining.exception()
        if error is not None:
            log.error("analysis step failed", pid=os.getpid(), error=type(error).__name__)
        if error is not None or not draining.result():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), WORKER_POLL_SECONDS)
    log.info("analysis worker stopped", pid=os.getpid())


@dataclass
class _Slot:
    process: BaseProcess
    results: Connection
    started: float
    quick_deaths: int = 0
    ready: bool = False


class WorkerPool:
    """`size` worker processes started by the service, restarted when one dies."""

    def __init__(
        self,
        settings: Settings,
        size: int,
        on_result: Callable[[Analysed], None],
        on_restart: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.size = size
        self.on_result = on_result
        self.on_restart = on_restart
        # spawn, not fork: the service has threads (uvicorn, database pools, adapters).
        self._context = multiprocessing.get_context("spawn")
        self._slots: list[_Slot | None] = [None] * size
        self._due: dict[int, float] = {}
        self._quick: dict[int, int] = {}

    def start(self) -> None:
        for index in range(self.size):
            self._spawn(index, quick_deaths=0)

    def alive(self) -> int:
        """Worker processes running and ready to analyse (their start-up done)."""
        return sum(1 for s in self._slots if s is not None and s.ready and s.process.is_alive())

    def pids(self) -> list[int]:
        return [s.process.pid for s in self._slots if s is not None and s.process.pid]

    async def supervise(self, stopping: asyncio.Event) -> None:
        """Start a worker again when one exits, after a delay that grows if it keeps dying."""
        while not stopping.is_set():
            now = time.monotonic()
            for index, slot in enumerate(self._slots):
                if slot is not None and not slot.process.is_alive():
                    quick = slot.quick_deaths + 1 if now - slot.started < STABLE_SECONDS else 0
                    delay = RESTART_DELAYS[min(quick, len(RESTART_DELAYS) - 1)]
                    log.warning(
                        "analysis worker exited",
                        pid=slot.process.pid,
                        exitcode=slot.process.exitcode,
                        restart_in=delay,
                    )
                    self._close(slot)
                    self._slots[index] = None
                    self._due[index] = now + delay
                    self._quick[index] = quick
                if self._slots[index] is None and self._due.get(index, now) <= now:
                    self._spawn(index, quick_deaths=self._quick.get(index, 0))
                    self.on_restart()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), SUPERVISE_SECONDS)

    async def stop(self) -> None:
        """Ask every worker to stop, wait a little, then kill those still running."""
        running = [s for s in self._slots if s is not None]
        for slot in running:
            if slot.process.is_alive():
                slot.process.terminate()

        def join() -> None:
            deadline = time.monotonic() + STOP_SECONDS
            for slot in running:
                slot.process.join(max(deadline - time.monotonic(), 0))
                if slot.process.is_alive():
                    slot.process.kill()
                    slot.process.join(1)

        await anyio.to_thread.run_sync(join)
        for slot in running:
            self._close(slot)
        self._slots = [None] * self.size

    def _spawn(self, index: int, quick_deaths: int) -> None:
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=serve_worker,
            args=(self.settings, writer, os.getpid()),
            name=f"denialwatch-worker-{index}",
            daemon=True,
        )
        process.start()
        writer.close()  # only the worker writes: its exit closes the pipe
        slot = _Slot(process, reader, time.monotonic(), quick_deaths)
        asyncio.get_running_loop().add_reader(reader.fileno(), self._receive, slot)
        self._slots[index] = slot
        self._due.pop(index, None)
        log.info("analysis worker process started", worker=index, pid=process.pid)

    def _receive(self, slot: _Slot) -> None:
        try:
            while slot.results.poll():
                message = slot.results.recv()
                if isinstance(message, Ready):
                    slot.ready = True
                else:
                    self.on_result(message)
        except (EOFError, OSError):
            # The worker exited: stop watching its pipe; `supervise` starts another.
            asyncio.get_running_loop().remove_reader(slot.results.fileno())

    def _close(self, slot: _Slot) -> None:
        with contextlib.suppress(OSError, ValueError):
            asyncio.get_running_loop().remove_reader(slot.results.fileno())
        with contextlib.suppress(OSError):
            slot.results.close()
