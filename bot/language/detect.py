"""Guess a text's language from its most common words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.language.lexicon import Lexicon

MIN_HITS = 3


def detect_language(words: Sequence[str], lexicons: Mapping[str, Lexicon], hint: str | None) -> str:
    """Return the language whose stopwords cover most words; trust the hint when unsure."""
    hint = (hint or "").casefold()[:2]
    scores = {code: sum(1 for w in words if w in lex.stopwords) for code, lex in lexicons.items()}
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if hint in lexicons and (best_score < MIN_HITS or scores[hint] * 1.5 >= best_score):
        return hint
    if best_score < MIN_HITS and best_score <= runner_up:
        return hint if hint in lexicons else "en"
    return best
