"""Search stored statements with the shared matcher, from a snapshot kept between runs.

The store is the source of truth; the index is a cache of it. At start the newest
snapshot is mapped (when it belongs to this store and is whole) and caught up with the
rows stored after it; otherwise the index is built from the store and a snapshot is
written. Every refresh reads only the rows after the last one seen, and every hit is
read back from the store, so a statement deleted since it was indexed is never shown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog

from bot.app.ports import IndexSnapshot, IndexSnapshots
from bot.app.row_gaps import Gap, RowGaps
from bot.core.domain import Statement, StatementId
from bot.core.matching import FORMAT, ClaimDoc, ClaimIndex, CorruptIndex
from bot.core.records import StatementText

log = structlog.get_logger("denialwatch.search")

PAGE = 20_000
"""Rows read from the store at a time while building or catching up."""
SETTLE_SECONDS = 120.0
"""How long a gap below the highest row read stays open: a transaction that took a
lower row number and commits later than a higher one (PostgreSQL) has that long to do
so and is still picked up (`bot.app.row_gaps`)."""
GAP_QUERY = 200
"""Gaps read again in one query."""
SNAPSHOT_EVERY = 20_000
"""Statements indexed since the last snapshot before a new one is written."""


def statement_text(statement: Statement | StatementText) -> str:
    return f"{statement.agency} {statement.topic} {statement.quote}"


class StatementSource(Protocol):
    """What the claim search reads of the store (part of `StatementRepository`)."""

    def statement_texts_after(self, row: int, limit: int) -> list[StatementText]: ...

    def statement_texts_within(
        self, ranges: Sequence[tuple[int, int]], after: int, limit: int
    ) -> list[StatementText]: ...

    def count_statements(self, upto_row: int) -> int: ...

    def statements_with_ids(self, ids: Sequence[StatementId]) -> list[Statement]: ...


class ClaimSearch:
    """An index over the stored statements, caught up by row; thread-safe."""

    def __init__(
        self,
        store: StatementSource,
        snapshots: IndexSnapshots | None = None,
        *,
        database: str = "",
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        settle_seconds: float = SETTLE_SECONDS,
        snapshot_every: int = SNAPSHOT_EVERY,
    ) -> None:
        self._store = store
        self._snapshots = snapshots
        self._database = database
        self._monotonic = monotonic
        self._wall = wall
        self._settle_seconds = settle_seconds
        self._snapshot_every = snapshot_every
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._index = ClaimIndex()
        self._settled = 0
        """Every stored row at or below this one is indexed (or deleted since)."""
        self._highest = 0
        """The highest row read; rows below it not read yet are in `_gaps`."""
        self._gaps = RowGaps()
        self._unsaved = 0
        self._rebuilt_upto = 0
        self._saved_upto = 0
        """The settled row of the last snapshot written."""
        self._rebuild = True
        self.opened = "empty"
        """How the index was opened: `snapshot`, `rebuilt` or `empty` (not yet)."""

    def __len__(self) -> int:
        return len(self._index)

    # -- opening and refreshing -------------------------------------------------------

    def open(self) -> str:
        """Map the newest valid snapshot and catch it up, or build from the store.

        Returns `snapshot` or `rebuilt`. A snapshot of another store, of another
        format, unreadable, or whose rows the store no longer holds as it did is
        never trusted: the index is built from the store instead.
        """
        loaded = self._load_snapshot()
        if loaded is not None:
            snapshot, index = loaded
            with self._lock:
                self._index = index
                self._settled = snapshot.settled
                self._highest = max(snapshot.read_upto, snapshot.settled)
                self._gaps = RowGaps(self._gaps_from_wall(snapshot.gaps))
                self._saved_upto = snapshot.settled
                self._rebuild = False
            self.opened = "snapshot"
            self.refresh()
            # A snapshot written while gaps were open (e.g. by a first start that stopped
            # at once): once they close, a refresh writes one that needs no gap read.
            self._rebuilt_upto = self._highest
        else:
            self.rebuild()
            self.opened = "rebuilt"
        return self.opened

    def _load_snapshot(self) -> tuple[IndexSnapshot, ClaimIndex] | None:
        if self._snapshots is None:
            return None
        try:
            snapshot = self._snapshots.load()
        except CorruptIndex as error:
            log.warning("claim index snapshot unreadable, rebuilding", reason=str(error))
            return None
        if snapshot is None:
            return None
        if snapshot.format != FORMAT or snapshot.database != self._database:
            log.info("claim index snapshot of another format or store, rebuilding")
            return None
        held = self._store.count_statements(snapshot.settled)
        if held != snapshot.count:
            log.info(
                "claim index snapshot stale, rebuilding",
                upto_row=snapshot.settled,
                stored=held,
                in_snapshot=snapshot.count,
            )
            return None
        try:
            return snapshot, ClaimIndex.from_arrays(snapshot.arrays)
        except CorruptIndex as error:
            log.warning("claim index snapshot corrupt, rebuilding", reason=str(error))
            return None

    def rebuild(self) -> None:
        """Build the index from every stored statement, then keep a snapshot of it."""
        index = ClaimIndex()
        gaps = RowGaps()
        last = 0
        while True:
            page = self._store.statement_texts_after(last, PAGE)
            if not page:
                break
            index.add_many(_docs(page))
            gaps.note(last, [s.row for s in page], self._monotonic())
            last = page[-1].row
        with self._lock:
            self._index = index
            self._settled = 0
            self._highest = last
            self._gaps = gaps
            self._rebuild = False
            self._unsaved = len(index)
            self._rebuilt_upto = last
        self._close_gaps()
        # Written at once, with the gaps still open; the refresh that closes them
        # writes a snapshot that needs no gap read at the next start.
        self.save()

    def refresh(self) -> int:
        """Index the statements stored since the last look, and any that filled a gap;
        return how many were new.

        Runs one at a time; the index answers searches meanwhile, blocked only while a
        page of new statements is added.
        """
        with self._refreshing:
            if self._rebuild:
                self.rebuild()
                return len(self._index)
            added = 0
            now = self._monotonic()
            after = self._highest
            while True:
                page = self._store.statement_texts_after(after, PAGE)
                if not page:
                    break
                added += self._add_page(page)
                self._gaps.note(after, [s.row for s in page], now)
                after = page[-1].row
            self._highest = after
            if self._settle_seconds > 0:
                # With no settle time (SQLite) a gap is a deleted or never-used number:
                # nothing can fill it, and a read would scan rows for nothing.
                added += self._read_gaps()
            self._unsaved += added
            self._close_gaps()
            # A snapshot with gaps open would make the next start read them again.
            caught_up = self._settled >= self._rebuilt_upto
            behind = self._saved_upto < self._rebuilt_upto or self._unsaved >= self._snapshot_every
            if caught_up and behind:
                self.save()
            return added

    def _add_page(self, page: Sequence[StatementText]) -> int:
        with self._lock:
            fresh = [s for s in page if s.id not in self._index]
            self._index.add_many(_docs(fresh))
        return len(fresh)

    def _read_gaps(self) -> int:
        """Read the rows inside open gaps (late commits), index them, split the gaps."""
        ranges = self._gaps.ranges()
        added = 0
        found: list[int] = []
        for start in range(0, len(ranges), GAP_QUERY):
            batch = ranges[start : start + GAP_QUERY]
            after = 0
            while True:
                page = self._store.statement_texts_within(batch, after, PAGE)
                if not page:
                    break
                added += self._add_page(page)
                found.extend(s.row for s in page)
                after = page[-1].row
        self._gaps.fill(found)
        return added

    def _close_gaps(self) -> None:
        """Close gaps open for the settle time; move the settled row up to the lowest open one."""
        self._gaps.close(self._monotonic() - self._settle_seconds)
        self._settled = max(self._settled, self._gaps.settled(self._highest))

    def _gaps_to_wall(self) -> tuple[tuple[int, int, float], ...]:
        """Open gaps with wall-clock times, for a snapshot another process reads."""
        offset = self._wall() - self._monotonic()
        return tuple((g.after, g.before, g.seen + offset) for g in self._gaps)

    def _gaps_from_wall(self, gaps: Sequence[tuple[int, int, float]]) -> list[Gap]:
        offset = self._wall() - self._monotonic()
        return [Gap(after, before, seen - offset) for after, before, seen in gaps]

    def save(self) -> bool:
        """Write a snapshot of the index as it is; False when none was written."""
        if self._snapshots is None:
            return False
        settled = self._settled
        count = self._store.count_statements(settled)
        with self._lock:
            snapshot_size = len(self._index)
            snapshot = IndexSnapshot(
                arrays=self._index.arrays(),
                settled=settled,
                count=count,
                database=self._database,
                format=FORMAT,
                read_upto=self._highest,
                gaps=self._gaps_to_wall(),
            )
        try:
            written = self._snapshots.save(snapshot)
        except OSError as error:
            log.warning("claim index snapshot not written", reason=str(error))
            return False
        if written:
            self._unsaved = 0
            self._saved_upto = settled
            # Map what was written: the pages are shared with the other processes.
            reopened = self._snapshots.load()
            if reopened is not None:
                with self._lock:
                    if len(self._index) == snapshot_size:
                        self._index = ClaimIndex.from_arrays(reopened.arrays)
        return written

    def add(self, statements: Sequence[Statement]) -> None:
        """Index statements this process just stored, if the index is free at once.

        Called on the event loop: it never waits for a refresh or a snapshot to finish
        (the next refresh picks the statements up from the store instead).
        """
        if not statements or not self._lock.acquire(blocking=False):
            return
        try:
            fresh = [s for s in statements if s.id not in self._index]
            self._index.add_many(
                ClaimDoc(s.id, statement_text(s), s.agency, s.topic) for s in fresh
            )
        finally:
            self._lock.release()

    # -- reading ----------------------------------------------------------------------

    def search(self, query: str, limit: int = 10) -> list[tuple[Statement, float]]:
        """The stored statements that best match a query, read back from the store."""
        with self._lock:
            # A few more than asked: some may have been deleted from the store since.
            hits = self._index.search(query, k=limit + 5)
        scores = {hit.doc_id: hit.score for hit in hits}
        found = self._store.statements_with_ids([StatementId(hit.doc_id) for hit in hits])
        return [(statement, scores[statement.id]) for statement in found][:limit]


def _docs(page: Sequence[StatementText]) -> list[ClaimDoc]:
    return [ClaimDoc(s.id, statement_text(s), s.agency, s.topic) for s in page]
