"""Read statements (agency, topic, polarity) out of a report."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.domain import (
    AgencyName,
    Decision,
    Polarity,
    Reason,
    Report,
    ReportId,
    Statement,
    StatementRole,
    TopicName,
    Watchlist,
)
from bot.core.language.detect import LanguageGuesser
from bot.core.language.lexicon import Lexicon, Phrase
from bot.core.language.text import split_sentences, tokens, word_pairs
from bot.core.language.vocabulary import Vocabulary
from bot.core.mentions import AgencyFinder, Mention, TopicFinder, Words, report_countries

_CLAUSE_SPLIT = re.compile(r"\s*[,;:()]\s*|\s+-\s+")
TITLE_WEIGHT = 2.0
NEAR_FORCE = 2
_FORCES = frozenset(
    f"#{c}"
    for c in ("police", "government", "service", "intelligence", "agency", "authority", "ministry")
)
_LOCAL = frozenset({"#city", "#local"})
NEAR_NEGATION = 3


class Cues(Protocol):
    """What the rules ask of a language's cue phrases."""

    def has(self, kind: str, words: Sequence[str]) -> bool: ...

    def spans(self, kind: str, words: Sequence[str]) -> list[tuple[int, int]]: ...


class CueIndex:
    """A lexicon's cue phrases indexed by their first word, so a lookup only tries
    the phrases that can start in the words at hand."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._first: dict[str, dict[str, list[Phrase]]] = {}
        for kind, phrases in lexicon.cues.items():
            index = self._first.setdefault(kind, {})
            for phrase in phrases:
                first = phrase.parts[0] if phrase.parts else None
                if first is not None:
                    index.setdefault(first, []).append(phrase)

    def _candidates(self, kind: str, words: Sequence[str]) -> list[Phrase]:
        index = self._first.get(kind, {})
        seen: dict[int, Phrase] = {}
        for word in set(words):
            for phrase in index.get(word, ()):
                seen[id(phrase)] = phrase
        return list(seen.values())

    def has(self, kind: str, words: Sequence[str]) -> bool:
        return any(phrase.find(words) for phrase in self._candidates(kind, words))

    def spans(self, kind: str, words: Sequence[str]) -> list[tuple[int, int]]:
        return sorted(span for p in self._candidates(kind, words) for span in p.find(words))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The polarity of one clause, or the reason it has none."""

    polarity: Polarity | None
    reason: Reason
    confidence: float = 0.0


@dataclass(slots=True)
class _Clause:
    words: list[str]
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.words)


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence (or the title) with its mentions."""

    index: int
    text: str
    is_title: bool
    words: Words
    agencies: tuple[Mention, ...]
    topics: tuple[Mention, ...]


@dataclass(frozen=True, slots=True)
class _Candidate:
    agency: str
    topic: str
    polarity: Polarity
    quote: str
    confidence: float
    retold: bool
    is_title: bool
    explicit: bool
    index: int
    speaker: str


@dataclass(frozen=True, slots=True)
class Extraction:
    language: str
    statements: tuple[Statement, ...]
    decisions: tuple[Decision, ...]


class Extractor:
    """Turn a report into statements about watched agencies and topics."""

    def __init__(
        self, watchlist: Watchlist, lexicons: Mapping[str, Lexicon], vocabulary: Vocabulary
    ) -> None:
        self._cues = {code: CueIndex(lexicon) for code, lexicon in lexicons.items()}
        self._guesser = LanguageGuesser(lexicons)
        self._vocabulary = vocabulary
        self._agencies = AgencyFinder(watchlist.agencies, vocabulary)
        self._topics = TopicFinder(watchlist.topics, vocabulary)
        self._countries: dict[str, str] = {a.name: a.country for a in watchlist.agencies}
        self._concepts: dict[str, frozenset[str]] = {
            a.name: frozenset(
                key
                for name in (a.name, *a.aliases)
                for keys in Words.of(name, vocabulary).keys
                for key in keys
                if key.startswith("#")
            )
            for a in watchlist.agencies
        }

    def _refers_back(self, unit: _Unit, agency: str, lexicon: Cues) -> bool:
        """Say whether a sentence without a named agency speaks of the report's agency.

        "The force", "a spokesperson" refer back; "the cantonal police", "Dutch police"
        or "die Stadtpolizei" name another force, which is not the watched one.
        """
        if not lexicon.has("agency_anaphora", unit.words.folded):
            return False
        words = unit.words
        own = self._concepts.get(agency, frozenset())
        local = _LOCAL - own
        country = self._countries.get(agency, "")
        for i, keys in enumerate(words.keys):
            if not _FORCES.intersection(keys):
                continue
            if local.intersection(keys[1:]) or ("#state" in keys[1:] and "#state" not in own):
                return False
            near = range(max(0, i - NEAR_FORCE), i + NEAR_FORCE + 1)
            if any(local.intersection(words.keys[j]) for j in near if j < len(words.keys)):
                return False
            if country and any(pos in near and code != country for pos, code in words.countries):
                return False
        return True

    def extract(self, report: Report, sequence: int = 0) -> Extraction:
        """Return the statements of a report and a decision for every sentence without one."""
        texts = _units_of(report)
        all_words = [Words.of(text, self._vocabulary) for _, text in texts]
        language = self._guesser.guess([w for ws in all_words for w in ws.folded], report.language)
        lexicon = self._cues[language]
        countries = report_countries(all_words)
        units = [
            _Unit(
                i,
                text,
                is_title,
                words,
                tuple(self._agencies.find(words, countries)),
                tuple(self._topics.find(words)),
            )
            for i, ((is_title, text), words) in enumerate(zip(texts, all_words, strict=True))
        ]
        candidates: list[_Candidate] = []
        decisions: list[Decision] = []
        # "The force" and "the software" refer back: to the agency and topic named last
        # before the sentence (the title comes first), never to one named only later.
        last_agency: str | None = None
        last_topic: str | None = None
        for unit in units:
            agency = _nearest(unit.agencies, unit.topics)
            if agency is None and last_agency and self._refers_back(unit, last_agency, lexicon):
                agency = Mention(last_agency, 0, 0, 0.7)
            elif agency is not None:
                last_agency = agency.name
            topic = _nearest(unit.topics, unit.agencies)
            if topic is None and last_topic and lexicon.has("topic_anaphora", unit.words.folded):
                topic = Mention(last_topic, 0, 0, 0.7)
            elif topic is not None:
                last_topic = topic.name
            if agency is None or topic is None:
                if agency or topic:
                    reason = Reason.NO_AGENCY if agency is None else Reason.NO_TOPIC
                    decisions.append(Decision(reason, unit.text[:120]))
                continue
            fresh_seen: set[tuple[str, str]] = set()
            for judged in judge_sentence(unit.text, lexicon):
                span_agency = _within(unit.agencies, judged) or agency
                span_topic = _within(unit.topics, judged) or topic
                verdict = judged.verdict
                if verdict.polarity is None:
                    decisions.append(
                        Decision(verdict.reason, unit.text[:120], span_agency.name, span_topic.name)
                    )
                    continue
                pair = (span_agency.name, span_topic.name)
                if not judged.retold:
                    if pair in fresh_seen:
                        continue
                    fresh_seen.add(pair)
                candidates.append(
                    _Candidate(
                        span_agency.name,
                        span_topic.name,
                        verdict.polarity,
                        unit.text,
                        round(
                            span_agency.confidence * span_topic.confidence * verdict.confidence, 3
                        ),
                        judged.retold,
                        unit.is_title,
                        span_agency.end > 0,
                        unit.index,
                        _speaker(unit.text, lexicon),
                    )
                )
        statements, more = _resolve(report, candidates, sequence)
        return Extraction(language, tuple(statements), tuple(decisions + more))


def _units_of(report: Report) -> list[tuple[bool, str]]:
    units: list[tuple[bool, str]] = []
    if report.title.strip():
        units.append((True, report.title.strip()))
    title_words = tokens(report.title)
    for sentence in split_sentences(report.text):
        if units and tokens(sentence) == title_words:
            continue
        units.append((False, sentence))
    return units


def _nearest(mentions: Sequence[Mention], others: Sequence[Mention]) -> Mention | None:
    if not mentions:
        return None
    if not others or len(mentions) == 1:
        return max(mentions, key=lambda m: m.confidence)
    anchor = others[0].start
    return min(mentions, key=lambda m: (abs(m.start - anchor), -m.confidence))


def _within(mentions: Sequence[Mention], judged: Judged) -> Mention | None:
    """Return the mention inside a judged span when a sentence names several."""
    if len(mentions) < 2:
        return None
    inside = [m for m in mentions if judged.start <= m.start < judged.end]
    return max(inside, key=lambda m: m.confidence) if inside else None


def _clauses(text: str, lexicon: Cues) -> list[_Clause]:
    """Cut a sentence at punctuation and at clause breaks ("but", "maar", "mais", "aber")."""
    clauses: list[_Clause] = []
    position = 0
    for piece in _CLAUSE_SPLIT.split(text):
        words = [w for w, _ in word_pairs(piece)]
        cuts = sorted({start for start, _ in lexicon.spans("clause_breaks", words) if start > 0})
        for begin, stop in zip([0, *cuts], [*cuts, len(words)], strict=True):
            if stop > begin:
                clauses.append(_Clause(words[begin:stop], piece, position + begin))
        position += len(words)
    return clauses


def _has_content(words: Sequence[str], lexicon: Cues) -> bool:
    return lexicon.has("action", words) or lexicon.has("cessation", words)


def _has_cue(words: Sequence[str], lexicon: Cues) -> bool:
    return any(lexicon.has(kind, words) for kind in ("deny", "affirm", "hedge", "attribution"))


@dataclass(slots=True)
class _Span:
    """Clauses judged together, with their word positions in the sentence."""

    words: list[str]
    retold: bool
    start: int
    frame: bool = False
    """The span is a fronted frame ("despite its denial", "nachdem ... bestritten hatte"):
    the clause after it is the sentence's main clause."""

    @property
    def end(self) -> int:
        return self.start + len(self.words)

    def extend(self, words: Sequence[str]) -> None:
        self.words.extend(words)


def _has_polarity_cue(words: Sequence[str], lexicon: Cues) -> bool:
    return lexicon.has("deny", words) or lexicon.has("affirm", words)


def _is_statement(clause: _Clause, lexicon: Cues) -> bool:
    """Say whether a clause could stand alone: it has both a cue and content."""
    return _has_cue(clause.words, lexicon) and _has_content(clause.words, lexicon)


def _starts_with_break(words: Sequence[str], lexicon: Cues) -> bool:
    return any(start == 0 for start, _ in lexicon.spans("clause_breaks", words))


def _split_fronted(clauses: list[_Clause], lexicon: Cues) -> list[_Clause]:
    """Cut a fronted frame off its main clause where no comma does it.

    "In tegenstelling tot eerdere ontkenningen heeft de politie ... gebruikt": the frame
    ends with its denial (or "as claimed") cue when the main clause's action follows it.
    """
    if not clauses or not _starts_with_break(clauses[0].words, lexicon):
        return clauses
    first = clauses[0]
    if not any(start == 0 for start, _ in lexicon.spans("retold", first.words)):
        return clauses
    cues = lexicon.spans("deny", first.words) or lexicon.spans("attribution", first.words)
    if not cues:
        return clauses
    cut = cues[0][1]
    if not lexicon.has("action", first.words[cut:]):
        return clauses
    head = _Clause(first.words[:cut], first.text, first.start)
    tail = _Clause(first.words[cut:], first.text, first.start + cut)
    return [head, tail, *clauses[1:]]


def _merge(clauses: list[_Clause], lexicon: Cues) -> list[_Span]:
    """Group clauses into spans and flag the ones that retell an earlier statement.

    A fronted subordinate clause that carries a cue ("despite its denial", "although it
    denied it", "nachdem sie bestritten hatte") is a frame: it is retold, and the clause
    after it is the sentence's own statement. A fronted "but it denied," whose next
    clause is only its complement ("..., PimEyes genutzt zu haben") is no frame.
    """
    clauses = _split_fronted(clauses, lexicon)
    spans: list[_Span] = []
    frame_retold = False
    for index, clause in enumerate(clauses):
        words = clause.words
        retold_cue = lexicon.has("retold", words)
        own_cue = _has_cue(words, lexicon)
        own_content = _has_content(words, lexicon)
        starts_break = _starts_with_break(words, lexicon)
        if retold_cue and not own_content and not own_cue and not spans and not starts_break:
            frame_retold = True
            continue
        framing_cue = _has_polarity_cue(words, lexicon)
        fronted = (
            not spans
            and starts_break
            and index + 1 < len(clauses)
            and (not framing_cue or retold_cue or _is_statement(clauses[index + 1], lexicon))
            and (framing_cue or not own_content)
        )
        after_frame = bool(spans) and spans[-1].frame and not retold_cue
        if (
            spans
            and not after_frame
            and not starts_break
            and not retold_cue
            and not (own_cue and own_content)
        ):
            spans[-1].extend(words)
        else:
            retold = retold_cue or frame_retold or (fronted and framing_cue)
            spans.append(_Span(list(words), retold, clause.start, fronted))
    if (
        len(spans) > 1
        and not _has_content(spans[0].words, lexicon)
        and not lexicon.has("deny", spans[0].words)
        and spans[1].retold == spans[0].retold
        and not spans[0].frame
    ):
        head = spans.pop(0)
        spans[0] = _Span(head.words + spans[0].words, spans[0].retold, head.start)
    return spans


@dataclass(frozen=True, slots=True)
class Judged:
    """The verdict on one span of a sentence."""

    verdict: Verdict
    retold: bool
    start: int = 0
    end: int = 0


def judge_sentence(text: str, lexicon: Cues) -> list[Judged]:
    """Return a verdict per span of the sentence that carries a cue, in sentence order."""
    spans = _merge(_clauses(text, lexicon), lexicon)
    sentence_words = [w for span in spans for w in span.words]
    if lexicon.has("hedge", sentence_words) and not any(
        lexicon.has("deny", span.words) and not lexicon.has("hedge", span.words) for span in spans
    ):
        return [Judged(Verdict(None, Reason.HEDGE), False, 0, len(sentence_words))]
    if _is_question(text) and not lexicon.has("answer_no", sentence_words):
        return [Judged(Verdict(None, Reason.QUESTION), False, 0, len(sentence_words))]
    results: list[Judged] = []
    for span in spans:
        verdict = judge_words(span.words, lexicon)
        if verdict.polarity is None and verdict.reason is Reason.NO_CUE:
            continue
        results.append(Judged(verdict, span.retold, span.start, span.end))
    return results or [Judged(Verdict(None, Reason.NO_CUE), False)]


def _is_question(text: str) -> bool:
    return text.rstrip().rstrip("\"'\u201c\u201d\u00bb").rstrip().endswith("?")


def judge_words(words: Sequence[str], lexicon: Cues) -> Verdict:
    """Decide whether a span of words denies, affirms, or says nothing firm."""
    words = list(words)
    reversed_ = False
    for start, end in lexicon.spans("reversal", words):
        reversed_ = True
        words = words[:start] + words[end:]
        break
    verdict = _polarity(words, lexicon)
    if reversed_ and verdict.polarity is not None:
        return Verdict(verdict.polarity.opposite(), verdict.reason, verdict.confidence)
    return verdict


def _polarity(words: list[str], lexicon: Cues) -> Verdict:
    if lexicon.has("hedge", words):
        return Verdict(None, Reason.HEDGE)
    if lexicon.has("answer_no", words):
        return Verdict(Polarity.DENIES, Reason.CONTRADICTION, 0.9)
    if lexicon.has("cessation", words):
        return Verdict(Polarity.AFFIRMS, Reason.CONTRADICTION, 0.85)
    affirm_spans = lexicon.spans("affirm", words)
    negations = [
        start
        for start, _ in lexicon.spans("negation", words)
        if not any(a <= start < b for a, b in affirm_spans)
    ]
    denials = lexicon.spans("deny", words)
    if denials:
        first = denials[0][0]
        if any(first - NEAR_NEGATION <= n < first for n in negations):
            return Verdict(None, Reason.HEDGE)
        return Verdict(Polarity.DENIES, Reason.CONTRADICTION, 1.0)
    actions = lexicon.spans("action", words)
    affirms = lexicon.spans("affirm", words)
    if affirms and any(affirms[0][0] - NEAR_NEGATION <= n < affirms[0][0] for n in negations):
        return Verdict(None, Reason.HEDGE)
    if actions:
        action = actions[0][0]
        if any(n < action or n <= action + NEAR_NEGATION for n in negations):
            if lexicon.has("qualifier", words):
                return Verdict(None, Reason.QUALIFIED)
            return Verdict(Polarity.DENIES, Reason.CONTRADICTION, 0.9)
        if lexicon.has("question", words):
            return Verdict(None, Reason.QUESTION)
        if lexicon.has("allegation", words) and not affirms:
            return Verdict(None, Reason.ALLEGATION)
        return Verdict(Polarity.AFFIRMS, Reason.CONTRADICTION, 1.0 if affirms else 0.8)
    if affirms and not negations:
        return Verdict(Polarity.AFFIRMS, Reason.CONTRADICTION, 0.7)
    return Verdict(None, Reason.NO_CUE)


_SPEAKER_ROLES = re.compile(
    r"\b((?:[A-Z][\w.'-]+\s){0,3}(?:spokes(?:person|man|woman)|minister|director|chief|"
    r"woordvoerder|woordvoerster|minister|porte-parole|ministre|Sprecher(?:in)?|Minister(?:in)?|"
    r"Chef)\b(?:\s(?:[A-Z][\w'-]+|of|for|van|de|du|des|der|für)){0,5})",
    re.IGNORECASE,
)


def _speaker(text: str, lexicon: Cues) -> str:
    """Return who made the statement where the sentence says so."""
    del lexicon
    match = _SPEAKER_ROLES.search(text)
    return match.group(1).strip()[:80] if match else ""


def _resolve(
    report: Report, candidates: Sequence[_Candidate], sequence: int
) -> tuple[list[Statement], list[Decision]]:
    """Choose, per (agency, topic), the report's own stance; keep the rest as context."""
    statements: list[Statement] = []
    decisions: list[Decision] = []
    pairs: dict[tuple[str, str], list[_Candidate]] = {}
    for candidate in candidates:
        pairs.setdefault((candidate.agency, candidate.topic), []).append(candidate)
    for (agency, topic), group in pairs.items():
        tally = {Polarity.DENIES: 0.0, Polarity.AFFIRMS: 0.0}
        for c in group:
            if not c.retold:
                weight = TITLE_WEIGHT if c.is_title and c.explicit else 1.0
                tally[c.polarity] += c.confidence * weight
        winner: Polarity | None = None
        if tally[Polarity.DENIES] != tally[Polarity.AFFIRMS]:
            winner = max(tally, key=lambda p: tally[p])
        else:
            decisions.append(
                Decision(
                    Reason.OUTVOTED if tally[Polarity.DENIES] else Reason.RETOLD,
                    "no stance of its own",
                    agency,
                    topic,
                )
            )
        primary = None
        if winner is not None:
            own = [c for c in group if not c.retold and c.polarity is winner]
            primary = max(own, key=lambda c: (not c.is_title, c.confidence, -c.index))
        seen: set[tuple[Polarity, StatementRole]] = set()
        for c in sorted(group, key=lambda c: c.index):
            role = (
                StatementRole.PRIMARY
                if c is primary
                else StatementRole.RETOLD
                if c.retold
                else StatementRole.MINOR
            )
            if (c.polarity, role) in seen:
                continue
            seen.add((c.polarity, role))
            statements.append(_statement(report, c, role, sequence))
    return statements, decisions


def _statement(report: Report, c: _Candidate, role: StatementRole, sequence: int) -> Statement:
    return Statement(
        report_id=ReportId(report.id),
        agency=AgencyName(c.agency),
        topic=TopicName(c.topic),
        polarity=c.polarity,
        quote=c.quote,
        published=report.published,
        speaker=c.speaker,
        source=report.source,
        url=report.url,
        confidence=c.confidence,
        role=role,
        sequence=sequence,
    )
