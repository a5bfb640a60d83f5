"""Text normalisation for matching: fold case and accents, tokenise, drop stopwords, stem."""

from __future__ import annotations

import re
import unicodedata

from bot.core.matching.stemming import stem
from bot.core.matching.stopwords import STOPWORDS

_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S*", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_TOKEN = re.compile(r"[^\W_]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Casefold a text and strip its accents."""
    if text.isascii():
        return text.casefold()
    # Decompose first: compatibility forms (mathematical letters, ligatures) fold only then.
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKD", stripped.casefold())


def _split_hashtag(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(1)) + " "


def clean(text: str) -> str:
    """Remove links and handles, split camel-case hashtags, fold and squeeze spaces."""
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _HASHTAG.sub(_split_hashtag, text)
    return _SPACES.sub(" ", fold(text)).strip()


def terms(text: str) -> list[str]:
    """Return the index terms of a text: folded, tokenised, without stopwords, stemmed."""
    return [
        stem(token)
        for token in _TOKEN.findall(clean(text))
        if token not in STOPWORDS and (len(token) > 1 or token.isdigit())
    ]
