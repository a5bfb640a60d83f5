"""Decide which pairs of statements contradict each other."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache

from bot.core.domain import (
    Contradiction,
    ContradictionKind,
    Decision,
    Polarity,
    Reason,
    Statement,
    StatementRole,
)
from bot.core.keys import name_key
from bot.core.organisations import same_agency
from bot.core.proposition import MATCH, Proposition, similarity, specific_shared
from bot.core.proposition import reason as reason_line

MIN_SCORE = 0.4
MAX_PAIRED = 3
"""Earlier statements one new statement is paired with at most (earliest, latest, best)."""
TOPIC_MATCH = 0.8
OPEN_TO_WATCHED = 0.85
"""Discount on the match of a statement about a watched topic with one about no topic."""
"""Match value of two statements about the same watched topic."""


def record_order(statement: Statement) -> tuple[date, int, str]:
    """The order of the record: publication date; ties go to the report processed first."""
    return (statement.published, statement.sequence, statement.report_id)


def comes_before(a: Statement, b: Statement) -> bool:
    """Say whether `a` stands before `b` on the record (`record_order`)."""
    return record_order(a) < record_order(b)


def match(
    new: Statement,
    earlier: Statement,
    watched: frozenset[str] = frozenset(),
    wording: Mapping[Stance, Sequence[str]] | None = None,
) -> tuple[float, tuple[str, ...]]:
    """Return how well two statements' propositions match, and the keys they share.

    The same watched topic matches outright; otherwise the propositions must be the
    same conduct (`bot.core.proposition.similarity`), so "used X" and "used Y" by one
    agency stay apart. `wording` gives, by stance (`stance_of`), every proposition its
    report states the same stance in (`stance_wording`): a report says it in a headline
    and again in a long sentence, and the closest pair of wordings decides.
    """
    same_topic = name_key(new.topic) == name_key(earlier.topic)
    if not same_topic and {name_key(new.topic), name_key(earlier.topic)} <= watched:
        return 0.0, ()  # two watched practices the newsroom keeps apart
    if not new.proposition or not earlier.proposition:
        return (1.0, ()) if same_topic else (0.0, ())
    value, shared = _similar(new.proposition, earlier.proposition)
    wording = wording or {}
    for a in wording.get(stance_of(new), ()):
        for b in wording.get(stance_of(earlier), ()):
            if (a, b) == (new.proposition, earlier.proposition):
                continue
            other, keys = _similar(a, b)
            # Another wording counts when it shares two things, not one concept alone:
            # a short headline shares "phones" with any phone tool.
            if other > value and len(specific_shared(_parsed(a), _parsed(b))) >= 2:
                value, shared = other, keys
    if same_topic:
        return max(value, TOPIC_MATCH), shared
    if watched.intersection((name_key(new.topic), name_key(earlier.topic))):
        # One side was recognised as a watched practice and the other was not: the
        # wordings must agree more closely than two open propositions.
        return round(value * OPEN_TO_WATCHED, 3), shared
    return value, shared


@lru_cache(maxsize=1 << 16)
def _similar(a: str, b: str) -> tuple[float, tuple[str, ...]]:
    """The similarity of two stored propositions, once per pair of wordings: a story
    retold a thousand times meets the same wordings again and again."""
    return similarity(_parsed(a), _parsed(b))


@lru_cache(maxsize=1 << 14)
def _parsed(normal: str) -> Proposition:
    """A stored proposition, parsed once: the same statements meet many candidates."""
    return Proposition.parse(normal)


Stance = tuple[str, str, str, Polarity]
"""A report's stance on one agency and topic: (report, agency key, topic key, polarity)."""


def stance_of(statement: Statement) -> Stance:
    return (
        statement.report_id,
        name_key(statement.agency),
        name_key(statement.topic),
        statement.polarity,
    )


def stance_wording(statements: Iterable[Statement]) -> dict[Stance, tuple[str, ...]]:
    """Map each stance to the propositions its report states it in.

    A report's primary statement and its minor ones of the same agency, topic and
    polarity say one thing in several sentences.
    """
    grouped: dict[Stance, dict[str, None]] = {}
    for s in statements:
        if s.role is not StatementRole.RETOLD and s.proposition:
            grouped.setdefault(stance_of(s), {})[s.proposition] = None
    return {stance: tuple(wordings) for stance, wordings in grouped.items()}


def score(new: Statement, earlier: Statement, matched: float = 1.0) -> float:
    confidence = (new.confidence + earlier.confidence) / 2
    return round(confidence * (0.5 + 0.5 * matched), 3)


def find_contradictions(
    new: Iterable[Statement],
    stored: Sequence[Statement],
    min_score: float = MIN_SCORE,
    watched_topics: frozenset[str] = frozenset(),
) -> tuple[list[Contradiction], list[Decision]]:
    """Pair each new primary statement with stored primaries that take the other side.

    Candidates are the stored statements of the same agency (canonical key); a pair
    needs opposite polarity and propositions that match. The pair is ordered by
    publication date, not by arrival, so the result does not depend on the order in
    which reports are processed.
    """
    found: dict[tuple[str, str], Contradiction] = {}
    decisions: list[Decision] = []
    new = list(new)
    speaking = {s.agency for s in new if s.role is StatementRole.PRIMARY}
    stored = [
        s
        for s in stored
        if s.role is not StatementRole.RETOLD and any(same_agency(s.agency, a) for a in speaking)
    ]
    wording = stance_wording([*stored, *new])
    # Statements alike in agency, topic, polarity and wording match alike: a story
    # retold a thousand times is grouped once and matched once per wording.
    alike: dict[tuple[object, ...], list[Statement]] = {}
    for s in sorted(stored, key=record_order):
        if s.role is StatementRole.PRIMARY:
            sort = (s.agency, s.topic, s.polarity, s.proposition, wording.get(stance_of(s)))
            alike.setdefault(sort, []).append(s)
    reports_of = {sort: {s.report_id for s in group} for sort, group in alike.items()}
    for statement in new:
        if statement.role is not StatementRole.PRIMARY:
            continue
        same_pair: list[tuple[Statement, float, tuple[str, ...]]] = []
        opposite: list[tuple[Statement, float, tuple[str, ...]]] = []
        total = 0
        for kind_of, everyone in alike.items():
            if not same_agency(everyone[0].agency, statement.agency):
                continue
            group = everyone
            if statement.report_id in reports_of[kind_of]:
                group = [s for s in everyone if s.report_id != statement.report_id]
                if not group:
                    continue
            value, shared = match(statement, group[0], watched_topics, wording)
            if value < MATCH:
                continue
            same_pair.append((group[0], value, shared))
            if group[0].polarity is not statement.polarity:
                total += len(group)
                ends = {id(s): s for s in (group[0], group[-1])}  # in record order
                opposite.extend((s, value, shared) for s in ends.values())
        if not opposite:
            reason = Reason.SAME_POLARITY if same_pair else Reason.NO_EARLIER
            decisions.append(Decision(reason, "", statement.agency, statement.topic))
            continue
        chosen = bounded(opposite)
        others = total - len(chosen)
        for other, matched_value, shared in chosen:
            later, earlier = (
                (statement, other) if comes_before(other, statement) else (other, statement)
            )
            value = score(later, earlier, matched_value)
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
            pair = Contradiction(
                new=later,
                earlier=earlier,
                kind=kind,
                score=value,
                why=reason_line(shared),
                others=others,
            )
            # A report naming one body three ways ("the Belgian police", "the Federal
            # Police") contradicts an earlier statement once: with its best match.
            key = (statement.report_id, other.id)
            if key not in found or value > found[key].score:
                found[key] = pair
    return list(found.values()), decisions


def bounded(
    opposite: Sequence[tuple[Statement, float, tuple[str, ...]]],
) -> list[tuple[Statement, float, tuple[str, ...]]]:
    """Keep at most three of the statements a new one contradicts.

    The earliest, the latest and the best-matching: enough for an editor to see the
    story, and work per report stays constant however long a pair's history grows.
    """
    if len(opposite) <= MAX_PAIRED:
        return list(opposite)
    by_date = sorted(opposite, key=lambda e: record_order(e[0]))
    best = max(opposite, key=lambda e: e[1])
    kept: list[tuple[Statement, float, tuple[str, ...]]] = []
    for entry in (by_date[0], by_date[-1], best):
        if all(entry[0].id != k[0].id for k in kept):
            kept.append(entry)
    return kept


def why_line(contradiction: Contradiction) -> str:
    """One line on why two statements were paired: the concepts they share."""
    shared = contradiction.why or contradiction.topic
    line = f"Matched on: {shared} (same agency, opposite sides)"
    if contradiction.others:
        line += f"; {contradiction.others} more statement(s) alike on the record"
    return line
