"""Read statements (agency, topic, polarity) out of a report."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
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
from bot.core.language.practices import ConceptHit, PracticeLexicon
from bot.core.language.text import (
    fold,
    shipped_words,
    split_sentences,
    stopwords,
    tokens,
    word_pairs,
)
from bot.core.language.vocabulary import Vocabulary
from bot.core.mentions import AgencyFinder, Mention, TopicFinder, Words, report_countries
from bot.core.name_index import Postings
from bot.core.organisations import (
    INSTITUTIONS,
    Organisation,
    base_name,
    expand_acronyms,
    find_organisations,
    names_in,
    narrower,
    subject_before,
)
from bot.core.proposition import (
    MATCH,
    NAME,
    Proposition,
    coverage,
    propose,
    similarity,
    with_families,
)

_CLAUSE_SPLIT = re.compile(r"\s*[,;:()]\s*|\s+-\s+")
TITLE_WEIGHT = 2.0
RECENT_TEXTS = 256
"""Texts an extractor remembers having read (oldest forgotten first)."""
_Reading = tuple[str, tuple["_Candidate", ...], tuple[Decision, ...]]
"""What reading a text gives: its language, the candidate statements, the decisions."""
NEAR_FORCE = 2
_FORCES = frozenset(
    f"#{c}"
    for c in ("police", "government", "service", "intelligence", "agency", "authority", "ministry")
)
_LOCAL = frozenset({"#city", "#local"})
NEAR_NEGATION = 3
NEAR_PRACTICE = 2
"""How far after a negation a named practice is still what it negates."""
SOURCE_REACH = 6
"""How far after "according to" the third party it names may stand."""
SPELLED_BEFORE = 2
"""Capitalised words before an institution's head that may open its name ("New York")."""


class Cues(Protocol):
    """What the rules ask of a language's cue phrases."""

    def has(self, kind: str, words: Sequence[str]) -> bool: ...

    def spans(self, kind: str, words: Sequence[str]) -> list[tuple[int, int]]: ...

    def practices(self, words: Sequence[str]) -> list[tuple[int, int]]: ...

    @property
    def stopwords(self) -> frozenset[str]: ...


class CueIndex:
    """A lexicon's cue phrases indexed by their first word, so a lookup only tries
    the phrases that can start in the words at hand.

    With the practice lexicon it also finds the words that name a practice ("tapped",
    "drones"): a practice negated is a denial even without a generic verb.
    """

    def __init__(self, lexicon: Lexicon, practices: PracticeLexicon | None = None) -> None:
        self.lexicon = lexicon
        self._practices = practices
        self._first: dict[str, dict[str, list[Phrase]]] = {}
        for kind, phrases in lexicon.cues.items():
            index = self._first.setdefault(kind, {})
            for phrase in phrases:
                first = phrase.parts[0] if phrase.parts else None
                if first is not None:
                    index.setdefault(first, []).append(phrase)

    def _occurrences(self, kind: str, words: Sequence[str]) -> Iterator[tuple[int, int]]:
        """Yield the spans of this kind's phrases, trying each only where its first word is."""
        index = self._first.get(kind)
        if not index:
            return
        for start, word in enumerate(words):
            for phrase in index.get(word, ()):
                end = phrase.end_at(words, start)
                if end is not None:
                    yield start, end

    def has(self, kind: str, words: Sequence[str]) -> bool:
        return any(True for _ in self._occurrences(kind, words))

    def spans(self, kind: str, words: Sequence[str]) -> list[tuple[int, int]]:
        return sorted(self._occurrences(kind, words))

    @property
    def stopwords(self) -> frozenset[str]:
        """The language's own function words ("über" is one in German, not in Dutch)."""
        return self.lexicon.stopwords

    def practices(self, words: Sequence[str]) -> list[tuple[int, int]]:
        """Spans naming a practice (weak concepts such as "use" or "data" left out)."""
        if self._practices is None:
            return []
        return [
            (hit.start, hit.end)
            for hit in self._practices.hits(words, self.lexicon.language)
            if hit.concept not in self._practices.weak
        ]


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
    organisations: tuple[Organisation, ...] = ()


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
    proposition: Proposition = field(default_factory=Proposition)
    watched_topic: bool = True


@dataclass(frozen=True, slots=True)
class Extraction:
    language: str
    statements: tuple[Statement, ...]
    decisions: tuple[Decision, ...]


@dataclass(frozen=True, slots=True)
class _Practice:
    """A watched topic as propositions, to recognise it described in prose.

    One description per name and alias: a text matches the topic when it carries
    enough of any one of them ("Tempora" or "bulk interception of cable traffic"),
    not a share of all of them together.
    """

    name: str
    descriptions: tuple[Proposition, ...]


TOPIC_COVERAGE = 0.5
"""Share of a watched topic's weighted keys a sentence must carry to be about it."""
TOPIC_CONTINUITY = 0.1
"""How much better another watched topic must fit to take over from the report's own."""
OPEN_CONFIDENCE = 0.8
"""Confidence of an agency recognised by its form rather than by the watchlist."""
MIN_DISTINCT = 4
PARTIAL = 0.75
"""Confidence of a watched name matched only in part (its country and its head)."""
SPEAKERS = frozenset({"#ministry", "#government", "#interior", "#justice", "#defence"})
"""Concepts of bodies that speak for an agency rather than act themselves."""
GOVERNED = 4
"""How far after its cue an institution still opens the clause the cue governs."""


class Extractor:
    """Turn a report into statements: agency, proposition and polarity."""

    def __init__(
        self,
        watchlist: Watchlist,
        lexicons: Mapping[str, Lexicon],
        vocabulary: Vocabulary,
        remember: int = RECENT_TEXTS,
    ) -> None:
        """`remember`: how many texts read lately are not read again (0: none, as a
        benchmark of reading itself needs)."""
        self._cues = {
            code: CueIndex(lexicon, vocabulary.practices) for code, lexicon in lexicons.items()
        }
        self._guesser = LanguageGuesser(lexicons)
        self._remember = remember
        self._recent: dict[tuple[str, str, str | None], _Reading] = {}
        self._recent_lock = threading.Lock()
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
        heads = {f"#{h}" for h in vocabulary.generic_heads}
        self._kinds = [
            (a.name, a.country, concepts, concepts - heads)
            for a, concepts in ((a, self._concepts[a.name]) for a in watchlist.agencies)
            if concepts - heads
        ]
        self._distinct = {
            a.name: frozenset(
                base_name(word)
                for name in (a.name, *a.aliases)
                for words in (Words.of(name, vocabulary),)
                for word, keys in zip(words.folded, words.keys, strict=True)
                if len(word) >= MIN_DISTINCT
                and not keys[0].startswith("#")
                and word not in vocabulary.country_words
                and word not in vocabulary.connectives
            )
            for a in watchlist.agencies
        }
        self._spellings = {
            a.name: tuple(
                frozenset(base_name(w) for w in words)
                for words in (tokens(name) for name in (a.name, *a.aliases))
                if len(words) >= 2
            )
            for a in watchlist.agencies
        }
        self._practices = tuple(
            _Practice(
                topic.name,
                tuple(
                    with_families(description, vocabulary.practices)
                    for description in self._topic_descriptions(topic.name, topic.aliases)
                ),
            )
            for topic in watchlist.topics
        )
        # Coverage is nil without a shared key: only practices sharing one are scored.
        self._practice_keys = Postings(
            [(p, (k for d in p.descriptions for k, _ in d.keys)) for p in self._practices]
        )
        self._stopwords = (
            frozenset(w for lexicon in lexicons.values() for w in lexicon.stopwords) | stopwords()
        )
        self._possessives = _cue_words(lexicons, "possessive")
        # Months and days are capitalised but name no place: "in March the office …".
        self._not_qualifiers = self._stopwords | _cue_words(
            lexicons, "calendar", "calendar_capitalised"
        )
        # Words of watched agencies' names are who, never what: keep them out of
        # propositions ("Guardia di Finanza" is no part of the practice it denies).
        self._agency_words = frozenset(
            word
            for a in watchlist.agencies
            for name in (a.name, *a.aliases)
            for word in tokens(name)
            if len(word) >= MIN_DISTINCT and vocabulary.practices.concept_of(word, "en") is None
        )
        self._not_content_words = self._stopwords | self._agency_words

    def _topic_descriptions(self, name: str, aliases: Sequence[str]) -> list[Proposition]:
        """Key a watched topic by its English name and its aliases' own languages.

        A topic named like a product ("Clearview AI", alias "Clearview") keeps its name
        as a key beside the concepts it implies, so other tools of the kind differ.
        """
        single = {fold(a) for a in aliases if " " not in a.strip() and a.strip()[:1].isupper()}
        descriptions: list[Proposition] = []
        for text in (name, *aliases):
            pairs = word_pairs(text)
            folded = [f for f, _ in pairs]
            titled = all(r[:1].isupper() for _, r in pairs)
            raw = [
                r if i > 0 or titled or f in single else r.lower() for i, (f, r) in enumerate(pairs)
            ]
            if raw and raw[0][:1].isupper():
                raw = ["", *raw]  # the first word counts as written inside a sentence
                folded = ["", *folded]
            language = self._guesser.guess(folded, None) if text != name else "en"
            description = propose(
                folded, raw, language, self._vocabulary.practices, stopwords(negations=False)
            )
            if not description.is_empty():
                descriptions.append(description)
        return descriptions

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
        language, candidates, decisions = self._read(report.title, report.text, report.language)
        statements, more = _resolve(report, _cluster(candidates), sequence)
        return Extraction(language, tuple(statements), decisions + tuple(more))

    def _read(self, title: str, text: str, hint: str | None) -> _Reading:
        """Read a text once: the same wire copy re-sent under new ids (a syndicated story,
        a feed polled again) is not read again while it is among the last ones read."""
        key = (title, text, hint)
        with self._recent_lock:
            cached = self._recent.get(key)
        if cached is None:
            cached = self._read_text(title, text, hint)
            with self._recent_lock:
                if self._recent and len(self._recent) >= self._remember:
                    self._recent.pop(next(iter(self._recent)))
                if self._remember:
                    self._recent[key] = cached
        return cached

    def _read_text(self, title: str, text: str, hint: str | None) -> _Reading:
        texts = _units_of(title, text)
        all_words = [Words.of(text, self._vocabulary) for _, text in texts]
        language = self._guesser.guess([w for ws in all_words for w in ws.folded], hint)
        lexicon = self._cues[language]
        countries = report_countries(all_words)
        home = _home_country(all_words)
        found: dict[int, list[ConceptHit]] = {}

        def practices_at(i: int, weak: bool = True) -> frozenset[int]:
            """Where sentence `i` names practices (weak ones too, or not); looked up
            once a sentence, for people's names and institutions' qualifiers alike."""
            if i not in found:
                found[i] = self._vocabulary.practices.hits(all_words[i].folded, language)
            left_out = frozenset() if weak else self._vocabulary.practices.weak
            return frozenset(
                p for h in found[i] if h.concept not in left_out for p in range(h.start, h.end)
            )

        persons = _persons_in(all_words, lexicon, lambda i: practices_at(i, weak=False))
        names = names_in(all_words, language) - persons
        report_words = frozenset(base_name(w) for ws in all_words for w in ws.folded)
        units = []
        for i, ((is_title, text), words) in enumerate(zip(texts, all_words, strict=True)):
            watched = tuple(
                self._named_nearby(m, words) for m in self._agencies.find(words, countries)
            )
            organisations = tuple(
                o
                for o in find_organisations(
                    words,
                    self._not_qualifiers,
                    home,
                    is_title,
                    self._vocabulary.city_words,
                    self._possessives,
                    text,
                    # Practices are never names ("hat die Polizei Drohnen eingesetzt").
                    practices_at(i)
                    if any(INSTITUTIONS.intersection(keys) for keys in words.keys)
                    else frozenset(),
                )
                if not any(m.start < o.end and o.start < m.end for m in watched)
            )
            units.append(
                _Unit(
                    i,
                    text,
                    is_title,
                    words,
                    watched,
                    tuple(self._topics.find(words)),
                    organisations,
                )
            )
        candidates: list[_Candidate] = []
        decisions: list[Decision] = []
        # "The force" and "the software" refer back: to the agency and practice named
        # last before the sentence (the title comes first), never to one named later.
        last_agency: str | None = None
        last_topic: tuple[str, Proposition, bool] | None = None
        known: list[str] = []
        for unit in units:
            judged_spans = judge_sentence(unit.text, lexicon)
            sentence = self._proposition(
                unit, 0, len(unit.words.folded), language, lexicon, names, persons
            )
            fresh_seen: set[tuple[str, str]] = set()
            for judged in judged_spans:
                agency = self._agency_of(
                    unit, judged, lexicon, last_agency, known, names, report_words, persons
                )
                verdict = judged.verdict
                span = self._proposition(
                    unit, judged.start, judged.end, language, lexicon, names, persons
                )
                topic = self._topic_of(unit, judged, span, sentence, last_topic, lexicon)
                if agency is not None and agency.end > 0:
                    last_agency = agency.name
                    if agency.name not in known:
                        known.append(agency.name)
                if topic is not None and (topic[2] or topic[1].has_substance()):
                    last_topic = topic
                if verdict.polarity is None:
                    decisions.append(
                        Decision(
                            verdict.reason,
                            unit.text[:120],
                            agency.name if agency else "",
                            topic[0] if topic else "",
                        )
                    )
                    continue
                if agency is None or topic is None:
                    reason = Reason.NO_AGENCY if agency is None else Reason.NO_TOPIC
                    decisions.append(Decision(reason, unit.text[:120]))
                    continue
                name, proposition, watched_topic = topic
                pair = (agency.name, name)
                if not judged.retold:
                    if pair in fresh_seen:
                        continue
                    fresh_seen.add(pair)
                candidates.append(
                    _Candidate(
                        agency.name,
                        name,
                        verdict.polarity,
                        unit.text,
                        round(agency.confidence * verdict.confidence, 3),
                        judged.retold,
                        unit.is_title,
                        agency.end > 0,
                        unit.index,
                        _speaker(unit.text, lexicon),
                        proposition,
                        watched_topic,
                    )
                )
        candidates = _one_name_per_body(_spelled_out(candidates, units, self._stopwords))
        return language, tuple(candidates), tuple(decisions)

    def resolve_claim(self, agency: str, topic: str) -> tuple[str, str, Proposition]:
        """Resolve the names of a hand-recorded claim the way text is read.

        "federale politie" becomes the watched Belgian Federal Police and "clearview"
        the watched topic Clearview AI, so a claim typed by hand pairs with the
        statements read from reports. Returns (agency, topic, proposition).
        """
        agency_words = Words.of(agency, self._vocabulary)
        found = self._agencies.find(agency_words, report_countries([agency_words]))
        if found:
            agency_name = max(found, key=lambda m: m.confidence).name
        else:
            organisations = find_organisations(
                agency_words,
                self._not_qualifiers,
                "",
                True,
                self._vocabulary.city_words,
            )
            # Only a name that says which body it is becomes canonical ("Slovenian
            # police" -> "SI police"); anything else stays as its author typed it.
            qualified = [o for o in organisations if o.qualified]
            agency_name = (
                self._resolve_open(qualified[0], frozenset(agency_words.folded)).name
                if qualified
                else " ".join(agency.split())
            )
        topic_words = Words.of(topic, self._vocabulary)
        language = self._guesser.guess(list(topic_words.folded), None)
        raw = ["", *topic_words.raw]  # every word of a typed name counts as written inside
        proposition = propose(
            ["", *topic_words.folded],
            raw,
            language,
            self._vocabulary.practices,
            stopwords(negations=False),
        )
        named = self._topics.find(topic_words)
        if named:
            return agency_name, max(named, key=lambda m: m.confidence).name, proposition
        practice = self._watched_practice(proposition)
        return agency_name, practice or " ".join(topic.split()), proposition

    def _proposition(
        self,
        unit: _Unit,
        start: int,
        end: int,
        language: str,
        lexicon: Cues,
        names: frozenset[str] = frozenset(),
        persons: frozenset[str] = frozenset(),
    ) -> Proposition:
        """Return the proposition of a span: its content words, less names and cues.

        `names` are the words the report writes as names elsewhere: "Clearview" opening
        a sentence is still the product. `persons` are people's names (`_persons_in`):
        who asked or answered is not what was done, nor is the role before a name
        ("Kamerlid Wouter Desmet"), while "the phones of an MP" keeps its MP.
        """
        words = unit.words
        end = min(end, len(words.folded))
        folded = words.folded[start:end]
        named = [(m.start, m.end) for m in unit.agencies]
        named += [(o.start, o.end) for o in unit.organisations]
        skip = {i - start for a, b in named for i in range(a, b) if start <= i < end}
        skip.update(i for i, keys in enumerate(words.keys[start:end]) if _FORCES.intersection(keys))
        for kind in _NOT_CONTENT:
            for a, b in lexicon.spans(kind, folded):
                skip.update(range(a, b))
        skip.update(pos - start for pos, _ in words.places if start <= pos < end)
        # The town that places a force ("the city of Mainz") is where, not what, it did.
        towns = {o.name.split()[0].casefold() for o in unit.organisations if o.qualified}
        skip.update(
            i for i, w in enumerate(folded) if len(w) > 2 and (w in towns or base_name(w) in towns)
        )
        people = {i for i, w in enumerate(folded) if w in persons}
        skip.update(people)
        raw = words.raw[start:end]
        for a, b in lexicon.spans("person_role", folded):
            if b in people:
                skip.add(a)  # "Kamerlid Wouter Desmet"
            elif raw[a][:1].isupper() and not raw[a].isupper() and start + a > 0:
                # A title mid-sentence, its office and the name after it: "Director of
                # National Intelligence James Clapper"; not "an MP".
                skip.update(range(a, _title_end(raw, folded, b, lexicon.stopwords)))
        for a, _ in lexicon.spans("calendar_capitalised", folded):
            if words.raw[start + a][:1].isupper():
                skip.add(a)  # "in March" is a month, "the march" a protest
        return propose(
            folded,
            words.raw[start:end],
            language,
            self._vocabulary.practices,
            self._not_content_words,
            skip,
            names,
        )

    def _agency_of(
        self,
        unit: _Unit,
        judged: Judged,
        lexicon: Cues,
        last_agency: str | None,
        known: Sequence[str],
        names: frozenset[str],
        report_words: frozenset[str],
        persons: frozenset[str] = frozenset(),
    ) -> Mention | None:
        """Return whose conduct a judged span is about.

        A watched name wins. Otherwise, in this order: an institution that opens the
        clause the cue governs ("the ministry said *the police* had not ..."); the
        named subject of the cue ("Acme denied", "Acme ontkent dat het bedrijf ...");
        for a finding ("the watchdog found", "records show"), the agency in focus;
        another institution in the sentence (the speaker, speaking for itself); and
        "the force", "it", "a spokesperson" refer back to the agency named last.
        """
        watched = _within(unit.agencies, judged) or _nearest(unit.agencies, unit.topics)
        if watched is not None:
            return watched
        cue = _cue_position(unit.words.folded, judged, lexicon)
        organisations = [o for o in unit.organisations if judged.start <= o.start < judged.end]
        organisations = organisations or list(unit.organisations)
        acting = [o for o in organisations if not o.concepts <= SPEAKERS]
        governed = [o for o in organisations if cue is not None and cue < o.start <= cue + GOVERNED]
        if governed and governed[0].concepts <= SPEAKERS and acting:
            # "… tapte telefoons af, bevestigt het ministerie": the ministry after its
            # verb speaks; the body in the clause acted.
            governed = []
        if governed:
            return self._open(governed[0], unit, lexicon, last_agency, known, report_words)
        span = unit.words.folded[judged.start : judged.end]
        if last_agency and lexicon.has("finding", span):
            # A watchdog's finding, a court's ruling, records that show: the one who
            # speaks is not the one whose conduct is at issue, the agency in focus is.
            return Mention(last_agency, 0, 0, 0.7)
        subject = (
            subject_before(unit.words, cue, lexicon.stopwords, names) if cue is not None else None
        )
        if subject is not None and any(
            t.start < subject.end and subject.start < t.end for t in unit.topics
        ):
            subject = None  # "… financial police used Kestrel": the tool is no agency
        if subject is not None and not _is_person(unit.words, subject, lexicon, persons):
            holder = next((o for o in organisations if o.start < subject.end <= o.end), None)
            if holder is not None:  # "la police de Portville a reconnu": the police
                return self._open(holder, unit, lexicon, last_agency, known, report_words)
            return subject.mention(OPEN_CONFIDENCE)
        if organisations:
            # "The police tapped …, the ministry confirmed": the ministry speaks, the
            # body beside it acted.
            pool = acting or organisations
            acts = [a + judged.start for a, _ in lexicon.spans("action", span)]
            before = [o for o in pool if acts and o.end <= acts[0]]
            # The body before the act is its subject; one after it, its object.
            chosen = before[-1] if before else pool[-1]
            return self._open(chosen, unit, lexicon, last_agency, known, report_words)
        if last_agency and self._refers_back(unit, last_agency, lexicon):
            return Mention(last_agency, 0, 0, 0.7)
        return None

    def _open(
        self,
        chosen: Organisation,
        unit: _Unit,
        lexicon: Cues,
        last_agency: str | None,
        known: Sequence[str],
        report_words: frozenset[str],
    ) -> Mention:
        """Name an institution found by its form; "the police" may be one named before.

        A ministry or government speaks for the agency of its country named before it
        in the report ("the interior ministry said the system was not used").
        """
        if chosen.concepts and chosen.concepts <= SPEAKERS and chosen.country:
            speakers = {c.lstrip("#") for c in SPEAKERS}
            for name in reversed(known):
                acts = not set(name.split()[1:]) <= speakers
                if acts and name != chosen.name and self._country_of(name) == chosen.country:
                    return Mention(name, chosen.start, chosen.end, OPEN_CONFIDENCE)
        if not chosen.qualified:
            named = [o for o in unit.organisations if o.qualified and chosen.concepts <= o.concepts]
            if named:
                # "the New York City Police Department ..., making the city's force ...".
                return self._resolve_open(named[0], report_words).mention(OPEN_CONFIDENCE)
            # "The force", "de politie": the agency named last, when it can be that.
            if last_agency and self._refers_back(unit, last_agency, lexicon):
                return Mention(last_agency, 0, 0, 0.7)
            head = chosen.name.casefold()
            same_head = [k for k in reversed(known) if k.casefold().endswith(head)]
            if same_head:
                return Mention(same_head[0], chosen.start, chosen.end, OPEN_CONFIDENCE)
        return self._resolve_open(chosen, report_words).mention(OPEN_CONFIDENCE)

    def _watched_practice(self, proposition: Proposition, current: str = "") -> str | None:
        """Return the watched topic a proposition describes best, when it carries enough of it.

        The topic the report is about (`current`) stays when it fits about as well as
        another: a sentence on drones over parks in a story about the lockdown does not
        turn to drones over protests for want of the word "lockdown".
        """
        family = with_families(proposition, self._vocabulary.practices)
        best: tuple[float, str] | None = None
        kept = 0.0
        for practice in self._practice_keys.having(k for k, _ in family.keys):
            value = max(
                (
                    coverage(d, family)[0]
                    for d in practice.descriptions
                    if _carries(d, family, self._vocabulary.practices.related)
                ),
                default=0.0,
            )
            if practice.name == current:
                kept = value
            if value >= TOPIC_COVERAGE and (best is None or value > best[0]):
                best = (value, practice.name)
        if best is not None and kept >= TOPIC_COVERAGE and kept >= best[0] - TOPIC_CONTINUITY:
            return current
        return best[1] if best is not None else None

    def _resolve_open(
        self, organisation: Organisation, report_words: frozenset[str]
    ) -> Organisation:
        """Give an institution recognised by its form the watched name it must have.

        "Its intelligence service" in a Swiss report is the watched Swiss Federal
        Intelligence Service when that is the only watched Swiss body whose name
        holds all the concepts written here, and a specific one among them. When
        several fit, the one whose own name ("Mainz") the report writes wins.
        """
        if not organisation.country:
            if organisation.qualified:
                return organisation  # "police forces in Europe"
            return self._spelled_alias(organisation, report_words)
        fits = [
            name
            for name, country, concepts, specific in self._kinds
            if country == organisation.country
            and organisation.concepts <= concepts
            and organisation.concepts & specific
        ]
        if len(fits) > 1:
            fits = [name for name in fits if self._distinct.get(name, frozenset()) & report_words]
        if len(fits) != 1:
            return organisation
        return replace(organisation, name=fits[0])

    def _spelled_alias(
        self, organisation: Organisation, report_words: frozenset[str]
    ) -> Organisation:
        """An institution with no country is the watched body whose own-language name
        the report writes word for word ("de federale politie", alias "Federale
        Politie"), when exactly one watched body of its kind is written so."""
        fits = [
            name
            for name, _, concepts, specific in self._kinds
            if organisation.concepts <= concepts
            and organisation.concepts & specific
            and any(words <= report_words for words in self._spellings.get(name, ()))
        ]
        return replace(organisation, name=fits[0]) if len(fits) == 1 else organisation

    def _named_nearby(self, mention: Mention, words: Words) -> Mention:
        """Prefer, to a partial match, the watched body the sentence names outright.

        "The police in the German city of Kreuzfelden" half-matches "German Federal
        Police" by its country, but it names Kreuzfelden's police, when that is watched.
        """
        if mention.confidence > PARTIAL:
            return mention
        country = self._countries.get(mention.name, "")
        present = frozenset(base_name(w) for w in words.folded)
        named = [
            name
            for name, distinct in self._distinct.items()
            if name != mention.name
            and self._countries.get(name, "") == country
            and distinct & present
        ]
        return replace(mention, name=named[0]) if len(named) == 1 else mention

    def _country_of(self, name: str) -> str:
        if name in self._countries:
            return self._countries[name]
        qualifier = name.split()[0] if name.split() else ""
        return qualifier if len(qualifier) == 2 and qualifier.isupper() else ""

    def _topic_of(
        self,
        unit: _Unit,
        judged: Judged,
        span: Proposition,
        sentence: Proposition,
        last_topic: tuple[str, Proposition, bool] | None,
        lexicon: Cues,
    ) -> tuple[str, Proposition, bool] | None:
        """Return (topic, proposition, watched) for a judged span.

        A watched topic named in the sentence wins; then a watched topic whose keys
        the proposition carries; else the proposition itself is the (open) topic.
        A span without substance ("denied it") takes the sentence's, then the
        practice named last in the report.
        """
        proposition = span if span.has_substance() else sentence
        named = _within(unit.topics, judged) or _nearest(unit.topics, unit.agencies)
        if named is None and not proposition.has_substance() and last_topic is not None:
            # "denied it", "die App": the practice named last in the report.
            return last_topic[0], proposition.union(last_topic[1]), last_topic[2]
        if named is not None:
            return named.name, proposition, True
        current = last_topic[0] if last_topic is not None and last_topic[2] else ""
        practice = self._watched_practice(proposition, current)
        if practice is not None:
            return practice, proposition, True
        refers = lexicon.has("topic_anaphora", unit.words.folded)
        if last_topic is not None and last_topic[2] and refers:
            # "the technology", "die Software": the watched practice named last.
            return last_topic[0], proposition.union(last_topic[1]), True
        if not proposition.has_substance():
            return None
        if last_topic is not None and last_topic[2] and proposition is last_topic[1]:
            return last_topic
        return proposition.label(), proposition, False


def _carries(description: Proposition, text: Proposition, related: Mapping[str, str]) -> bool:
    """Say whether a text names two of a topic's kinds of thing, or its only one.

    A kind is a concept's family where it has one ("@air" for drones and aerial
    filming), else the concept or name itself. "Shared with two newsrooms" names
    sharing, but not "sharing anonymised assault-injury figures for violence
    prevention"; "filmed the march from the air" names drone surveillance of protests.
    """

    def kinds(p: Proposition) -> set[str]:
        found = set()
        for key, weight in p.keys:
            if key.startswith("#"):
                found.add(f"@{related[key[1:]]}" if key[1:] in related else key)
            elif key.startswith("@") or weight >= NAME:
                found.add(key)
        return found

    wanted = kinds(description)
    return len(wanted & kinds(text)) >= min(2, len(wanted))


_NOT_CONTENT = (
    "deny",
    "affirm",
    "hedge",
    "attribution",
    "negation",
    "retold",
    "agency_anaphora",
    "calendar",
)


def _spelled_out(
    candidates: list[_Candidate], units: Sequence[_Unit], stopwords: frozenset[str]
) -> list[_Candidate]:
    """Name an agency the report calls by an acronym as the institution it spells out."""
    acronyms = {c.agency for c in candidates if c.agency.isupper() and c.agency.isalpha()}
    if not acronyms:
        return candidates
    spelled = [
        (
            o.name,
            [
                raw
                for raw, folded in zip(
                    unit.words.raw[max(0, o.start - SPELLED_BEFORE) : o.end],
                    unit.words.folded[max(0, o.start - SPELLED_BEFORE) : o.end],
                    strict=True,
                )
                if folded not in stopwords
            ],
        )
        for unit in units
        for o in unit.organisations
    ]
    names = expand_acronyms(acronyms, spelled)
    return [replace(c, agency=names.get(c.agency, c.agency)) for c in candidates]


def _cue_words(lexicons: Mapping[str, Lexicon], *kinds: str) -> frozenset[str]:
    """Return every word of the cue phrases of these kinds, in all languages."""
    return frozenset(
        word
        for lexicon in lexicons.values()
        for kind in kinds
        for phrase in lexicon.cues.get(kind, ())
        for word in phrase.parts
        if word
    )


def _is_person(
    words: Words, subject: Organisation, lexicon: Cues, persons: frozenset[str] = frozenset()
) -> bool:
    """Say whether a named subject is a person or a third party: "minister Karin Mulder",
    "Kamerlid Wouter Desmet", "Mulder" where the report gave her role, "the charity X".

    A person speaks for a body (the agency in focus) or accuses one, as a charity or
    a rights group does; either way the name is no organisation whose conduct is at
    issue.
    """
    near = words.folded[max(0, subject.start - 2) : subject.end]
    if lexicon.has("person_role", near) or lexicon.has("third_party", near):
        return True
    own = words.folded[subject.start : subject.end]
    return all(w in persons for w in own)


def _title_end(
    raw: Sequence[str], folded: Sequence[str], at: int, stopwords: frozenset[str]
) -> int:
    """Where the capitalised run after a title ends ("of National Intelligence James
    Clapper"); function words count inside it only between capitals."""
    end = at
    while end < len(raw) and (
        raw[end][:1].isupper()
        or (folded[end] in stopwords and end + 1 < len(raw) and raw[end + 1][:1].isupper())
    ):
        end += 1
    return end


def _persons_in(
    words: Sequence[Words], lexicon: Cues, practices_at: Callable[[int], frozenset[int]]
) -> frozenset[str]:
    """Return the words a report writes as people's names: the capitalised words right
    after a role ("Wethouder Karin Mulder", "MP Wouter Desmet") or right before one
    ("…, said Mulder, the alderwoman"), never a function word or a practice ("Drohnen":
    German capitalises every noun), nor a body after a linking word ("woordvoerder van
    Uber").
    """
    found: set[str] = set()
    for index, w in enumerate(words):
        roles = lexicon.spans("person_role", w.folded)
        if not roles:
            continue
        practices = practices_at(index)

        def name_at(i: int, w: Words = w, practices: frozenset[int] = practices) -> bool:
            return (
                w.raw[i][:1].isupper()
                and w.folded[i] not in lexicon.stopwords
                and i not in practices
                and not w.keys[i][0].startswith("#")
            )

        for start, end in roles:
            at = end
            if at + 1 < len(w.raw) and w.folded[at] in lexicon.stopwords:
                # "Director of National Intelligence James Clapper": a title naming its
                # office, then the name.
                office = at + 1
                while office < len(w.raw) and w.keys[office][0].startswith("#"):
                    office += 1
                if office > at + 1:
                    at = office
            while at < len(w.raw) and at - end < 6 and name_at(at):
                found.add(w.folded[at])
                at += 1
            at = start - 1
            while at > 0 and w.folded[at] in lexicon.stopwords and start - at < 3:
                at -= 1  # "Mulder, the alderwoman …"
            while at > 0 and start - at < 5 and name_at(at):  # a sentence's first capital: no
                found.add(w.folded[at])
                at -= 1
    return frozenset(found)


def _cue_position(words: Sequence[str], judged: Judged, lexicon: Cues) -> int | None:
    span = list(words[judged.start : judged.end])
    for kind in ("deny", "affirm", "attribution", "action"):
        found = lexicon.spans(kind, span)
        if found:
            return judged.start + found[0][0]
    return None


def _home_country(words: Sequence[Words]) -> str:
    """Return the one country a report is about, when its cues name only one."""
    counts: dict[str, int] = {}
    for w in words:
        for _, code in w.places:
            counts[code] = counts.get(code, 0) + 1
    if not counts:
        return ""
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if len(ranked) == 1 or ranked[0][1] >= 2 * ranked[1][1]:
        return ranked[0][0]
    return ""


def _units_of(title: str, text: str) -> list[tuple[bool, str]]:
    units: list[tuple[bool, str]] = []
    if title.strip():
        units.append((True, title.strip()))
    title_words = tokens(title)
    for sentence in split_sentences(text):
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
        # No cut inside a phrase that frames the clause ("a week after", "weken nadat").
        framing = lexicon.spans("retold", words)
        cuts = sorted(
            {
                start
                for start, _ in lexicon.spans("clause_breaks", words)
                if start > 0 and not any(a < start < b for a, b in framing)
            }
        )
        for begin, stop in zip([0, *cuts], [*cuts, len(words)], strict=True):
            if stop > begin:
                clauses.append(_Clause(words[begin:stop], piece, position + begin))
        position += len(words)
    return clauses


def _has_content(words: Sequence[str], lexicon: Cues) -> bool:
    """Say whether words state an act: a verb of use, a cessation, or a negated practice."""
    if lexicon.has("action", words) or lexicon.has("cessation", words):
        return True
    negations = [start for start, _ in lexicon.spans("negation", words)]
    return bool(negations) and _negated_practice(words, negations, lexicon)


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
    return _starts_with(words, "clause_breaks", lexicon)


def _starts_with(words: Sequence[str], kind: str, lexicon: Cues) -> bool:
    return any(start == 0 for start, _ in lexicon.spans(kind, words))


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
        if frame_retold and spans and not _starts_with(words, "complement", lexicon):
            # "Eine Woche nachdem …, dass …, sagte das Amt": the frame and its
            # complement end where the main clause begins.
            frame_retold = False
            spans.append(_Span(list(words), retold_cue, clause.start))
            continue
        if (
            spans
            and retold_cue
            and not own_content
            and not starts_break
            and not framing_cue
            and lexicon.has("attribution", words)
        ):
            # "…, sagte damals ein Sprecher", "…, said a spokesperson at the time": an
            # attribution set in the past retells the clause it closes.
            spans[-1].extend(words)
            spans[-1].retold = True
            continue
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
    if _accused(sentence_words, lexicon) and not lexicon.has("deny", sentence_words):
        # A third party's accusation ("activists accused the force of ...") is no
        # statement by the agency, whatever its complement says.
        return [Judged(Verdict(None, Reason.ALLEGATION), False, 0, len(sentence_words))]
    if lexicon.has("third_party", sentence_words) and (
        _third_party_says(sentence_words, lexicon) or _third_party_closes(text, lexicon)
    ):
        return [Judged(Verdict(None, Reason.ALLEGATION), False, 0, len(sentence_words))]
    if _is_question(text) and not lexicon.has("answer_no", sentence_words):
        return [Judged(Verdict(None, Reason.QUESTION), False, 0, len(sentence_words))]
    results: list[Judged] = []
    for span in spans:
        verdict = judge_words(span.words, lexicon)
        if verdict.polarity is None and verdict.reason is Reason.NO_CUE:
            continue
        results.append(Judged(verdict, span.retold, span.start, span.end))
    return results or [Judged(Verdict(None, Reason.NO_CUE), False)]


def _accused(words: Sequence[str], lexicon: Cues) -> bool:
    """Say whether an accusation governs the sentence's act ("activists accused the
    force of filming …"), not a relative clause after it ("… people who are accused of
    offences", "denen Verstöße vorgeworfen werden")."""
    accusations = lexicon.spans("accusation", words)
    if not accusations:
        return False
    acts = [start for start, _ in lexicon.spans("action", words)]
    return not acts or accusations[0][0] < min(acts)


def _third_party_says(words: Sequence[str], lexicon: Cues) -> bool:
    """Say whether the sentence is a third party's account ("activists say the police
    filmed …", "volgens privacyorganisaties …", "Pour plusieurs associations, …").

    What an NGO, a critic, a lawyer or an unnamed source says an agency did is no
    statement of the agency, unless the sentence also reports the agency's own denial
    or admission, or a finding.
    """
    spans = lexicon.spans("third_party", words)
    if not spans or any(lexicon.has(k, words) for k in ("deny", "affirm", "finding")):
        return False
    party = {i for start, end in spans for i in range(start, end)}
    for verb, _ in lexicon.spans("source_verb", words):
        # The party is the verb's subject: "critics say", "NGOs and lawyers argue",
        # "Kritikern zufolge", not "protesters …, a spokesperson said".
        subject = verb
        while subject > 0 and (subject - 1 in party or words[subject - 1] in lexicon.stopwords):
            subject -= 1
        if party.intersection(range(subject, verb)):
            return True
    sources = lexicon.spans("source_preposition", words)
    sources += [(s, e) for s, e in lexicon.spans("source_opening", words) if s == 0]
    # The party follows its preposition, one word at most between them besides function
    # words: "selon plusieurs associations", not "laut der Antwort … von Demonstranten".
    return any(
        end <= p <= end + SOURCE_REACH
        and sum(w not in lexicon.stopwords for w in words[end:p]) <= 1
        for _, end in sources
        for p, _ in spans
    )


def _third_party_closes(text: str, lexicon: Cues) -> bool:
    """Say whether a quote is closed by a third party: "« Nous avons quatre vidéos »,
    affirme Mathilde Serrand, juriste au sein d'un collectif", "…, zegt advocaat De
    Vries"; not "…, said the police, adding that activists …"."""
    folded = fold(text)
    for match in _CLOSING.finditer(folded):
        after = [w for w, _ in word_pairs(folded[match.end() :])][: SOURCE_REACH + 1]
        if not after or not lexicon.has("source_verb", after[:2]):
            continue
        agency = [a for a, _ in lexicon.spans("agency_anaphora", after)]
        parties = [p for p, _ in lexicon.spans("third_party", after)]
        if parties and not (agency and min(agency) < min(parties)):
            return not any(lexicon.has(k, after) for k in ("deny", "affirm"))
    return False


_CLOSING = re.compile(r"[,\"]\s*(?=\w)")
"""Where a quote or clause closes and its attribution may follow."""


def _is_question(text: str) -> bool:
    return text.rstrip().rstrip("\"'\u201c\u201d\u00bb").rstrip().endswith("?")


def judge_words(words: Sequence[str], lexicon: Cues) -> Verdict:
    """Decide whether a span of words denies, affirms, or says nothing firm."""
    words = list(words)
    for start, end in lexicon.spans("certainty", words)[:1]:
        # "il ne fait guère de doute que …", "there is no doubt that …": the negated
        # doubt asserts what follows; it does not deny it.
        words = words[:start] + words[end:]
    reversed_ = False
    for start, end in lexicon.spans("reversal", words):
        reversed_ = True
        words = words[:start] + words[end:]
        break
    verdict = _polarity(words, lexicon)
    if reversed_ and verdict.polarity is not None:
        return Verdict(verdict.polarity.opposite(), verdict.reason, verdict.confidence)
    return verdict


def _not_since_a_date(words: Sequence[str], lexicon: Cues) -> bool:
    """Say whether a span says a practice stopped at a date ("not used ... since 2017").

    Not doing something since a year implies having done it before: past use.
    """
    negations = [start for start, _ in lexicon.spans("negation", words)]
    if not negations or not lexicon.has("action", words):
        return False
    return any(
        start > negations[0] and end < len(words) and words[end].isdigit()
        for start, end in lexicon.spans("since", words)
    )


def _polarity(words: list[str], lexicon: Cues) -> Verdict:
    if lexicon.has("hedge", words):
        return Verdict(None, Reason.HEDGE)
    if lexicon.has("answer_no", words):
        return Verdict(Polarity.DENIES, Reason.CONTRADICTION, 0.9)
    if lexicon.has("cessation", words) or _not_since_a_date(words, lexicon):
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
    # "the use of", "het gebruik van": a practice named as a noun is not an act stated.
    nominal = {start for a, b in lexicon.spans("nominal", words) for start in range(a, b)}
    actions = [span for span in lexicon.spans("action", words) if span[0] not in nominal]
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
        if lexicon.has("allegation", words):
            # "would allow … not only of suspects": what might be is not what was done.
            return Verdict(None, Reason.ALLEGATION)
        return Verdict(Polarity.AFFIRMS, Reason.CONTRADICTION, 0.7)
    if negations and not affirms and _negated_practice(words, negations, lexicon):
        # "no cable had been tapped", "tapt geen internetverkeer af": the practice
        # itself is negated, whatever verb carries it.
        return Verdict(Polarity.DENIES, Reason.CONTRADICTION, 0.8)
    if affirms and any(n >= affirms[0][1] for n in negations):
        # "has confirmed that it has never followed …": what is confirmed is a denial,
        # whatever the verb of the complement.
        return Verdict(Polarity.DENIES, Reason.CONTRADICTION, 0.8)
    return Verdict(None, Reason.NO_CUE)


def _negated_practice(words: Sequence[str], negations: Sequence[int], lexicon: Cues) -> bool:
    """Say whether a practice is named just after a negation ("n'a mis aucun journaliste")."""
    return any(
        n < start <= n + NEAR_PRACTICE for start, _ in lexicon.practices(words) for n in negations
    )


@cache
def _speaker_pattern() -> re.Pattern[str]:
    """The pattern of "a spokesperson for X", "woordvoerder van X", from the lexicons."""
    roles = sorted(shipped_words("speaker_role"), key=len, reverse=True)
    links = sorted(shipped_words("speaker_link"), key=len, reverse=True)
    return re.compile(
        r"\b((?:[A-Z][\w.'-]+\s){0,3}(?:"
        + "|".join(map(re.escape, roles))
        + r")\b(?:\s(?:[A-Z][\w'-]+|"
        + "|".join(map(re.escape, links))
        + r")){0,5})",
        re.IGNORECASE,
    )


def _speaker(text: str, lexicon: Cues) -> str:
    """Return who made the statement where the sentence says so."""
    del lexicon
    match = _speaker_pattern().search(text)
    return match.group(1).strip()[:80] if match else ""


def _one_name_per_body(candidates: list[_Candidate]) -> list[_Candidate]:
    """Give a body the report names several ways its most precise name.

    "Politie ontkent" in the headline and "de Nationale Politie" in the lead are one
    force, as "the Dutch police" and "the Dutch National Police" are; a bare "police"
    is left alone where the report names two forces it could be.
    """
    names = list(dict.fromkeys(c.agency for c in candidates))
    renamed: dict[str, str] = {}
    for name in names:
        wider = [other for other in names if narrower(name, other)]
        precise = [w for w in wider if not any(narrower(w, x) for x in wider)]
        if len(precise) == 1:
            renamed[name] = precise[0]
    if not renamed:
        return candidates
    return [replace(c, agency=renamed.get(c.agency, c.agency)) for c in candidates]


def _cluster(candidates: Sequence[_Candidate]) -> list[_Candidate]:
    """Give one topic to an agency's candidates whose propositions are the same conduct.

    An open proposition takes the topic of an earlier candidate of the same agency it
    matches (a watched topic first), so one report states one stance per practice.
    """
    settled: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (not c.watched_topic, c.index)):
        if not candidate.watched_topic:
            for other in settled:
                if other.agency != candidate.agency:
                    continue
                value, _ = similarity(other.proposition, candidate.proposition)
                if value >= MATCH:
                    candidate = replace(
                        candidate, topic=other.topic, watched_topic=other.watched_topic
                    )
                    break
        settled.append(candidate)
    return sorted(settled, key=lambda c: c.index)


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
        own = [c for c in group if not c.retold]
        if tally[Polarity.DENIES] != tally[Polarity.AFFIRMS]:
            winner = max(tally, key=lambda p: tally[p])
        elif own:
            # A tie: news comes first in a report, so its earliest own statement wins.
            winner = min(own, key=lambda c: c.index).polarity
        else:
            decisions.append(Decision(Reason.RETOLD, "no stance of its own", agency, topic))
        primary = None
        if winner is not None:
            sides = [c for c in own if c.polarity is winner]
            primary = max(sides, key=lambda c: (not c.is_title, c.confidence, -c.index))
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
        proposition=c.proposition.normal,
    )
