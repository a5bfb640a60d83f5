"""Index terms of the matcher, read through the shared text stack.

Folding, tokens, stopwords and stems come from `bot.core.language.text`, the same
functions the language rules use; only what is peculiar to searching claims lives
here: links, handles and hashtags are dropped or split, the stopwords of the text's
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
_HANDLE = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@cache
def _guesser() -> LanguageGuesser:
    return LanguageGuesser(load_lexicons())


def _split_hashtag(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(1)) + " "


def _plain(text: str) -> str:
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    return _HASHTAG.sub(_split_hashtag, text)


def clean(text: str) -> str:
    """Remove links and handles, split camel-case hashtags; return the folded words.

    This is the surface rapidfuzz compares, so punctuation goes: typographic quotes
    and dashes would otherwise count as differences between two tellings of a claim.
    """
    return " ".join(tokens(_plain(text)))


def terms(text: str, language: str | None = None) -> list[str]:
    """Return the index terms of a text: folded words without stopwords, Snowball-stemmed.

    Without a language the text's own words decide it; English stands unless another
    language clearly wins, since a short query often has too few words to tell.
    """
    words = tokens(_plain(text))
    language = language or _guesser().guess(words, "en")
    dropped = stopwords(language, negations=False)
    return [
        snowball(word, language)
        for word in words
        if word not in dropped and (len(word) > 1 or word.isdigit())
    ]
