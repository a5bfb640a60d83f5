"""Analysis time is bounded whatever the input: no quadratic splitting, no endless sentence."""

from __future__ import annotations

import time

from bot.core.language.resources import load_vocabulary
from bot.core.mentions import compound_parts

VOCABULARY = load_vocabulary()


def test_compound_splitting_of_a_huge_word_is_instant() -> None:
    started = time.perf_counter()
    assert compound_parts("a" * 200_000, VOCABULARY) == ()
    assert time.perf_counter() - started < 0.5


def test_real_compounds_still_split() -> None:
    assert compound_parts("bundespolizei", VOCABULARY)
