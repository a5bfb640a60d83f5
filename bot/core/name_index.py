"""Watched names' match keys, indexed so that a text's words find them without a scan.

A text word names a watched key when the two are equal or, both being plain words of
at least `MIN_FUZZY` letters, their Indel similarity reaches `FUZZY_MIN` (`same`).
Comparing every word with every watched key makes extraction cost grow with the
watchlist; `KeyIndex` finds the same keys from the word's rarest letter pairs.

Why the letter pairs suffice: two words of lengths m and n whose longest common
subsequence has L letters keep at least 3L - m - n - 1 letter pairs in common (each
letter dropped from the first breaks at most two of its pairs, each letter inserted
at most one). Similarity at least FUZZY_MIN bounds L from below, so a watched key
similar to the word shares at least T of its pairs; any m - T of the word's pairs
must then include one of the key's. The candidates those few pairs point to are
confirmed with `same` itself, so the index returns exactly what the scan returned.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Generic, TypeVar

from rapidfuzz.distance import Indel

FUZZY_MIN = 0.86
MIN_FUZZY = 5
"""Shorter keys only match exactly."""
MEMO_SIZE = 1 << 16
"""Words whose matches an index remembers before it starts afresh."""

Item = TypeVar("Item")


def same(key: str, other: str) -> bool:
    """Say whether two match keys name the same thing: equal, or close plain words."""
    if key == other:
        return True
    short, long_ = sorted((len(key), len(other)))
    if key.startswith("#") or other.startswith("#") or short < MIN_FUZZY:
        return False
    if 2 * short < FUZZY_MIN * (short + long_):
        return False  # lengths too far apart for the similarity to reach FUZZY_MIN
    return Indel.normalized_similarity(key, other) >= FUZZY_MIN


def _fuzzy(key: str) -> bool:
    """Say whether a key may match a different key (a plain word, long enough)."""
    return len(key) >= MIN_FUZZY and not key.startswith("#")


def _pairs(word: str) -> list[str]:
    return [word[i : i + 2] for i in range(len(word) - 1)]


def _lengths(length: int) -> range:
    """Return the lengths a word may have to be `same` as a word of this length."""
    low = math.ceil(FUZZY_MIN * length / (2 - FUZZY_MIN) - 1e-9)
    high = math.floor((2 - FUZZY_MIN) * length / FUZZY_MIN + 1e-9)
    return range(max(MIN_FUZZY, low), high + 1)


@cache
def _shared_pairs(length: int) -> int:
    """Return how many letter pairs a word of this length shares at least with any
    word `same` finds close to it (0: no bound)."""
    bounds = []
    for other in _lengths(length):
        total = length + other
        # The shortest common subsequence the similarity allows (the tolerance keeps
        # a ratio that is FUZZY_MIN exactly, as the float comparison in `same` does).
        common = math.ceil(FUZZY_MIN * total / 2 - 1e-9)
        if common <= min(length, other):
            bounds.append(3 * common - total - 1)
    return max(0, min(bounds, default=0))


class KeyIndex:
    """Watched match keys, looked up by a text's key: exactly, or by letter pairs."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._exact = frozenset(keys)
        fuzzy = sorted(k for k in self._exact if _fuzzy(k))
        self._fuzzy = tuple(fuzzy)
        postings: dict[str, list[int]] = {}
        for slot, key in enumerate(fuzzy):
            for pair in set(_pairs(key)):
                postings.setdefault(pair, []).append(slot)
        self._postings = {pair: tuple(slots) for pair, slots in postings.items()}
        self._memo: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self._exact)

    def matches(self, key: str) -> tuple[str, ...]:
        """Return the watched keys `same` as a text's key."""
        found = self._memo.get(key)
        if found is None:
            found = self._look_up(key)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = found
        return found

    def _look_up(self, key: str) -> tuple[str, ...]:
        exact = (key,) if key in self._exact else ()
        if not _fuzzy(key) or not self._fuzzy:
            return exact
        pairs = _pairs(key)
        probe = len(pairs) - _shared_pairs(len(key)) + 1
        if probe > len(pairs):
            slots: Iterable[int] = range(len(self._fuzzy))
        else:
            rare = sorted(pairs, key=lambda pair: len(self._postings.get(pair, ())))[:probe]
            slots = sorted({slot for pair in rare for slot in self._postings.get(pair, ())})
        near = tuple(
            self._fuzzy[slot]
            for slot in slots
            if self._fuzzy[slot] != key and same(self._fuzzy[slot], key)
        )
        return exact + near

    def positions(self, keys: Sequence[Sequence[str]]) -> dict[str, list[int]]:
        """Return, per watched key found, the word positions whose keys match it.

        `keys` holds per word its alternative keys (a compound's parts after its own).
        """
        found: dict[str, list[int]] = {}
        for i, alternatives in enumerate(keys):
            for alternative in alternatives:
                for key in self.matches(alternative):
                    at = found.setdefault(key, [])
                    if not at or at[-1] != i:
                        at.append(i)
        return found


class Postings(Generic[Item]):
    """Items indexed by the keys that can make them match, kept in their given order."""

    def __init__(self, items: Sequence[tuple[Item, Iterable[str]]]) -> None:
        self._items = tuple(item for item, _ in items)
        by_key: dict[str, list[int]] = {}
        for slot, (_, keys) in enumerate(items):
            for key in set(keys):
                by_key.setdefault(key, []).append(slot)
        self._by_key = by_key

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> frozenset[str]:
        return frozenset(self._by_key)

    def having(self, keys: Iterable[str]) -> list[Item]:
        """Return the items indexed under any of these keys, in their given order."""
        slots = {slot for key in keys for slot in self._by_key.get(key, ())}
        return [self._items[slot] for slot in sorted(slots)]
