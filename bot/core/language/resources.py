"""Load the cue lexicons and the vocabulary shipped with the package."""

from __future__ import annotations

from functools import cache

from bot.core.domain import LANGUAGES
from bot.core.language.lexicon import Lexicon
from bot.core.language.shipped import read_language_file as _read
from bot.core.language.vocabulary import Vocabulary


@cache
def load_lexicons() -> dict[str, Lexicon]:
    """Return the cue lexicon of every shipped language, by language code."""
    return {code: Lexicon.from_mapping(_read(f"{code}.json")) for code in LANGUAGES}


@cache
def load_vocabulary() -> Vocabulary:
    """Return the multilingual concept and country vocabulary."""
    return Vocabulary.from_mappings(
        _read("concepts.json"), _read("countries.json"), _read("practices.json")
    )
