"""Load the language data shipped with the package (the only file reads of the core)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from bot.core.domain import LANGUAGES
from bot.core.language.lexicon import Lexicon
from bot.core.language.vocabulary import Vocabulary


def _read(name: str) -> Any:
    return json.loads(
        resources.files("bot.core.language").joinpath("lexicons", name).read_text("utf-8")
    )


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
