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
from bot.core.domain import Statement, StatementId
from bot.core.matching import FORMAT, ClaimDoc, ClaimIndex, CorruptIndex
from bot.core.records import StatementText

log = structlog.get_logger("denialwatch.search")

PAGE = 20_000
"""Rows read from the store at a time while building or catching up."""
SETTLE_SECONDS = 120.0
"""A row is counted as settled once it has been seen this long ago: a transaction
that took a lower row number and commits later than a higher one (PostgreSQL) has
that long to do so and is still picked up."""
SNAPSHOT_EVERY = 20_000
"""Statements indexed since the last snapshot before a new one is written."""


def statement_text(statement: Statement | StatementText) -> str:
    return f"{statement.agency} {statement.topic} {statement.quote}"


class StatementSource(Protocol):
    """What the claim search reads of the store (part of `StatementRepository`)."""

    def statement_texts_after(self, row: int, limit: int) -> list[StatementText]: ...

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
        settle_seconds: float = SETTLE_SECONDS,
        snapshot_every: int = SNAPSHOT_EVERY,
    ) -> None:
        self._store = store
        self._snapshots = snapshots
        self._database = database
        self._monotonic = monotonic
        self._settle_seconds = settle_seconds
        self._snapshot_every = snapshot_every
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._index = ClaimIndex()
        self._settled = 0
        self._seen: list[tuple[float, int]] = []
        """(when, highest row) of each read of the store, until it settles."""
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
                self._saved_upto = snapshot.settled
                self._rebuild = False
            self.opened = "snapshot"
            self.refresh()
            # Rows past the snapshot's settled one were read again (a snapshot written
            # soon after they were stored, e.g. by a first start that stopped at once):
            # once they settle, a refresh writes a snapshot that no start reads again.
            with self._lock:
                self._rebuilt_upto = max((row for _, row in self._seen), default=0)
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
        last = 0
        seen: list[tuple[float, int]] = []
        while True:
            page = self._store.statement_texts_after(last, PAGE)
            if not page:
                break
            index.add_many(_docs(page))
            last = page[-1].row
            seen.append((self._monotonic(), last))
        with self._lock:
            self._index = index
            self._settled = 0
            self._seen = seen
            self._rebuild = False
            self._unsaved = len(index)
            self._rebuilt_upto = last
        self._settle()
        # Written at once, though rows read in the last SETTLE_SECONDS are not settled
        # yet (the next start reads them again but does not re-index them); the
        # refresh that settles them writes a better one.
        self.save()

    def refresh(self) -> int:
        """Index the statements stored since the last look; return how many were new.

        Runs one at a time; the index answers searches meanwhile, blocked only while a
        page of new statements is added.
        """
        with self._refreshing:
            if self._rebuild:
                self.rebuild()
                return len(self._index)
            added = 0
            after = self._settled
            highest = after
            while True:
                page = self._store.statement_texts_after(after, PAGE)
                if not page:
                    break
                with self._lock:
                    fresh = [s for s in page if s.id not in self._index]
                    self._index.add_many(_docs(fresh))
                added += len(fresh)
                after = highest = page[-1].row
            self._seen.append((self._monotonic(), highest))
            self._unsaved += added
            self._settle()
            # A snapshot whose rows have not settled would make the next start re-read them.
            caught_up = self._settled >= self._rebuilt_upto
            behind = self._saved_upto < self._rebuilt_upto or self._unsaved >= self._snapshot_every
            if caught_up and behind:
                self.save()
            return added

    def _settle(self) -> None:
        """Count as settled every row at or below the highest seen SETTLE_SECONDS ago."""
        cutoff = self._monotonic() - self._settle_seconds
        old = [row for when, row in self._seen if when <= cutoff]
        if not old:
            return
        settled = max(old)
        self._seen = [(when, row) for when, row in self._seen if when > cutoff]
        if settled > self._settled:
            self._settled = settled

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
