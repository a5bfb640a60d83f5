"""The one text stack of the four languages: fold, tokens, sentences, stems, stopwords.

The language rules and the claim matcher both read text through this module; the
per-language word lists (stopwords, abbreviations) live in the lexicon files.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import Stemmer  # type: ignore[import-not-found]  # PyStemmer ships no type stubs

from bot.core.domain import LANGUAGES
from bot.core.language.shipped import read_language_file

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2039": '"',
        "\u203a": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_SENTENCE_END = re.compile(r"([.!?]+[\"')\]]*)(\s+)(?=[\"'(\[]?[^\W\d_])|\n\s*\n|\n", re.UNICODE)


def fold(text: str) -> str:
    """Return text case-folded, with accents stripped and typography made plain."""
    if text.isascii():
        # ASCII is stable under NFKC and NFKD and has no quotes to translate.
        return text.casefold()
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_NEGATED = {"can": "can", "won": "will", "shan": "shall"}
"""English negative contractions whose verb is not the head minus its n ("don't": "do")."""


def word_pairs(text: str) -> list[tuple[str, str]]:
    """Split text into (folded, original) word pairs; elisions (l', d', n') split off."""
    plain = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    out: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(plain):
        raw = match.group(0)
        head, sep, tail = raw.partition("'")
        if sep and len(head) <= 2 and tail:
            out.extend(((fold(head), head), (fold(tail), tail)))
        elif sep and tail.casefold() == "t" and head.casefold().endswith("n"):
            verb = _NEGATED.get(fold(head), fold(head)[:-1])
            out.extend(((verb, head), ("not", "not")))
        elif sep and tail.casefold() in ("s", "t"):
            out.append((fold(head), head))
        else:
            word = raw.replace("'", "")
            out.append((fold(word), word))
    return out


def tokens(text: str) -> list[str]:
    """Split text into folded word tokens."""
    return [folded for folded, _ in word_pairs(text)]


@lru_cache(maxsize=1 << 16)
def stem(token: str) -> str:
    """Strip one common inflectional suffix (en/nl/fr/de); keep at least four letters."""
    if len(token) <= 4 or not token.isalpha():
        return token
    for suffix in suffixes():
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)]
    return token


SNOWBALL = {"en": "english", "nl": "dutch", "fr": "french", "de": "german"}
"""The Snowball stemmer of each language."""


@cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(SNOWBALL.get(language, "english"))


def snowball(word: str, language: str) -> str:
    """Return the Snowball stem of a folded word in the given language."""
    return str(_stemmer(language).stemWord(word))


def _word_list(key: str, language: str) -> frozenset[str]:
    entries = read_language_file(f"{language}.json").get(key, [])
    if not isinstance(entries, list):
        raise ValueError(f"lexicon {language}: {key} must be a list")
    return frozenset(fold(str(entry)) for entry in entries)


@cache
def stopwords(language: str | None = None, *, negations: bool = True) -> frozenset[str]:
    """Return the folded stopwords of one language, or of all four when None.

    With negations=False the one-word negation cues ("not", "niet", "pas") are left
    out: where content words are compared, a denial and an affirmation differ by them.
    """
    if not negations:
        return stopwords(language) - negation_words()
    if language is not None:
        return _word_list("stopwords", language)
    return frozenset().union(*(stopwords(code) for code in LANGUAGES))


@cache
def negation_words() -> frozenset[str]:
    """Return the one-word negation cues of all four languages ("not", "niet", "pas")."""
    words = frozenset().union(*(_word_list("negation", code) for code in LANGUAGES))
    return frozenset(word for word in words if " " not in word)


@cache
def shipped_words(key: str) -> frozenset[str]:
    """Return a word list of all four lexicons as written (not folded), e.g. speaker roles."""
    found: set[str] = set()
    for code in LANGUAGES:
        entries = read_language_file(f"{code}.json").get(key, [])
        if not isinstance(entries, list):
            raise ValueError(f"lexicon {code}: {key} must be a list")
        found.update(str(entry) for entry in entries)
    return frozenset(found)


@cache
def suffixes() -> tuple[str, ...]:
    """Return the inflectional suffixes `stem` strips, longest first (all four languages)."""
    found = frozenset().union(*(_word_list("suffixes", code) for code in LANGUAGES))
    return tuple(sorted(found, key=lambda suffix: (-len(suffix), suffix)))


@cache
def abbreviations() -> frozenset[str]:
    """Return the folded abbreviations of all four languages (a period after them goes on)."""
    return frozenset().union(*(_word_list("abbreviations", code) for code in LANGUAGES))


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences, keeping abbreviations and decimals intact."""
    text = (
        unicodedata.normalize("NFKC", text)
        .translate(_QUOTES)
        .replace("\r\n", "\n")
        .replace("\r", "\n")
    )
    known = abbreviations()
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(1):
            before = text[start : match.start(1)].rsplit(None, 1)
            last_word = fold(before[-1]).strip("\"'(") if before else ""
            following = text[match.end() : match.end() + 2].lstrip("\"'(\u201c\u201e\u00ab[ ")
            if last_word in known or (len(last_word) == 1 and last_word.isalpha()):
                continue
            if following and not (following[0].isupper() or following[0].isdigit()):
                continue
            end = match.end(1)
        else:
            end = match.start()
        piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces
