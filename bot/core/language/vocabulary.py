"""Multilingual vocabulary: concepts of agency names, country cues, generic words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.language.lexicon import Phrase
from bot.core.language.practices import PracticeLexicon
from bot.core.language.text import fold, stem


@dataclass(frozen=True, slots=True)
class Vocabulary:
    concepts: Mapping[str, str]
    """Folded word -> concept id, for words that name part of an agency."""
    generic_heads: frozenset[str]
    connectives: frozenset[str]
    country_words: Mapping[str, str]
    """Folded single word -> ISO country code."""
    country_phrases: tuple[tuple[Phrase, str], ...]
    country_acronyms: Mapping[str, str]
    """Case-sensitive acronyms (US, UK) -> ISO country code."""
    generic_topic_words: frozenset[str]
    news_agencies: frozenset[str]
    city_words: Mapping[str, str] = field(default_factory=dict)
    """Folded city name -> ISO country code: a cue for the country, never part of a name."""
    practices: PracticeLexicon = field(default_factory=lambda: PracticeLexicon.from_mapping({}))
    """Practice concepts across languages, for propositions."""
    compounds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Folded word -> the concepts it names at once ("kriminalamt": criminal police office)."""
    bodies: Mapping[str, tuple[tuple[Phrase, str], ...]] = field(default_factory=dict)
    """National bodies whose own name says their country ("federale politie": BE), by
    their first word."""

    @classmethod
    def from_mappings(
        cls,
        concepts: Mapping[str, object],
        countries: Mapping[str, object],
        practices: Mapping[str, object] | None = None,
    ) -> Vocabulary:
        concept_of: dict[str, str] = {}
        table = concepts["concepts"]
        assert isinstance(table, dict)
        for concept, words in table.items():
            for word in words:
                concept_of[fold(word)] = concept
        country_words: dict[str, str] = {}
        phrases: list[tuple[Phrase, str]] = []
        acronyms: dict[str, str] = {}
        country_table = countries["countries"]
        assert isinstance(country_table, dict)
        for code, words in country_table.items():
            for word in words:
                if word.isupper() or ("." in word and word.upper() == word):
                    acronyms[word.replace(".", "")] = code
                elif " " in word or "-" in word:
                    phrases.append((Phrase.parse(word), code))
                else:
                    country_words[fold(word)] = code
        return cls(
            concepts=concept_of,
            generic_heads=frozenset(_strings(concepts, "generic_heads")),
            connectives=frozenset(fold(w) for w in _strings(concepts, "connectives")),
            country_words=country_words,
            country_phrases=tuple(phrases),
            country_acronyms=acronyms,
            generic_topic_words=frozenset(
                fold(w) for w in _strings(concepts, "generic_topic_words")
            ),
            news_agencies=frozenset(_strings(concepts, "news_agencies")),
            city_words=_cities(countries),
            practices=PracticeLexicon.from_mapping(practices or {}),
            compounds=_compounds(concepts),
            bodies=_bodies(countries),
        )

    def concept(self, word: str) -> str | None:
        found = self.concepts.get(word)
        if found is None and len(word) > 5:
            found = self.concepts.get(stem(word))
        return found

    def countries_in(self, words: Sequence[str], raw_words: Sequence[str]) -> list[tuple[int, str]]:
        """Return (position, code) for each country cue in a token list."""
        found = [(i, self.country_words[w]) for i, w in enumerate(words) if w in self.country_words]
        for phrase, code in self.country_phrases:
            found.extend((start, code) for start, _ in phrase.find(words))
        acronyms = {w.replace(".", ""): code for w, code in self.country_acronyms.items()}
        found.extend((i, acronyms[w]) for i, w in enumerate(raw_words) if w in acronyms)
        return sorted(found)

    def bodies_in(self, words: Sequence[str]) -> list[tuple[int, int, str]]:
        """Return (start, end, code) for each national body named by its own name."""
        found = []
        for start, word in enumerate(words):
            for phrase, code in self.bodies.get(word, ()):
                end = phrase.end_at(words, start)
                if end is not None:
                    found.append((start, end, code))
        return found

    def cities_in(self, words: Sequence[str]) -> list[tuple[int, str]]:
        """Return (position, code) for each city that points to a country."""
        return [(i, self.city_words[w]) for i, w in enumerate(words) if w in self.city_words]


def _cities(countries: Mapping[str, object]) -> dict[str, str]:
    table = countries.get("cities", {})
    assert isinstance(table, dict)
    return {fold(city): str(code) for code, cities in table.items() for city in cities}


def _compounds(concepts: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    table = concepts.get("compounds", {})
    assert isinstance(table, dict)
    return {fold(word): tuple(f"#{c}" for c in names) for word, names in table.items()}


def _bodies(countries: Mapping[str, object]) -> dict[str, tuple[tuple[Phrase, str], ...]]:
    table = countries.get("bodies", {})
    assert isinstance(table, dict)
    index: dict[str, list[tuple[Phrase, str]]] = {}
    for code, names in table.items():
        for name in names:
            # A name's last word inflected ("des Bundesnachrichtendienstes") names it too.
            for form in (name, f"{name}s", f"{name}es"):
                phrase = Phrase.parse(form)
                if phrase.parts and phrase.parts[0] is not None:
                    index.setdefault(phrase.parts[0], []).append((phrase, str(code)))
    return {first: tuple(entries) for first, entries in index.items()}


def _strings(data: Mapping[str, object], key: str) -> list[str]:
    value = data.get(key, [])
    assert isinstance(value, list)
    return [str(v) for v in value]
