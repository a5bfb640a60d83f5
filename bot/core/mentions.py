"""Find watched agencies and topics in text, across languages, spelling and word order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.core.domain import Agency, Topic, Watchlist
from bot.core.language.text import fold, stem, word_pairs
from bot.core.language.vocabulary import Vocabulary
from bot.core.name_index import KeyIndex, same

ADJACENT = 3
HEADS = frozenset(
    f"#{c}"
    for c in (
        "police",
        "ministry",
        "service",
        "office",
        "agency",
        "authority",
        "army",
        "government",
        "guard",
        "prefecture",
        "gendarmerie",
        "prosecutor",
        "intelligence",
    )
)
"""Concepts that name a kind of body, not one body: alone they need a country."""


@dataclass(frozen=True, slots=True)
class Words:
    """A tokenised span: folded words, original words, and their match keys."""

    folded: tuple[str, ...]
    raw: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    """Per word: its own match key, then the concept keys of a compound's parts."""
    countries: tuple[tuple[int, str], ...]
    cities: tuple[tuple[int, str], ...] = ()
    """City cues: they point to a country but are never stripped from a name."""
    bodies: tuple[tuple[int, int, str], ...] = ()
    """National bodies named by their own name, (start, end, country): "federale politie"."""

    @property
    def places(self) -> tuple[tuple[int, str], ...]:
        """Country and city cues together, by position."""
        return tuple(sorted(self.countries + self.cities))

    @classmethod
    def of(cls, text: str, vocabulary: Vocabulary) -> Words:
        pairs = word_pairs(text)
        folded = tuple(f for f, _ in pairs)
        raw = tuple(r for _, r in pairs)
        keys = tuple((_key(w, vocabulary), *compound_parts(w, vocabulary)) for w in folded)
        return cls(
            folded,
            raw,
            keys,
            tuple(vocabulary.countries_in(folded, raw)),
            tuple(vocabulary.cities_in(folded)),
            tuple(vocabulary.bodies_in(folded)),
        )


@dataclass(frozen=True, slots=True)
class Mention:
    name: str
    start: int
    end: int
    confidence: float


def _key(word: str, vocabulary: Vocabulary) -> str:
    concept = vocabulary.concept(word)
    return f"#{concept}" if concept else stem(word)


MIN_PART = 4
SHORT_TAIL = 3
"""A three-letter tail ends a compound only after concepts ("Bundes|kriminal|amt")."""
LINKS = ("s", "es", "en", "n", "e")
MAX_COMPOUND = 64
"""Longer "words" are no compound anyone writes (the longest German law name has 63
letters); splitting them would cost time quadratic in their length."""


def compound_parts(word: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """Return the keys of a compound's parts when its last part names an agency concept.

    German and Dutch write agency names as one word ("Bundespolizei", "Innenministerium",
    "inlichtingendienst"); split off the longest known concept at the end and key the
    head as a concept (dropping a linking "s"/"en") or as a plain stem.
    """
    if word in vocabulary.compounds:
        return vocabulary.compounds[word]  # "Kriminalamt": a criminal police office
    if not 2 * MIN_PART <= len(word) <= MAX_COMPOUND or not word.isalpha():
        return ()
    if vocabulary.concept(word):
        return ()
    for cut in range(MIN_PART - 1, len(word) - SHORT_TAIL + 1):
        head, tail = word[:cut], word[cut:]
        concept = vocabulary.concept(tail)
        tail_keys = vocabulary.compounds.get(tail) or ((f"#{concept}",) if concept else ())
        if not tail_keys:
            continue
        head_key = _head_key(head, vocabulary)
        if head_key is None:
            continue
        plain_head = not all(k.startswith("#") for k in head_key)
        if plain_head and (len(tail) < MIN_PART or not HEADS.intersection(tail_keys)):
            # "Bundeskriminalamt" and "Stadtpolizei", but not "insgesamt" nor the town
            # "Portville": a tail that names no body needs concepts before it.
            continue
        return (*head_key, *tail_keys)
    return ()


def _head_key(head: str, vocabulary: Vocabulary) -> tuple[str, ...] | None:
    for link in ("", *LINKS):
        if link and not head.endswith(link):
            continue
        base = head[: len(head) - len(link)]
        concept = vocabulary.concept(base) if len(base) >= MIN_PART - 1 else None
        if concept:
            return (f"#{concept}",)
    inner = compound_parts(head, vocabulary)
    if inner:
        return inner
    return (stem(head),) if len(head) >= MIN_PART else None


@dataclass(frozen=True, slots=True)
class _Form:
    """One way of naming an agency or topic, as match keys."""

    required: tuple[str, ...]
    distinctive: tuple[str, ...]
    country: str
    acronym: str
    partial: bool = False
    """True for forms with generic heads dropped: they need an adjacent country cue."""
    cased: bool = False
    """A one-word name written with a capital ("Uber"): lower case is another word."""


def _agency_triggers(form: _Form) -> tuple[str, ...]:
    """Return the keys of which a text must hold one for the form to match it.

    A form with distinctive keys matches only whole, so its longest distinctive key
    will do; one of concepts alone matches with half its keys and a country, so any.
    """
    if form.distinctive:
        return (max(form.distinctive, key=lambda k: (len(k), k)),)
    return form.required


def _topic_triggers(keys: tuple[str, ...], distinctive: tuple[str, ...]) -> tuple[str, ...]:
    """Return the keys of which a text must hold one for a topic's name to match it.

    A short name needs all its distinctive keys (all its keys when none is), so its
    longest will do; a long one needs one distinctive key, or most of its keys.
    """
    needed = distinctive or keys
    if len(keys) < 4:
        return (max(needed, key=lambda k: (len(k), k)),)
    return needed


def _best_window(positions: Sequence[Sequence[int]], width: int) -> tuple[int, int, int]:
    """Return (matched, start, end) of the window holding most of the required keys.

    `positions` holds, per required key, the word positions that match it.
    """
    best = (0, 0, 0)
    for start in sorted({p for found in positions for p in found}):
        matched = 0
        last = start
        for found in positions:
            inside = next((p for p in found if start <= p < start + width), None)
            if inside is not None:
                matched += 1
                last = max(last, inside)
        if matched > best[0]:
            best = (matched, start, last + 1)
    return best


class AgencyFinder:
    """Find watched agencies by name, alias, acronym or multilingual concept."""

    def __init__(self, agencies: Sequence[Agency], vocabulary: Vocabulary) -> None:
        self._vocabulary = vocabulary
        self._forms: list[tuple[Agency, _Form]] = []
        for agency in agencies:
            for name in (agency.name, *agency.aliases):
                self._forms.extend((agency, form) for form in self._forms_of(name, agency))
        # Only forms a sentence can match are tried: by acronym, or by a trigger key.
        self._by_acronym: dict[str, list[int]] = {}
        self._by_trigger: dict[str, list[int]] = {}
        for slot, (_, form) in enumerate(self._forms):
            if form.acronym:
                self._by_acronym.setdefault(form.acronym, []).append(slot)
            else:
                for key in _agency_triggers(form):
                    self._by_trigger.setdefault(key, []).append(slot)
        self._keys = KeyIndex(key for _, form in self._forms for key in form.required)

    def _forms_of(self, name: str, agency: Agency) -> list[_Form]:
        vocabulary = self._vocabulary
        stripped = name.strip()
        if stripped.isupper() and " " not in stripped and 2 <= len(stripped) <= 6:
            return [_Form((), (), agency.country, acronym=stripped)]
        words = Words.of(name, vocabulary)
        whole: list[str] = []
        split: list[str] = []
        for i, (word, keys) in enumerate(zip(words.folded, words.keys, strict=True)):
            if any(pos == i for pos, _ in words.countries) or word in vocabulary.connectives:
                continue
            whole.append(keys[0])
            split.extend(keys[1:] or keys[:1])
        forms: list[_Form] = []
        for required in {tuple(whole), tuple(split)} if whole else set():
            forms.extend(self._forms_from(required, agency.country))
        if " " not in stripped and stripped[:1].isupper():
            forms = [replace(form, cased=True) for form in forms]
        return forms

    def _forms_from(self, required: tuple[str, ...], country: str) -> list[_Form]:
        distinctive = tuple(k for k in required if not k.startswith("#"))
        forms = [_Form(required, distinctive, country, "")]
        heads = {f"#{h}" for h in self._vocabulary.generic_heads}
        core = tuple(k for k in required if k not in heads)
        if core and len(core) < len(required):
            forms.append(_Form(core, distinctive, country, "", partial=not distinctive))
        return forms

    def find(self, words: Words, report_countries: frozenset[str]) -> list[Mention]:
        """Return the best mention per agency found in words."""
        positions = self._keys.positions(words.keys)
        slots = {slot for key in positions for slot in self._by_trigger.get(key, ())}
        slots.update(slot for raw in set(words.raw) for slot in self._by_acronym.get(raw, ()))
        best: dict[str, Mention] = {}
        for slot in sorted(slots):
            agency, form = self._forms[slot]
            mention = self._match(agency, form, words, report_countries, positions)
            if mention and (
                agency.name not in best or mention.confidence > best[agency.name].confidence
            ):
                best[agency.name] = mention
        return _drop_ambiguous(list(best.values()))

    def _names_another_body(self, form: _Form, words: Words, start: int, end: int) -> bool:
        """Say whether a partial match carries a concept the name lacks.

        "Danish police intelligence" shares "intelligence" with "Danish Defence
        Intelligence Service", but "police" names a different body.
        """
        heads = {f"#{h}" for h in self._vocabulary.generic_heads}
        own = set(form.required) | heads
        for keys in words.keys[max(0, start - ADJACENT) : end + ADJACENT]:
            if any(key.startswith("#") and key not in own for key in keys):
                return True
        return False

    def _match(
        self,
        agency: Agency,
        form: _Form,
        words: Words,
        report_countries: frozenset[str],
        positions: dict[str, list[int]],
    ) -> Mention | None:
        if form.acronym:
            return self._match_acronym(agency, form, words, report_countries)
        matched, start, end = _best_window(
            [positions.get(r, []) for r in form.required], len(form.required) + 2
        )
        if not matched:
            return None
        fraction = matched / len(form.required)
        adjacent = {
            code
            for pos, code in words.places
            if start - ADJACENT <= pos < start or end <= pos < end + ADJACENT
        }
        if adjacent and form.country and form.country not in adjacent:
            return None
        has_country = form.country in adjacent
        if fraction < 1.0:
            if has_country and fraction >= 0.5 and not form.distinctive:
                if self._names_another_body(form, words, start, end):
                    return None
                return Mention(agency.name, start, end, 0.75)
            return None
        if has_country:
            return Mention(agency.name, start, end, 1.0)
        if form.partial:
            return None
        if form.distinctive:
            if form.cased and not words.raw[start][:1].isupper():
                return None  # "über" is a German word, "Uber" a company
            return Mention(agency.name, start, end, 0.95)
        if not form.country or form.country in report_countries:
            return Mention(agency.name, start, end, 0.85)
        if not report_countries and not set(form.required) <= HEADS:
            # No country anywhere in the report: "de nationale politie" and
            # "Belastingdienst" are specific enough to name the watched body; a bare
            # "the police" or "the ministry" names none.
            return Mention(agency.name, start, end, 0.7)
        return None

    def _match_acronym(
        self, agency: Agency, form: _Form, words: Words, report_countries: frozenset[str]
    ) -> Mention | None:
        for i, raw in enumerate(words.raw):
            if raw != form.acronym:
                continue
            if (
                form.acronym in self._vocabulary.news_agencies
                and form.country not in report_countries
            ):
                continue
            return Mention(agency.name, i, i + 1, 0.9)
        return None


class TopicFinder:
    """Find watched topics by name or alias, tolerating inflection and word order."""

    def __init__(self, topics: Sequence[Topic], vocabulary: Vocabulary) -> None:
        self._forms: list[tuple[Topic, tuple[str, ...], tuple[str, ...], str]] = []
        self._by_acronym: dict[str, list[int]] = {}
        self._by_trigger: dict[str, list[int]] = {}
        generic = vocabulary.generic_topic_words
        for topic in topics:
            for name in (topic.name, *topic.aliases):
                pairs = word_pairs(name)
                keys = tuple(stem(f) for f, _ in pairs if f not in vocabulary.connectives)
                if not keys:
                    continue
                distinctive = tuple(
                    stem(f)
                    for f, _ in pairs
                    if f not in generic and f not in vocabulary.connectives
                )
                stripped = name.strip()
                acronym = stripped if stripped.isupper() and " " not in stripped else ""
                slot = len(self._forms)
                self._forms.append((topic, keys, distinctive, acronym))
                if acronym:
                    self._by_acronym.setdefault(acronym, []).append(slot)
                else:
                    for key in _topic_triggers(keys, distinctive):
                        self._by_trigger.setdefault(key, []).append(slot)
        self._keys = KeyIndex(key for _, keys, _, _ in self._forms for key in keys)

    def find(self, words: Words) -> list[Mention]:
        best: dict[str, Mention] = {}
        stems = tuple(stem(w) for w in words.folded)
        positions = self._keys.positions([(s,) for s in stems])
        slots = {slot for key in positions for slot in self._by_trigger.get(key, ())}
        slots.update(slot for raw in set(words.raw) for slot in self._by_acronym.get(raw, ()))
        for slot in sorted(slots):
            topic, keys, distinctive, acronym = self._forms[slot]
            mention = _match_topic(topic, keys, distinctive, acronym, words, stems, positions)
            if mention and (
                topic.name not in best or mention.confidence > best[topic.name].confidence
            ):
                best[topic.name] = mention
        return list(best.values())


def _match_topic(
    topic: Topic,
    keys: tuple[str, ...],
    distinctive: tuple[str, ...],
    acronym: str,
    words: Words,
    stems: tuple[str, ...],
    positions: dict[str, list[int]],
) -> Mention | None:
    if acronym:
        for i, raw in enumerate(words.raw):
            if raw == acronym:
                return Mention(topic.name, i, i + 1, 1.0)
        return None
    matched, start, end = _best_window([positions.get(k, []) for k in keys], 2 * len(keys) + 3)
    if not matched:
        return None
    window = stems[start:end]
    found = sum(1 for d in distinctive if any(same(d, w) for w in window))
    fraction = matched / len(keys)
    if fraction == 1.0:
        return Mention(topic.name, start, end, 1.0)
    if len(keys) >= 4:
        good = fraction >= 0.6 and (found >= 1 or not distinctive)
    else:
        # Half a short name will do only when what matched is written as a name
        # ("Clearview" for "Clearview AI"), not an ordinary word that shares its stem.
        named = any(
            same(d, stems[i]) and words.raw[i][:1].isupper()
            for d in distinctive
            for i in range(start, end)
        )
        good = named and found == len(distinctive) and fraction >= 0.5
    return Mention(topic.name, start, end, 0.8) if good else None


def _drop_ambiguous(mentions: list[Mention]) -> list[Mention]:
    """Keep, among mentions over the same words, the single most confident one."""
    kept: list[Mention] = []
    contested: list[tuple[int, int]] = []
    for mention in sorted(mentions, key=lambda m: -m.confidence):
        if any(a < mention.end and mention.start < b for a, b in contested):
            continue  # words two agencies claim equally name neither of them
        rivals = [k for k in kept if k.start < mention.end and mention.start < k.end]
        if not rivals:
            kept.append(mention)
        elif any(r.confidence == mention.confidence for r in rivals):
            kept = [k for k in kept if k not in rivals]
            contested.extend((r.start, r.end) for r in rivals)
            contested.append((mention.start, mention.end))
    return sorted(kept, key=lambda m: m.start)


def report_countries(words: Sequence[Words]) -> frozenset[str]:
    return frozenset(code for w in words for _, code in w.places)


def watch_names(watchlist: Watchlist) -> set[str]:
    return {fold(a.name) for a in watchlist.agencies} | {fold(t.name) for t in watchlist.topics}
