"""Timeline geometry: where each statement's mark sits on a horizontal time axis.

Pure arithmetic over dates and polarities; the evidence pages draw the result as SVG.
Marks that would overlap are stacked upwards, so two statements on the same day stay
two marks a reader can tell apart (and follow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.core.domain import Polarity, Statement, StatementRole

MARK_GAP = 14.0
"""Closest two marks may sit on one row before the later one moves up a row."""
ROW = 14.0
MAX_TICKS = 8


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One statement to place: the fragment its mark links to, its date and side."""

    anchor: str
    on: date
    polarity: Polarity


@dataclass(frozen=True, slots=True)
class TimelineMark:
    anchor: str
    on: date
    polarity: Polarity
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class TimelineTick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Timeline:
    width: float
    height: float
    axis_y: float
    left: float
    right: float
    marks: tuple[TimelineMark, ...]
    ticks: tuple[TimelineTick, ...]

    @property
    def denials(self) -> int:
        return sum(1 for m in self.marks if m.polarity is Polarity.DENIES)

    @property
    def affirmations(self) -> int:
        return sum(1 for m in self.marks if m.polarity is Polarity.AFFIRMS)


def report_stances(statements: Sequence[Statement]) -> list[Statement]:
    """Return each report's own stance on the pair, oldest first.

    A report counts once: its primary statement, else its strongest minor one.
    Retold statements recount an earlier report's words and would draw that
    statement twice, so they are no mark of their own.
    """
    best: dict[str, Statement] = {}
    for statement in statements:
        if statement.role is StatementRole.RETOLD:
            continue
        held = best.get(statement.report_id)
        if held is None or _rank(statement) > _rank(held):
            best[statement.report_id] = statement
    return sorted(best.values(), key=lambda s: (s.published, s.sequence, s.report_id))


def _rank(statement: Statement) -> tuple[int, float]:
    return (1 if statement.role is StatementRole.PRIMARY else 0, statement.confidence)


def lay_out_timeline(
    entries: Sequence[TimelineEntry],
    *,
    width: float = 720.0,
    margin: float = 36.0,
    base_height: float = 64.0,
) -> Timeline:
    """Place entries on an axis from the first date to the last, stacking near neighbours."""
    ordered = sorted(entries, key=lambda e: e.on)
    left, right = margin, width - margin
    if ordered:
        first, last = ordered[0].on, ordered[-1].on
    else:
        first = last = date(1970, 1, 1)
    span = (last - first).days

    def x_of(day: date) -> float:
        if span == 0:
            return (left + right) / 2
        return left + (day - first).days / span * (right - left)

    rows: list[list[float]] = []
    placed: list[tuple[TimelineEntry, float, int]] = []
    for entry in ordered:
        x = x_of(entry.on)
        level = next(
            (i for i, row in enumerate(rows) if all(abs(x - other) >= MARK_GAP for other in row)),
            len(rows),
        )
        if level == len(rows):
            rows.append([])
        rows[level].append(x)
        placed.append((entry, x, level))
    height = base_height + max(len(rows) - 1, 0) * ROW
    axis_y = height - 28.0
    marks = tuple(
        TimelineMark(entry.anchor, entry.on, entry.polarity, round(x, 1), axis_y - 12 - level * ROW)
        for entry, x, level in placed
    )
    ticks = tuple(
        TimelineTick(round(x_of(day), 1), label) for day, label in _tick_dates(first, last)
    )
    return Timeline(width, height, axis_y, left, right, marks, ticks)


def _tick_dates(first: date, last: date) -> list[tuple[date, str]]:
    """Year, month or end-point ticks, at most MAX_TICKS, labelled in ISO form."""
    span = (last - first).days
    if span == 0:
        return [(first, first.isoformat())]
    if span > 2 * 365:
        years = list(range(first.year + (first != date(first.year, 1, 1)), last.year + 1))
        step = max(1, -(-len(years) // MAX_TICKS))
        return [(date(y, 1, 1), str(y)) for y in years[::step]]
    if span > 62:
        months: list[date] = []
        y, m = (first.year, first.month) if first.day == 1 else _next_month(first.year, first.month)
        while date(y, m, 1) <= last:
            months.append(date(y, m, 1))
            y, m = _next_month(y, m)
        step = max(1, -(-len(months) // MAX_TICKS))
        return [(d, d.isoformat()[:7]) for d in months[::step]]
    return [(first, first.isoformat()), (last, last.isoformat())]


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)
