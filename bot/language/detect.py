"""Guess a text's language from its common words and its cue words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from bot.language.lexicon import Lexicon

HINT_MARGIN = 1.5


def _cue_words(lexicon: Lexicon) -> set[str]:
    return {part for phrases in lexicon.cues.values() for p in phrases for part in p.parts if part}


def language_scores(words: Sequence[str], lexicons: Mapping[str, Lexicon]) -> dict[str, int]:
    """Count, per language, the words that are its stopwords or cue words of it alone."""
    cue_words = {code: _cue_words(lex) for code, lex in lexicons.items()}
    owners: Counter[str] = Counter(w for vocabulary in cue_words.values() for w in vocabulary)
    scores = dict.fromkeys(lexicons, 0)
    for word in words:
        for code, lexicon in lexicons.items():
            if word in lexicon.stopwords or (word in cue_words[code] and owners[word] == 1):
                scores[code] += 1
    return scores


def detect_language(words: Sequence[str], lexicons: Mapping[str, Lexicon], hint: str | None) -> str:
    """Return the language that best covers the words; keep the hint unless it clearly loses."""
    hint = (hint or "").casefold()[:2]
    known = hint if hint in lexicons else ""
    scores = language_scores(words, lexicons)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    if not ranked or ranked[0][1] == 0:
        return known or "en"
    best, best_score = ranked[0]
    if known and scores[known] * HINT_MARGIN >= best_score:
        return known
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if best_score == runner_up and known:
        return known
    return best
