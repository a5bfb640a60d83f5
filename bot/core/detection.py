"""Decide which pairs of statements contradict each other."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core.domain import (
    Contradiction,
    ContradictionKind,
    Decision,
    Polarity,
    Reason,
    Statement,
    StatementRole,
)

MIN_SCORE = 0.4


def comes_before(a: Statement, b: Statement) -> bool:
    """Order statements by publication date; ties go to the report processed first."""
    return (a.published, a.sequence, a.report_id) < (b.published, b.sequence, b.report_id)


def score(new: Statement, earlier: Statement) -> float:
    return round((new.confidence + earlier.confidence) / 2, 3)


def find_contradictions(
    new: Iterable[Statement], stored: Sequence[Statement], min_score: float = MIN_SCORE
) -> tuple[list[Contradiction], list[Decision]]:
    """Pair each new primary statement with stored primaries that take the other side.

    The pair is ordered by publication date, not by arrival, so the result does not
    depend on the order in which reports are processed.
    """
    found: list[Contradiction] = []
    decisions: list[Decision] = []
    for statement in new:
        if statement.role is not StatementRole.PRIMARY:
            continue
        same_pair = [
            s
            for s in stored
            if s.role is StatementRole.PRIMARY
            and s.agency == statement.agency
            and s.topic == statement.topic
        ]
        opposite = [
            s
            for s in same_pair
            if s.polarity is not statement.polarity and s.report_id != statement.report_id
        ]
        if not opposite:
            reason = Reason.SAME_POLARITY if same_pair else Reason.NO_EARLIER
            decisions.append(Decision(reason, "", statement.agency, statement.topic))
            continue
        for other in opposite:
            later, earlier = (
                (statement, other) if comes_before(other, statement) else (other, statement)
            )
            value = score(later, earlier)
            if value < min_score:
                decisions.append(
                    Decision(Reason.BELOW_SCORE, f"{value:.2f}", later.agency, later.topic)
                )
                continue
            kind = (
                ContradictionKind.DENIAL_CONTRADICTED
                if earlier.polarity is Polarity.DENIES
                else ContradictionKind.DENIAL_DISPUTES_RECORD
            )
            found.append(Contradiction(new=later, earlier=earlier, kind=kind, score=value))
    return found, decisions
