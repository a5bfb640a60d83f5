"""Index terms of the matcher, read through the shared text stack.

Folding, tokens, stopwords and stems come from `bot.core.language.text`, the same
functions the language rules use; only what is peculiar to searching claims lives
here: links are dropped, handles and hashtags split into their words, the stopwords of the text's
language are dropped but negations stay terms (a denial and an affirmation differ
by them), and each word is stemmed with the Snowball stemmer of that language.
"""

from __future__ import annotations

import re
from functools import cache

from bot.core.language.detect import LanguageGuesser
from bot.core.language.resources import load_lexicons
from bot.core.language.text import snowball, stopwords, tokens

_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S*", re.IGNORECASE)
_TAG = re.compile(r"[@#](\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@cache
def _guesser() -> LanguageGuesser:
    return LanguageGuesser(load_lexicons())


def _split_tag(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(1)) + " "


def _plain(text: str) -> str:
    # A handle names who a post is by or about ("@JoeBiden", "@realDonaldTrump"): its
    # words count like the name written out (CheckThat! train + dev MAP@5 +0.02).
    return _TAG.sub(_split_tag, _URL.sub(" ", text))


def analyse(text: str, language: str | None = None) -> tuple[list[str], str]:
    """Return a text's index terms and the surface rapidfuzz compares, tokenising once.

    Terms are the folded words without the stopwords of the text's language, stemmed
    with its Snowball stemmer; without a language the text's own words decide it
    (English stands unless another language clearly wins, since a short query often
    has too few words to tell). The surface is the folded words: typographic quotes
    and dashes would otherwise count as differences between two tellings of a claim.
    """
    words = tokens(_plain(text))
    language = language or _guesser().guess(words, "en")
    dropped = stopwords(language, negations=False)
    found = [
        snowball(word, language)
        for word in words
        if word not in dropped and (len(word) > 1 or word.isdigit())
    ]
    return found, " ".join(words)


def clean(text: str) -> str:
    """Remove links, split camel-case handles and hashtags; return the folded words."""
    return analyse(text, "en")[1]


def terms(text: str, language: str | None = None) -> list[str]:
    """Return the index terms of a text (see `analyse`)."""
    return analyse(text, language)[0]
