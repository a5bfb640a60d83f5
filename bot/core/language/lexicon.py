"""Cue lexicons: phrases per language, compiled for matching on folded tokens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.language.text import tokens

GAP = "..."
MAX_GAP = 5
CUE_KINDS = (
    "deny",
    "affirm",
    "hedge",
    "negation",
    "action",
    "attribution",
    "retold",
    "cessation",
    "qualifier",
    "allegation",
    "question",
    "answer_no",
    "reversal",
    "agency_anaphora",
    "topic_anaphora",
    "clause_breaks",
    "complement",
    "accusation",
    "calendar",
    "calendar_capitalised",
    "finding",
    "since",
    "nominal",
    "person_role",
    "possessive",
    "third_party",
    "source_verb",
    "source_preposition",
    "source_opening",
    "certainty",
)


@dataclass(frozen=True, slots=True)
class Phrase:
    """A cue phrase: token patterns, where None stands for a gap of up to MAX_GAP tokens."""

    text: str
    parts: tuple[str | None, ...]

    @classmethod
    def parse(cls, text: str) -> Phrase:
        parts: list[str | None] = []
        for chunk in text.split(GAP):
            if parts:
                parts.append(None)
            parts.extend(tokens(chunk))
        return cls(text=text, parts=tuple(parts))

    def find(self, words: Sequence[str]) -> list[tuple[int, int]]:
        """Return (start, end) spans where the phrase occurs in words."""
        found: list[tuple[int, int]] = []
        if not self.parts or self.parts[0] is None:
            return found
        for start, word in enumerate(words):
            if word == self.parts[0]:
                end = self.end_at(words, start)
                if end is not None:
                    found.append((start, end))
        return found

    def end_at(self, words: Sequence[str], start: int) -> int | None:
        """Return where the phrase ends when it occurs at `start`, whose word is its first."""
        return _match_from(self.parts, 1, words, start + 1)


def _match_from(parts: Sequence[str | None], i: int, words: Sequence[str], pos: int) -> int | None:
    if i == len(parts):
        return pos
    part = parts[i]
    if part is None:
        for skip in range(MAX_GAP + 1):
            end = _match_from(parts, i + 1, words, pos + skip)
            if end is not None:
                return end
        return None
    if pos < len(words) and words[pos] == part:
        return _match_from(parts, i + 1, words, pos + 1)
    return None


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The cue phrases of one language."""

    language: str
    stopwords: frozenset[str]
    cues: Mapping[str, tuple[Phrase, ...]]

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Lexicon:
        language = str(data["language"])
        stopwords = data.get("stopwords", [])
        if not isinstance(stopwords, list):
            raise ValueError(f"lexicon {language}: stopwords must be a list")
        cues: dict[str, tuple[Phrase, ...]] = {}
        for kind in CUE_KINDS:
            entries = data.get(kind, [])
            if not isinstance(entries, list):
                raise ValueError(f"lexicon {language}: {kind} must be a list")
            cues[kind] = tuple(Phrase.parse(str(e)) for e in entries if tokens(str(e)))
        return cls(language=language, stopwords=frozenset(map(str, stopwords)), cues=cues)

    def spans(self, kind: str, words: Sequence[str]) -> list[tuple[int, int]]:
        """Return every span in words where a cue of this kind occurs."""
        out: list[tuple[int, int]] = []
        for phrase in self.cues.get(kind, ()):
            out.extend(phrase.find(words))
        return sorted(out)

    def has(self, kind: str, words: Sequence[str]) -> bool:
        return any(phrase.find(words) for phrase in self.cues.get(kind, ()))
