"""Light suffix stripping shared by English, Dutch, French and German.

Reports often arrive without a reliable language, so one conservative rule set serves
all four: strip at most one inflectional suffix, never below a stem of four letters.
Query and store go through the same function, so only consistency matters.
"""

from __future__ import annotations

from functools import lru_cache

_MIN_STEM = 4

# Longest first. Accents are already folded away ("ée" -> "ee").
_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            # English
            "ational",
            "ations",
            "ation",
            "ments",
            "ment",
            "ings",
            "ing",
            "ies",
            "ied",
            "edly",
            "ers",
            "ed",
            "es",
            "ly",
            "s",
            # Dutch
            "heden",
            "heid",
            "ingen",
            "elijk",
            "lijk",
            "isch",
            "den",
            "ten",
            "en",
            "e",
            # French
            "ements",
            "ement",
            "euses",
            "euse",
            "eux",
            "ees",
            "ee",
            "ives",
            "ive",
            "ifs",
            "if",
            "ites",
            "ite",
            "iques",
            "ique",
            "aux",
            "er",
            "ez",
            "ent",
            # German
            "ungen",
            "ung",
            "keit",
            "lichen",
            "liche",
            "lich",
            "isches",
            "ische",
            "em",
            "ern",
        },
        key=lambda suffix: (-len(suffix), suffix),
    )
)

_REPLACEMENTS = {"ies": "y", "ied": "y", "aux": "al"}


@lru_cache(maxsize=262_144)
def stem(token: str) -> str:
    """Strip one inflectional suffix from a folded token."""
    if len(token) <= _MIN_STEM or not token.isalpha():
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= _MIN_STEM - (
            1 if suffix in _REPLACEMENTS else 0
        ):
            base = token[: -len(suffix)] + _REPLACEMENTS.get(suffix, "")
            return base[:-1] if len(base) > _MIN_STEM and base[-1] == base[-2] else base
    return token
