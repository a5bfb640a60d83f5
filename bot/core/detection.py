"""Decide which pairs of statements contradict each other."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache

from bot.core.domain import (
    Contradiction,
    ContradictionKind,
    Decision,
    Polarity,
    Reason,
    ReportId,
    Statement,
    StatementId,
    StatementRole,
)
from bot.core.keys import name_key
from bot.core.organisations import same_agency
from bot.core.proposition import MATCH, Proposition, similarity, specific_shared
from bot.core.proposition import reason as reason_line
from bot.core.records import AlikeStatements

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


def statement_wording(statements: Iterable[Statement]) -> dict[StatementId, tuple[str, ...]]:
    """Map each statement of one report to the wording of its stance, as it is stored."""
    statements = list(statements)
    wording = stance_wording(statements)
    return {s.id: wording.get(stance_of(s), ()) for s in statements}


AlikeKey = tuple[str, str, str, str, tuple[str, ...]]
"""What makes stored statements alike: agency, topic, polarity, proposition, wording."""


def alike_key(statement: Statement, wording: Sequence[str]) -> AlikeKey:
    return (
        statement.agency,
        statement.topic,
        statement.polarity.value,
        statement.proposition,
        tuple(wording),
    )


def alike_digest(statement: Statement, wording: Sequence[str]) -> str:
    """A short stable name for a statement's alike group, for a database column."""
    agency, topic, polarity, proposition, words = alike_key(statement, wording)
    text = "\x1f".join((agency, topic, polarity, proposition, "\x1e".join(words)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def group_alike(
    stored: Iterable[Statement], excluding: Collection[ReportId] = ()
) -> list[AlikeStatements]:
    """Group stored primary statements alike, each group with its ends and its size.

    The reference the stores follow (`StatementRepository.alike_statements`): groups
    come in the record order of their earliest statement; statements of `excluding`
    reports are left out, so a report is never paired with itself.
    """
    kept = [s for s in stored if s.role is not StatementRole.RETOLD]
    wording = stance_wording(kept)
    groups: dict[AlikeKey, list[Statement]] = {}
    for s in sorted(kept, key=record_order):
        if s.role is StatementRole.PRIMARY and s.report_id not in excluding:
            words = wording.get(stance_of(s), ())
            groups.setdefault(alike_key(s, words), []).append(s)
    return [AlikeStatements(g[0], g[-1], len(g), key[4]) for key, g in groups.items()]


def contradictions_among(
    new: Iterable[Statement],
    stored: Sequence[AlikeStatements],
    min_score: float = MIN_SCORE,
    watched_topics: frozenset[str] = frozenset(),
) -> tuple[list[Contradiction], list[Decision]]:
    """Pair each new primary statement with stored groups of alike primaries on the other side.

    Candidates are the groups of the same agency (canonical key); a pair needs
    opposite polarity and propositions that match. Alike statements match alike, so
    each group is matched once, through its earliest statement, and a new statement
    is paired with at most the earliest, the latest and the best-matching ends of the
    groups it contradicts (`bounded`); the rest are counted in `Contradiction.others`.
    The pair is ordered by publication date, not by arrival, so the result does not
    depend on the order in which reports are processed.
    """
    found: dict[tuple[str, str], Contradiction] = {}
    decisions: list[Decision] = []
    new = list(new)
    speaking = {s.agency for s in new if s.role is StatementRole.PRIMARY}
    groups = [g for g in stored if any(same_agency(g.earliest.agency, a) for a in speaking)]
    own = stance_wording(new)
    for statement in new:
        if statement.role is not StatementRole.PRIMARY:
            continue
        same_pair: list[tuple[Statement, float, tuple[str, ...]]] = []
        opposite: list[tuple[Statement, float, tuple[str, ...]]] = []
        total = 0
        for group in groups:
            first = group.earliest
            if not same_agency(first.agency, statement.agency):
                continue
            wording = {stance_of(first): group.wording}
            if stance_of(statement) in own:
                wording[stance_of(statement)] = own[stance_of(statement)]
            value, shared = match(statement, first, watched_topics, wording)
            if value < MATCH:
                continue
            same_pair.append((first, value, shared))
            if first.polarity is not statement.polarity:
                total += group.count
                ends = {id(s): s for s in (first, group.latest)}  # in record order
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
