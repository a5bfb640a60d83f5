"""Text normalisation, tokens, sentences and clauses for the four languages."""

from __future__ import annotations

import re
import unicodedata

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
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "gen",
        "lt",
        "col",
        "sgt",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "vs",
        "etc",
        "nr",
        "dhr",
        "mevr",
        "mme",
        "mlle",
        "hr",
        "fr",
        "bzw",
        "ca",
        "vgl",
        "z",
        "b",
        "u",
        "s",
        "e",
        "g",
        "i",
        "a",
        "approx",
        "dept",
        "gov",
        "sen",
        "rep",
    ]
)
_SENTENCE_END = re.compile(r"([.!?]+[\"')\]]*)(\s+)(?=[\"'(\[]?[^\W\d_])|\n\s*\n|\n", re.UNICODE)


def fold(text: str) -> str:
    """Return text case-folded, with accents stripped and typography made plain."""
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


_SUFFIXES = tuple(
    sorted(
        {
            "ischen",
            "ungen",
            "ierte",
            "ieren",
            "ement",
            "ments",
            "ation",
            "ingen",
            "ische",
            "ischer",
            "isches",
            "heden",
            "aient",
            "erait",
            "ung",
            "ing",
            "ies",
            "ied",
            "ers",
            "ern",
            "end",
            "ent",
            "est",
            "ste",
            "ten",
            "den",
            "sche",
            "ion",
            "ed",
            "es",
            "en",
            "er",
            "em",
            "te",
            "de",
            "e",
            "s",
            "n",
            "t",
        },
        key=lambda suffix: (-len(suffix), suffix),
    )
)


def stem(token: str) -> str:
    """Strip one common inflectional suffix (en/nl/fr/de); keep at least four letters."""
    if len(token) <= 4 or not token.isalpha():
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)]
    return token


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences, keeping abbreviations and decimals intact."""
    text = (
        unicodedata.normalize("NFKC", text)
        .translate(_QUOTES)
        .replace("\r\n", "\n")
        .replace("\r", "\n")
    )
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(1):
            before = text[start : match.start(1)].rsplit(None, 1)
            last_word = fold(before[-1]).strip("\"'(") if before else ""
            following = text[match.end() : match.end() + 2].lstrip("\"'(\u201c\u201e\u00ab[ ")
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
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
