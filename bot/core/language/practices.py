"""Practices across languages: words that name the same conduct map to one concept."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.language.lexicon import Phrase
from bot.core.language.text import SNOWBALL, fold, snowball

MIN_COMPOUND_PART = 5
"""A listed form this long also matches at the start or end of a compound word."""
MAX_COMPOUND = 40
"""Longer words are not split: splitting costs time in their length."""
COMPOUNDING = frozenset({"de", "nl"})


@dataclass(frozen=True, slots=True)
class ConceptHit:
    concept: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PracticeLexicon:
    """Folded surface forms (and their stems) of each practice concept, per language."""

    words: Mapping[str, str]
    """Folded single word -> concept, all languages together."""
    stems: Mapping[tuple[str, str], str]
    """(language, Snowball stem) -> concept."""
    phrases: tuple[tuple[Phrase, str], ...]
    weak: frozenset[str]
    compound_heads: Mapping[str, str]
    """Forms of at least MIN_COMPOUND_PART letters, for compound words."""
    related: Mapping[str, str] = field(default_factory=dict)
    """Concept -> the family of kindred practices it belongs to ("drone" -> "air")."""
    by_first: Mapping[str, tuple[tuple[int, Phrase, str], ...]] = field(default_factory=dict)
    """Phrases by their first word: a text only tries the phrases that can start in it."""
    by_language: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Language -> folded single word -> concept: a German "Bericht" is a report, not
    the Dutch "bericht" (a message)."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> PracticeLexicon:
        table = data.get("concepts", {})
        assert isinstance(table, dict)
        words: dict[str, str] = {}
        by_language: dict[str, dict[str, str]] = {}
        stems: dict[tuple[str, str], str] = {}
        phrases: list[tuple[Phrase, str]] = []
        weak: set[str] = set()
        for concept, entry in table.items():
            assert isinstance(entry, dict)
            if entry.get("weak"):
                weak.add(concept)
            for language in SNOWBALL:
                for form in entry.get(language, []):
                    folded = fold(str(form)).replace("-", " ").strip()
                    if " " in folded:
                        phrases.append((Phrase.parse(folded), concept))
                        continue
                    words.setdefault(folded, concept)
                    by_language.setdefault(language, {}).setdefault(folded, concept)
                    stems.setdefault((language, snowball(folded, language)), concept)
        plain = data.get("plain", {})
        assert isinstance(plain, dict)
        for language, forms in plain.items():
            for form in forms:
                by_language.setdefault(language, {})[fold(str(form))] = ""
        heads = {w: c for w, c in words.items() if len(w) >= MIN_COMPOUND_PART}
        families = data.get("related", {})
        assert isinstance(families, dict)
        related = {c: family for family, members in families.items() for c in members}
        by_first: dict[str, list[tuple[int, Phrase, str]]] = {}
        for index, (phrase, concept) in enumerate(phrases):
            first = phrase.parts[0] if phrase.parts else None
            if first is not None:
                by_first.setdefault(first, []).append((index, phrase, concept))
        return cls(
            words,
            stems,
            tuple(phrases),
            frozenset(weak),
            heads,
            related,
            {first: tuple(group) for first, group in by_first.items()},
            by_language,
        )

    def concept_of(self, word: str, language: str) -> str | None:
        """Return the concept a folded word names, through its form, stem or compound."""
        # The text's own language first: a German "Bericht" is a report, no "bericht"
        # (a Dutch message); a word of its own that names nothing maps to "".
        own = self.by_language.get(language, {}).get(word)
        if own == "":
            return None
        found = own or self.words.get(word) or self.stems.get((language, snowball(word, language)))
        if (
            found
            or language not in COMPOUNDING
            or not 2 * MIN_COMPOUND_PART - 1 <= len(word) <= MAX_COMPOUND
            or not word.isalpha()
        ):
            return found
        # German and Dutch compounds: the head is the last part, the modifier the first.
        for cut in range(len(word) - MIN_COMPOUND_PART, MIN_COMPOUND_PART - 1, -1):
            tail = self.compound_heads.get(word[cut:])
            if tail:
                return tail
        for cut in range(len(word) - MIN_COMPOUND_PART + 1, MIN_COMPOUND_PART - 1, -1):
            head = self.compound_heads.get(word[:cut])
            if head:
                return head
        return None

    def hits(
        self, words: Sequence[str], language: str, blocked: Iterable[int] = ()
    ) -> list[ConceptHit]:
        """Return the concepts named in a folded word sequence, phrases first.

        No phrase spans a `blocked` position (a name), so its other words still count.
        """
        blocked = set(blocked)
        taken: set[int] = set(blocked)
        found: list[ConceptHit] = []
        # In lexicon order, as if every phrase were tried: the first to claim words wins.
        candidates = sorted(
            (entry for word in set(words) for entry in self.by_first.get(word, ())),
            key=lambda entry: entry[0],
        )
        for _, phrase, concept in candidates:
            for start, end in phrase.find(words):
                if not taken.intersection(range(start, end)):
                    taken.update(range(start, end))
                    found.append(ConceptHit(concept, start, end))
        for i, word in enumerate(words):
            if i in taken or len(word) < 3:
                continue
            named = self.concept_of(word, language)
            if named:
                found.append(ConceptHit(named, i, i + 1))
        return sorted(found, key=lambda h: h.start)
