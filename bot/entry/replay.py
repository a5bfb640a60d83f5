"""Replay a stream of reports through the live pipeline against a fresh store."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from bot.app.clock import SystemClock
from bot.app.pipeline import Pipeline
from bot.app.ports import Store
from bot.core.domain import Contradiction, Report, Watchlist
from bot.core.language.resources import load_lexicons, load_vocabulary
from storage.memory_store import MemoryStore


def replay(
    reports: Sequence[Report],
    watchlist: Watchlist,
    on_progress: Callable[[int], None] | None = None,
    store: Store | None = None,
) -> Iterator[Contradiction]:
    """Yield every contradiction found, processing reports by date (ties: given order).

    The store is a fresh in-memory one unless another (empty) store is given.
    """
    store = MemoryStore() if store is None else store
    store.save_watchlist(watchlist)
    pipeline = Pipeline(store, SystemClock(), load_lexicons(), load_vocabulary())
    ordered = sorted(enumerate(reports), key=lambda item: (item[1].published, item[0]))
    for done, (_, report) in enumerate(ordered, start=1):
        analysis = pipeline.ingest(report)
        if analysis is not None:
            yield from analysis.contradictions
        if on_progress:
            on_progress(done)
