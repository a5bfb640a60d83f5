"""Guess a text's language from its common words and its cue words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from bot.core.language.lexicon import Lexicon

HINT_MARGIN = 1.5


class LanguageGuesser:
    """Score languages by their stopwords and by cue words no other language uses."""

    def __init__(self, lexicons: Mapping[str, Lexicon]) -> None:
        cue_words = {
            code: {part for ps in lex.cues.values() for p in ps for part in p.parts if part}
            for code, lex in lexicons.items()
        }
        owners = Counter(word for words in cue_words.values() for word in words)
        self._marks: dict[str, set[str]] = {}
        for code, lexicon in lexicons.items():
            own = {word for word in cue_words[code] if owners[word] == 1}
            for word in set(lexicon.stopwords) | own:
                self._marks.setdefault(word, set()).add(code)
        self._languages = tuple(lexicons)

    def scores(self, words: Sequence[str]) -> dict[str, int]:
        """Count, per language, the words that mark it."""
        scores = dict.fromkeys(self._languages, 0)
        for word in words:
            for code in self._marks.get(word, ()):
                scores[code] += 1
        return scores

    def guess(self, words: Sequence[str], hint: str | None) -> str:
        """Return the language that best covers the words; keep the hint unless it loses."""
        hint = (hint or "").casefold()[:2]
        known = hint if hint in self._languages else ""
        scores = self.scores(words)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        if not ranked or ranked[0][1] == 0:
            return known or ("en" if "en" in self._languages or not ranked else ranked[0][0])
        best, best_score = ranked[0]
        if known and scores[known] * HINT_MARGIN >= best_score:
            return known
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        if best_score == runner_up and known:
            return known
        return best


def detect_language(words: Sequence[str], lexicons: Mapping[str, Lexicon], hint: str | None) -> str:
    """Return the language of the words, trusting the hint unless it clearly loses."""
    return LanguageGuesser(lexicons).guess(words, hint)
