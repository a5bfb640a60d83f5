"""Gaps below the highest row the claim index has read, and the index reading only them."""

from __future__ import annotations

from collections.abc import Sequence

from bot.app.claim_search import ClaimSearch
from bot.app.row_gaps import Gap, RowGaps
from bot.core.domain import Statement, StatementId
from bot.core.records import StatementText


def test_rows_skipped_in_a_read_are_gaps_and_rows_found_later_split_them() -> None:
    gaps = RowGaps()
    gaps.note(0, [1, 2, 5, 6, 9], seen=10.0)
    assert gaps.ranges() == [(2, 5), (6, 9)]
    assert gaps.settled(highest=9) == 2
    gaps.note(9, [12], seen=20.0)  # 10 and 11 were skipped after the last read
    assert gaps.ranges() == [(2, 5), (6, 9), (9, 12)]
    gaps.fill([3, 7, 8])
    # Row 4 is still missing (its gap keeps the time it was first seen); 7 and 8 closed
    # theirs.
    assert list(gaps) == [Gap(3, 5, 10.0), Gap(9, 12, 20.0)]
    gaps.close(cutoff=10.0)  # open since 10: taken as gone; the gap of 20 stays
    assert gaps.ranges() == [(9, 12)] and gaps.settled(highest=12) == 9
    gaps.close(cutoff=20.0)
    assert len(gaps) == 0 and gaps.settled(highest=12) == 12


def test_past_the_limit_the_lowest_gaps_merge_into_one() -> None:
    gaps = RowGaps(limit=3)
    gaps.note(0, [2, 4, 6, 8, 10], seen=1.0)  # gaps (0,2) (2,4) (4,6) (6,8) (8,10)
    assert gaps.ranges() == [(0, 6), (6, 8), (8, 10)]
    # A merged gap is read whole: the rows seen before come back with any late one,
    # split it, and what is left is merged again within the limit.
    gaps.fill([2, 4, 5])
    assert gaps.ranges() == [(0, 4), (6, 8), (8, 10)]


class LateCommits:
    """A statement source whose rows become visible in any order, as on PostgreSQL."""

    def __init__(self) -> None:
        self.visible: dict[int, StatementText] = {}
        self.rows_read = 0
        self.gap_reads = 0

    def commit(self, *rows: int) -> None:
        for row in rows:
            self.visible[row] = StatementText(
                row, f"s{row}", "Federal Police", "Clearview AI", f"statement {row}"
            )

    def statement_texts_after(self, row: int, limit: int) -> list[StatementText]:
        page = [self.visible[r] for r in sorted(self.visible) if r > row][:limit]
        self.rows_read += len(page)
        return page

    def statement_texts_within(
        self, ranges: Sequence[tuple[int, int]], after: int, limit: int
    ) -> list[StatementText]:
        self.gap_reads += 1
        page = [
            self.visible[r]
            for r in sorted(self.visible)
            if r > after and any(low < r < high for low, high in ranges)
        ][:limit]
        self.rows_read += len(page)
        return page

    def count_statements(self, upto_row: int) -> int:
        return sum(1 for r in self.visible if r <= upto_row)

    def statements_with_ids(self, ids: Sequence[StatementId]) -> list[Statement]:
        return []


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_late_commit_in_a_gap_is_indexed_and_rows_outside_gaps_are_not_read_again() -> None:
    source, clock = LateCommits(), Clock()
    source.commit(*range(1, 1001))
    source.visible.pop(500)  # row 500's transaction is still open
    search = ClaimSearch(source, monotonic=clock, settle_seconds=120)
    search.open()
    assert len(search) == 999
    source.rows_read = 0
    clock.now = 30
    source.commit(500, 1001)
    assert search.refresh() == 2
    # The new row and the late one: not the 999 rows read a moment ago.
    assert source.rows_read == 2
    assert len(search) == 1001
    source.rows_read = 0
    assert search.refresh() == 0 and source.rows_read == 0


def test_a_gap_open_past_the_settle_time_is_closed() -> None:
    source, clock = LateCommits(), Clock()
    source.commit(1, 2, 4)
    search = ClaimSearch(source, monotonic=clock, settle_seconds=120)
    search.open()
    clock.now = 121
    search.refresh()
    source.commit(3)  # committed after the gap closed: taken as gone
    source.rows_read = 0
    assert search.refresh() == 0 and source.rows_read == 0
    assert len(search) == 3


def test_with_no_settle_time_gaps_are_never_read() -> None:
    """SQLite: rows commit in their order, so a gap is a number nothing will fill."""
    source = LateCommits()
    source.commit(1, 2, 4)
    search = ClaimSearch(source, monotonic=Clock(), settle_seconds=0)
    search.open()
    source.commit(5, 7)
    assert search.refresh() == 2
    assert source.gap_reads == 0
