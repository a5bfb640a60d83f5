"""The index as flat arrays: what a snapshot holds, and the read-only base it maps back.

A `ClaimIndex` can be turned into named numpy arrays (`IndexArrays`) and rebuilt from
them; the arrays may be memory-mapped files, so every process of a host shares one copy
of the postings, the documents' ids and their texts. Nothing here reads or writes
files: that is the job of the adapter that keeps snapshots (storage/index_files.py).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

FORMAT = 1
"""Bumped whenever the arrays change meaning; a snapshot of another format is rebuilt."""

IndexArrays = Mapping[str, npt.NDArray[Any]]
"""Named arrays of one index; `FIELDS` gives each name's dtype."""

FIELDS: dict[str, npt.DTypeLike] = {
    "terms": np.uint8,
    "term_offsets": np.int64,
    "df": np.int32,
    "post_offsets": np.int64,
    "post_slots": np.int32,
    "post_freqs": np.uint16,
    "lengths": np.float32,
    "alive": np.bool_,
    "agency": np.int32,
    "topic": np.int32,
    "starts": np.int64,
    "forward": np.int32,
    "ids": np.uint8,
    "id_offsets": np.int64,
    "id_hashes": np.uint64,
    "id_hash_slots": np.int32,
    "texts": np.uint8,
    "text_offsets": np.int64,
    "agencies": np.uint8,
    "agency_offsets": np.int64,
    "topics": np.uint8,
    "topic_offsets": np.int64,
    "totals": np.float64,
}


class CorruptIndex(ValueError):
    """Arrays that do not form one consistent index."""


def id_hash(doc_id: str) -> int:
    """A stable 64-bit hash of a document id (Python's own `hash` changes per process)."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "little")


def pack(strings: Sequence[str]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Return strings as one UTF-8 byte array and the offsets of each string in it."""
    encoded = [s.encode() for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def unpack(blob: npt.NDArray[Any], offsets: npt.NDArray[Any]) -> list[str]:
    """Return every string of a packed blob."""
    raw = blob.tobytes()
    bounds = offsets.tolist()
    return [raw[a:b].decode() for a, b in itertools.pairwise(bounds)]


class PackedStrings:
    """Strings read one at a time out of a (memory-mapped) blob: nothing is decoded ahead."""

    __slots__ = ("_blob", "_offsets")

    def __init__(self, blob: npt.NDArray[Any], offsets: npt.NDArray[Any]) -> None:
        self._blob = blob
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        start, stop = int(self._offsets[index]), int(self._offsets[index + 1])
        return self._blob[start:stop].tobytes().decode()


def check(arrays: IndexArrays) -> None:
    """Raise CorruptIndex unless the arrays have the dtypes and sizes of one index."""
    missing = [name for name in FIELDS if name not in arrays]
    if missing:
        raise CorruptIndex(f"missing arrays: {', '.join(missing)}")
    for name, dtype in FIELDS.items():
        if arrays[name].dtype != np.dtype(dtype) or arrays[name].ndim != 1:
            raise CorruptIndex(f"{name}: {arrays[name].dtype}{arrays[name].shape}")
    slots = len(arrays["lengths"])
    terms = len(arrays["df"])
    sizes = {
        "alive": slots,
        "agency": slots,
        "topic": slots,
        "starts": slots + 1,
        "id_offsets": slots + 1,
        "text_offsets": slots + 1,
        "id_hashes": slots,
        "id_hash_slots": slots,
        "post_offsets": terms + 1,
        "term_offsets": terms + 1,
        "post_freqs": len(arrays["post_slots"]),
        "totals": 2,
    }
    for name, size in sizes.items():
        if len(arrays[name]) != size:
            raise CorruptIndex(f"{name} holds {len(arrays[name])} values, expected {size}")
    ends = {
        "post_offsets": len(arrays["post_slots"]),
        "starts": len(arrays["forward"]),
        "id_offsets": len(arrays["ids"]),
        "text_offsets": len(arrays["texts"]),
        "term_offsets": len(arrays["terms"]),
        "agency_offsets": len(arrays["agencies"]),
        "topic_offsets": len(arrays["topics"]),
    }
    for name, end in ends.items():
        offsets = arrays[name]
        if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != end:
            raise CorruptIndex(f"{name} does not span its data")
        if np.any(np.diff(offsets) < 0):
            raise CorruptIndex(f"{name} is not ascending")
    # The large arrays (postings, forward terms) are not scanned: that would read every
    # page of a mapped file into this process. Sizes and offsets catch a truncated or
    # mismatched file; the snapshot's writer makes each one whole or not at all.
    hash_slots = arrays["id_hash_slots"]
    if len(hash_slots) and (int(hash_slots.min()) < 0 or int(hash_slots.max()) >= slots):
        raise CorruptIndex("id_hash_slots points outside the index")
