"""The claim index as arrays: a snapshot reopened ranks exactly like a fresh build."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.matching import ClaimDoc, ClaimIndex, CorruptIndex, Hit
from tests.unit.test_matching import STORE

MORE = [
    ClaimDoc(
        "be-3",
        "The Federal Police admits officers tested Clearview AI in 2019.",
        "Federal Police",
        "Clearview AI",
    ),
    ClaimDoc("nl-2", "De politie gebruikte drones boven de demonstratie.", "Politie", "drones"),
    ClaimDoc("x-2", "The council denies that road repairs were delayed.", "City council", "roads"),
]
QUERIES = [
    ("Federal Police Clearview AI", None, None),
    ("police used clearview", "Federal Police", None),
    ("reconnaissance faciale", None, "facial recognition"),
    ("Clearview", "Federal Police", "Clearview AI"),
    ("drones demonstratie", None, None),
    ("road repairs budget", None, None),
]


def ranked(index: ClaimIndex) -> list[list[Hit]]:
    return [index.search(q, 10, agency=a, topic=t) for q, a, t in QUERIES]


def reopened(index: ClaimIndex) -> ClaimIndex:
    # Through read-only copies, as a memory-mapped file would give them.
    arrays = {name: array.copy() for name, array in index.arrays().items()}
    for array in arrays.values():
        array.setflags(write=False)
    return ClaimIndex.from_arrays(arrays)


def test_a_reopened_snapshot_ranks_like_the_index_it_was_taken_from() -> None:
    fresh = ClaimIndex()
    fresh.add_many(STORE)
    assert ranked(reopened(fresh)) == ranked(fresh)
    assert len(reopened(fresh)) == len(fresh)


def test_documents_added_after_reopening_rank_like_one_bulk_build() -> None:
    snapshot = ClaimIndex()
    snapshot.add_many(STORE)
    grown = reopened(snapshot)
    grown.add_many(MORE)
    bulk = ClaimIndex()
    bulk.add_many(STORE + MORE)
    assert ranked(grown) == ranked(bulk)
    # And once more through a snapshot that folds base and newer documents together.
    assert ranked(reopened(grown)) == ranked(bulk)


def test_a_reopened_index_replaces_and_removes_documents_of_its_base() -> None:
    snapshot = ClaimIndex()
    snapshot.add_many(STORE)
    index = reopened(snapshot)
    assert "be-1" in index
    assert index.remove("be-1")
    assert "be-1" not in index
    assert not index.remove("be-1")
    index.add("x-1", "Drones flew over the protest.", agency="City council", topic="drones")
    expected = ClaimIndex()
    expected.add_many([d for d in STORE if d.doc_id not in ("be-1", "x-1")])
    expected.add("x-1", "Drones flew over the protest.", agency="City council", topic="drones")
    assert ranked(index) == ranked(expected)
    assert ranked(reopened(index)) == ranked(expected)


def test_arrays_that_do_not_form_an_index_are_refused() -> None:
    index = ClaimIndex()
    index.add_many(STORE)
    arrays = index.arrays()
    truncated = dict(arrays, post_slots=arrays["post_slots"][:-1])
    with pytest.raises(CorruptIndex):
        ClaimIndex.from_arrays(truncated)
    missing = {k: v for k, v in arrays.items() if k != "texts"}
    with pytest.raises(CorruptIndex, match="missing"):
        ClaimIndex.from_arrays(missing)
    wrong = dict(arrays, lengths=arrays["lengths"].astype(np.float64))
    with pytest.raises(CorruptIndex):
        ClaimIndex.from_arrays(wrong)
