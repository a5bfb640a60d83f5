"""Agency and topic names as people type them: one clean form, one key, one skeleton.

A name is normalised before it is stored or compared (NFKC, so fullwidth and styled
letters become plain ones; zero-width and bidi controls removed; spaces collapsed).
Two names whose skeletons agree look the same on screen (Cyrillic "Роlice" and Latin
"Police"): the second is refused, naming the first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Zero-width characters, joiners, the BOM and every bidi control: invisible, and able
# to make two names that look identical compare different.
_INVISIBLE = dict.fromkeys(
    [
        0x00AD,  # soft hyphen
        0x034F,  # combining grapheme joiner
        0x061C,  # arabic letter mark
        0x180E,  # mongolian vowel separator
        *range(0x200B, 0x2010),  # zero-width space, non-joiner, joiner, LRM, RLM
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2060, 0x2070),  # word joiner, invisible operators, bidi isolates
        0xFEFF,  # byte-order mark, zero-width no-break space
    ]
)
_SPACES = re.compile(r"\s+")

# Letters of other scripts that render like Latin ones (from Unicode's confusables.txt,
# the common Cyrillic, Greek and Armenian cases, lower case after casefold).
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a",
        "в": "b",
        "с": "c",
        "ԁ": "d",
        "е": "e",
        "һ": "h",
        "і": "i",
        "ј": "j",
        "к": "k",
        "ӏ": "l",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "ԛ": "q",
        "г": "r",
        "ѕ": "s",
        "т": "t",
        "ц": "u",
        "ѵ": "v",
        "ԝ": "w",
        "х": "x",
        "у": "y",
        "ї": "i",
        "ё": "e",
        "ӓ": "a",
        "ӧ": "o",
        "є": "e",
        "ѐ": "e",
        "ӑ": "a",
        "ь": "b",
        "п": "n",
        # Greek
        "α": "a",
        "β": "b",
        "ε": "e",
        "η": "n",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "γ": "y",
        "ω": "w",
        "ϲ": "c",
        "ϳ": "j",
        "ζ": "z",
        "μ": "u",
        # Armenian
        "օ": "o",
        "ս": "u",
        "ց": "g",
        "հ": "h",
        "ո": "n",
        "ք": "p",
        # Latin lookalikes of other Latin letters
        "ı": "i",
        "ɡ": "g",
        "ɑ": "a",
        "ʟ": "l",
        "ꞵ": "b",
        # digits and marks that pass for letters in names
        "0": "o",
        "1": "l",
        "|": "l",
    }
)


def clean_name(name: str) -> str:
    """Return the name as stored: NFKC, no invisible characters, single spaces."""
    normal = unicodedata.normalize("NFKC", name).translate(_INVISIBLE)
    return _SPACES.sub(" ", normal).strip()


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """Return the key two names share when they are the same name (cached: detection
    compares every candidate's agency and topic by it)."""
    return clean_name(name).casefold()


def skeleton(name: str) -> str:
    """Return what a name looks like: lookalike letters of other scripts mapped to Latin."""
    return name_key(name).translate(_LOOKALIKES).replace("rn", "m").replace(" ", "")


def confusable_with(name: str, existing: Iterable[str]) -> str | None:
    """Return an existing name that looks like `name` but is another name, else None."""
    key, shape = name_key(name), skeleton(name)
    for other in existing:
        if name_key(other) != key and skeleton(other) == shape:
            return other
    return None


MAX_ALIASES = 50
"""Aliases one agency or topic may have: each is matched in every sentence."""
MAX_NAME_CHARS = 200


def vet_name(
    name: str, aliases: Iterable[str], existing: Iterable[str]
) -> tuple[str, tuple[str, ...]]:
    """Return the clean name and aliases of a new watch, or raise ValueError saying why not."""
    clean = clean_name(name)
    if not clean:
        raise ValueError("the name is empty")
    if len(clean) > MAX_NAME_CHARS:
        raise ValueError(f"the name is longer than {MAX_NAME_CHARS} characters")
    kept = tuple(dict.fromkeys(a for a in (clean_name(alias) for alias in aliases) if a))
    if len(kept) > MAX_ALIASES:
        raise ValueError(f"at most {MAX_ALIASES} aliases per name ({len(kept)} given)")
    if any(len(a) > MAX_NAME_CHARS for a in kept):
        raise ValueError(f"an alias is longer than {MAX_NAME_CHARS} characters")
    twin = confusable_with(clean, existing)
    if twin is not None:
        raise ValueError(f"{clean!r} looks like the existing name {twin!r}; use that name")
    return clean, kept
