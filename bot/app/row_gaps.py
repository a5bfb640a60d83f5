"""Row numbers the claim index has not seen below the highest one it has: where a late
commit can still appear.

PostgreSQL numbers statements from a sequence when they are inserted, but transactions
commit in any order: a reader can see row 12 while row 11's transaction is still open.
Row 11 is then a gap, and only a gap can be filled later. So the index reads the rows
after the highest it has seen, plus the rows inside open gaps, instead of every row of
the last two minutes again (at 1M statements after a rebuild, every refresh for two
minutes read all of them). A gap is closed once it has been open for the settle time:
a transaction that took a row number and did not commit within it is taken as gone (a
rollback, or a row deleted since).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

MAX_GAPS = 1_000
"""Past this many open gaps the lowest are merged into one (read again whole): a store
with many deleted rows costs a bounded query, at worst what reading every row cost."""


@dataclass(frozen=True, order=True)
class Gap:
    """Rows strictly between `after` and `before` were missing when first looked at `seen`."""

    after: int
    before: int
    seen: float


class RowGaps:
    """The open gaps below the highest row read, in row order."""

    def __init__(self, gaps: Iterable[Gap] = (), *, limit: int = MAX_GAPS) -> None:
        self._gaps = sorted(gaps)
        self._limit = limit

    def __len__(self) -> int:
        return len(self._gaps)

    def __iter__(self) -> Iterator[Gap]:
        return iter(self._gaps)

    def ranges(self) -> list[tuple[int, int]]:
        """The open gaps as (after, before) row bounds, both exclusive."""
        return [(g.after, g.before) for g in self._gaps]

    def note(self, previous: int, rows: Sequence[int], seen: float) -> None:
        """Rows read in order after `previous`: every number skipped between them is a gap."""
        for row in rows:
            if row > previous + 1:
                self._gaps.append(Gap(previous, row, seen))
            previous = row
        self._bound()

    def fill(self, rows: Sequence[int]) -> None:
        """Rows found inside open gaps since: each splits its gap around itself."""
        if not rows:
            return
        found = sorted(rows)
        kept: list[Gap] = []
        for gap in self._gaps:
            inside = found[bisect_right(found, gap.after) : bisect_left(found, gap.before)]
            if not inside:
                kept.append(gap)
                continue
            bounds = [gap.after, *inside, gap.before]
            kept.extend(
                Gap(low, high, gap.seen) for low, high in pairwise(bounds) if high > low + 1
            )
        self._gaps = kept
        self._bound()

    def close(self, cutoff: float) -> None:
        """Close every gap first seen at or before `cutoff`: its rows are taken as gone."""
        self._gaps = [g for g in self._gaps if g.seen > cutoff]

    def settled(self, highest: int) -> int:
        """The highest row at or below which nothing is missing any more."""
        return self._gaps[0].after if self._gaps else highest

    def _bound(self) -> None:
        if len(self._gaps) <= self._limit:
            return
        self._gaps.sort()
        merged = self._gaps[: len(self._gaps) - self._limit + 1]
        whole = Gap(merged[0].after, merged[-1].before, max(g.seen for g in merged))
        self._gaps = [whole, *self._gaps[len(merged) :]]
