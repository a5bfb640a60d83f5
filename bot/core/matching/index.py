"""ClaimIndex: an incremental BM25 inverted index with rapidfuzz re-scoring and blocking.

Search runs in three steps: a BM25 pass over the postings of the query's terms (or,
for a small agency/topic block, over the block's members), rapidfuzz re-scoring of
the best candidates, and a final score in [0, 1] that mixes saturated BM25, the fuzzy
ratio and how much of the document's IDF mass the query covers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.core.language.text import fold
from bot.core.matching import segment
from bot.core.matching.analysis import analyse
from bot.core.matching.hit import ClaimDoc, Hit, Tuning
from bot.core.matching.segment import IndexArrays
from bot.core.matching.vector import GrowableArray

_ANY = -1
_BATCH = 50_000

FloatArray = npt.NDArray[Any]  # numpy stubs type bincount and friends loosely
IntArray = npt.NDArray[Any]
Posting = tuple[npt.NDArray[Any], npt.NDArray[Any]]
"""A term's ascending slots and their term frequencies."""


def _block_key(name: str | None) -> str:
    return fold(name).strip() if name else ""


def unpack_all(arrays: IndexArrays, prefix: str, blob: str | None = None) -> list[str]:
    """Decode one packed list of strings of a snapshot (`terms`, `agencies`, `topics`)."""
    return segment.unpack(arrays[blob or prefix + "s"], arrays[prefix + "_offsets"])


def _append_packed(
    blob: npt.NDArray[Any], offsets: npt.NDArray[Any], strings: list[str]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    more, more_offsets = segment.pack(strings)
    return (
        np.concatenate((blob, more)),
        np.concatenate((offsets, more_offsets[1:] + int(offsets[-1]))).astype(np.int64),
    )


class ClaimIndex:
    """Rank stored documents against a query; add and remove documents at any time.

    An index is a read-only base (empty for a fresh index; the arrays of a snapshot,
    possibly memory-mapped, for one rebuilt with `from_arrays`) plus what was added
    since, in memory. `arrays` folds both into one snapshot again. Slots number the
    documents in the order they were added: the base's first, then the newer ones.

    Not thread-safe: callers serialise access (the claim search owns one instance).
    """

    def __init__(self, tuning: Tuning | None = None) -> None:
        self.tuning = tuning or Tuning()
        self._vocab: dict[str, int] = {}
        self._df = GrowableArray(np.int32, 1024)
        self._lengths = GrowableArray(np.float32, 1024)
        self._alive = GrowableArray(np.bool_, 1024)
        self._agency = GrowableArray(np.int32, 1024)
        self._topic = GrowableArray(np.int32, 1024)
        self._agency_codes: dict[str, int] = {"": 0}
        self._topic_codes: dict[str, int] = {"": 0}
        self._blocks: dict[tuple[int, int], GrowableArray] | None = None
        self._live = 0
        self._total_length = 0.0
        # The read-only base: postings in CSR form, forward terms, ids and texts.
        self._base_slots = 0
        self._base_terms = 0
        self._base_post_offsets: npt.NDArray[Any] = np.zeros(1, dtype=np.int64)
        self._base_post_slots: npt.NDArray[Any] = np.zeros(0, dtype=np.int32)
        self._base_post_freqs: npt.NDArray[Any] = np.zeros(0, dtype=np.uint16)
        self._base_starts: npt.NDArray[Any] = np.zeros(1, dtype=np.int64)
        self._base_forward: npt.NDArray[Any] = np.zeros(0, dtype=np.int32)
        self._base_ids: npt.NDArray[Any] = np.zeros(0, dtype=np.uint8)
        self._base_id_offsets: npt.NDArray[Any] = np.zeros(1, dtype=np.int64)
        self._base_texts: npt.NDArray[Any] = np.zeros(0, dtype=np.uint8)
        self._base_text_offsets: npt.NDArray[Any] = np.zeros(1, dtype=np.int64)
        self._base_hashes: npt.NDArray[Any] = np.zeros(0, dtype=np.uint64)
        self._base_hash_slots: npt.NDArray[Any] = np.zeros(0, dtype=np.int32)
        # What was added since: postings per touched term, forward terms, ids, texts.
        self._postings: dict[int, GrowableArray] = {}
        self._freqs: dict[int, GrowableArray] = {}
        self._forward = GrowableArray(np.int32, 4096)
        self._starts = GrowableArray(np.int64, 1024)
        self._starts.append(0)
        self._ids: list[str | None] = []
        self._texts: list[str] = []
        self._slots: dict[str, int] = {}

    # -- snapshots --------------------------------------------------------------------

    @classmethod
    def from_arrays(cls, arrays: IndexArrays, tuning: Tuning | None = None) -> ClaimIndex:
        """Rebuild an index from `arrays()`; large arrays are used in place, never copied.

        Raises CorruptIndex when the arrays do not form one index.
        """
        segment.check(arrays)
        index = cls(tuning)
        index._vocab = {term: tid for tid, term in enumerate(unpack_all(arrays, "term"))}
        if len(index._vocab) != len(arrays["df"]):
            raise segment.CorruptIndex("terms repeat or hold a separator")
        index._df = GrowableArray.of(arrays["df"])
        index._lengths = GrowableArray.of(arrays["lengths"])
        index._alive = GrowableArray.of(arrays["alive"])
        index._agency = GrowableArray.of(arrays["agency"])
        index._topic = GrowableArray.of(arrays["topic"])
        index._agency_codes = {n: c for c, n in enumerate(unpack_all(arrays, "agency", "agencies"))}
        index._topic_codes = {n: c for c, n in enumerate(unpack_all(arrays, "topic", "topics"))}
        live, total = arrays["totals"].tolist()
        index._live, index._total_length = int(live), float(total)
        index._base_slots = len(arrays["lengths"])
        index._base_terms = len(arrays["df"])
        index._base_post_offsets = arrays["post_offsets"]
        index._base_post_slots = arrays["post_slots"]
        index._base_post_freqs = arrays["post_freqs"]
        index._base_starts = arrays["starts"]
        index._base_forward = arrays["forward"]
        index._base_ids = arrays["ids"]
        index._base_id_offsets = arrays["id_offsets"]
        index._base_texts = arrays["texts"]
        index._base_text_offsets = arrays["text_offsets"]
        index._base_hashes = arrays["id_hashes"]
        index._base_hash_slots = arrays["id_hash_slots"]
        return index

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Return the whole index, base and newer documents, as the arrays of a snapshot."""
        base = self._base_slots
        terms, term_offsets = segment.pack(list(self._vocab))
        agencies, agency_offsets = segment.pack(list(self._agency_codes))
        topics, topic_offsets = segment.pack(list(self._topic_codes))
        post_offsets, post_slots, post_freqs = self._merged_postings()
        delta_ids = [doc_id or "" for doc_id in self._ids]
        ids, id_offsets = _append_packed(self._base_ids, self._base_id_offsets, delta_ids)
        texts, text_offsets = _append_packed(self._base_texts, self._base_text_offsets, self._texts)
        hashes = np.concatenate(
            (
                self._base_hashes,
                np.asarray([segment.id_hash(i) for i in delta_ids], dtype=np.uint64),
            )
        )
        hash_slots = np.concatenate(
            (
                self._base_hash_slots.astype(np.int64),
                np.arange(base, base + len(delta_ids), dtype=np.int64),
            )
        )
        order = np.argsort(hashes, kind="stable")
        starts = np.concatenate(
            (self._base_starts, self._starts.view()[1:] + len(self._base_forward))
        )
        return {
            "terms": terms,
            "term_offsets": term_offsets,
            "df": self._df.view().copy(),
            "post_offsets": post_offsets,
            "post_slots": post_slots,
            "post_freqs": post_freqs,
            "lengths": self._lengths.view().copy(),
            "alive": self._alive.view().copy(),
            "agency": self._agency.view().copy(),
            "topic": self._topic.view().copy(),
            "starts": starts.astype(np.int64),
            "forward": np.concatenate((self._base_forward, self._forward.view())).astype(np.int32),
            "ids": ids,
            "id_offsets": id_offsets,
            "id_hashes": hashes[order],
            "id_hash_slots": hash_slots[order].astype(np.int32),
            "texts": texts,
            "text_offsets": text_offsets,
            "agencies": agencies,
            "agency_offsets": agency_offsets,
            "topics": topics,
            "topic_offsets": topic_offsets,
            "totals": np.asarray([self._live, self._total_length], dtype=np.float64),
        }

    def _merged_postings(self) -> tuple[IntArray, IntArray, npt.NDArray[Any]]:
        terms = len(self._vocab)
        base_counts = np.diff(self._base_post_offsets)
        if not self._postings:
            counts = np.concatenate((base_counts, np.zeros(terms - self._base_terms, np.int64)))
            offsets = np.zeros(terms + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            return offsets, np.asarray(self._base_post_slots), np.asarray(self._base_post_freqs)
        delta_tids = sorted(self._postings)
        delta_counts = [len(self._postings[t]) for t in delta_tids]
        tids = np.concatenate(
            (
                np.repeat(np.arange(self._base_terms, dtype=np.int64), base_counts),
                np.repeat(np.asarray(delta_tids, dtype=np.int64), delta_counts),
            )
        )
        slots = np.concatenate(
            (self._base_post_slots, *(self._postings[t].view() for t in delta_tids))
        )
        freqs = np.concatenate(
            (self._base_post_freqs, *(self._freqs[t].view() for t in delta_tids))
        )
        # Stable: within a term the base's slots come first and every part is ascending.
        order = np.argsort(tids, kind="stable")
        offsets = np.zeros(terms + 1, dtype=np.int64)
        np.cumsum(np.bincount(tids, minlength=terms), out=offsets[1:])
        return offsets, slots[order].astype(np.int32), freqs[order].astype(np.uint16)

    # -- size -------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._live

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._slot_of(doc_id) is not None

    def _slot_of(self, doc_id: str) -> int | None:
        slot = self._slots.get(doc_id)
        if slot is not None or len(self._base_hashes) == 0:
            return slot
        wanted = np.uint64(segment.id_hash(doc_id))
        at = int(np.searchsorted(self._base_hashes, wanted))
        alive = self._alive.view()
        while at < len(self._base_hashes) and self._base_hashes[at] == wanted:
            found = int(self._base_hash_slots[at])
            if alive[found] and self._doc_id(found) == doc_id:
                return found
            at += 1
        return None

    def _doc_id(self, slot: int) -> str | None:
        if slot < self._base_slots:
            offsets = self._base_id_offsets
            return self._base_ids[int(offsets[slot]) : int(offsets[slot + 1])].tobytes().decode()
        return self._ids[slot - self._base_slots]

    def _surfaces(self, slots: IntArray) -> list[str]:
        base, offsets, blob = self._base_slots, self._base_text_offsets, self._base_texts
        return [
            blob[int(offsets[s]) : int(offsets[s + 1])].tobytes().decode()
            if s < base
            else self._texts[s - base]
            for s in slots.tolist()
        ]

    def _own_terms(self, slot: int) -> npt.NDArray[Any]:
        if slot < self._base_slots:
            starts = self._base_starts
            return self._base_forward[int(starts[slot]) : int(starts[slot + 1])]
        starts = self._starts.view()
        local = slot - self._base_slots
        return self._forward.view()[starts[local] : starts[local + 1]]

    def _posting(self, tid: int) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        newer = self._postings.get(tid)
        if tid < self._base_terms:
            start = int(self._base_post_offsets[tid])
            stop = int(self._base_post_offsets[tid + 1])
            slots, freqs = self._base_post_slots[start:stop], self._base_post_freqs[start:stop]
            if newer is None:
                return slots, freqs
            return (
                np.concatenate((slots, newer.view())),
                np.concatenate((freqs, self._freqs[tid].view())),
            )
        if newer is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint16)
        return newer.view(), self._freqs[tid].view()

    # -- writing ----------------------------------------------------------------------

    def add(self, doc_id: str, text: str, *, agency: str = "", topic: str = "") -> None:
        """Index one document; a known doc_id is replaced."""
        self.add_many([ClaimDoc(doc_id, text, agency, topic)])

    def add_many(self, docs: Iterable[ClaimDoc]) -> None:
        """Index many documents at once, in batches; known doc_ids are replaced."""
        batch: list[ClaimDoc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= _BATCH:
                self._add_batch(batch)
                batch = []
        if batch:
            self._add_batch(batch)

    def remove(self, doc_id: str) -> bool:
        """Forget a document; False when it was not indexed."""
        slot = self._slot_of(doc_id)
        if slot is None:
            return False
        self._slots.pop(doc_id, None)
        self._alive.raw()[slot] = False
        if slot >= self._base_slots:
            self._ids[slot - self._base_slots] = None
            self._texts[slot - self._base_slots] = ""
        self._live -= 1
        self._total_length -= float(self._lengths.view()[slot])
        self._df.raw()[self._own_terms(slot)] -= 1
        return True

    def _code(self, codes: dict[str, int], name: str) -> int:
        key = _block_key(name)
        code = codes.get(key)
        if code is None:
            code = codes[key] = len(codes)
        return code

    def _term_id(self, term: str) -> int:
        tid = self._vocab.get(term)
        if tid is None:
            tid = self._vocab[term] = len(self._vocab)
            self._df.append(0)
        return tid

    def _add_batch(self, batch: list[ClaimDoc]) -> None:
        for doc in batch:
            self.remove(doc.doc_id)
        first = len(self._lengths)
        local_first = first - self._base_slots
        term_ids: list[int] = []
        term_freqs: list[int] = []
        term_slots: list[int] = []
        lengths: list[int] = []
        ends: list[int] = []
        agencies: list[int] = []
        topics: list[int] = []
        end = int(self._starts.view()[-1])
        seen: set[str] = set()
        for offset, doc in enumerate(batch):
            if doc.doc_id in seen:
                # A later copy in the same batch wins: retire the earlier slot.
                self._slots.pop(doc.doc_id)
            seen.add(doc.doc_id)
            slot = first + offset
            doc_terms, surface = analyse(doc.text)
            counts = Counter(doc_terms)
            for term, count in counts.items():
                term_ids.append(self._term_id(term))
                term_freqs.append(min(count, 65_535))
                term_slots.append(slot)
            end += len(counts)
            ends.append(end)
            lengths.append(sum(counts.values()))
            agencies.append(self._code(self._agency_codes, doc.agency))
            topics.append(self._code(self._topic_codes, doc.topic))
            self._ids.append(doc.doc_id)
            self._slots[doc.doc_id] = slot
            self._texts.append(surface)
        alive = np.ones(len(batch), dtype=np.bool_)
        for offset, doc in enumerate(batch):
            if self._slots.get(doc.doc_id) != first + offset:
                alive[offset] = False
                self._ids[local_first + offset] = None
                self._texts[local_first + offset] = ""
        tids = np.asarray(term_ids, dtype=np.int64)
        slots = np.asarray(term_slots, dtype=np.int64)
        freqs = np.asarray(term_freqs, dtype=np.uint16)
        self._forward.extend(tids)
        self._starts.extend(ends)
        self._lengths.extend(lengths)
        self._alive.extend(alive)
        self._agency.extend(agencies)
        self._topic.extend(topics)
        self._extend_postings(tids, slots, freqs)
        live_terms = tids[alive[slots - first]]
        np.add.at(self._df.raw(), live_terms, 1)
        self._live += int(alive.sum())
        self._total_length += float(np.asarray(lengths, dtype=np.float64)[alive].sum())
        if self._blocks is not None:
            self._extend_blocks(first, np.asarray(agencies), np.asarray(topics))

    def _extend_postings(self, tids: IntArray, slots: IntArray, freqs: npt.NDArray[Any]) -> None:
        if len(tids) == 0:
            return
        order = np.argsort(tids, kind="stable")
        tids, slots, freqs = tids[order], slots[order], freqs[order]
        bounds = np.flatnonzero(np.diff(tids)) + 1
        starts = np.concatenate(([0], bounds))
        stops = np.concatenate((bounds, [len(tids)]))
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            tid = int(tids[start])
            posting = self._postings.get(tid)
            if posting is None:
                posting = self._postings[tid] = GrowableArray(np.int32)
                self._freqs[tid] = GrowableArray(np.uint16)
            posting.extend(slots[start:stop])
            self._freqs[tid].extend(freqs[start:stop])

    def _extend_blocks(self, first: int, agencies: IntArray, topics: IntArray) -> None:
        assert self._blocks is not None
        agencies = agencies.astype(np.int64)
        topics = topics.astype(np.int64)
        slots = np.arange(first, first + len(agencies), dtype=np.int64)
        for keys in (
            agencies * (1 << 31) + topics,
            agencies * (1 << 31) + (1 << 31) - 1,
            ((1 << 31) - 1) * (1 << 31) + topics,
        ):
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            bounds = np.flatnonzero(np.diff(sorted_keys)) + 1
            starts = np.concatenate(([0], bounds))
            stops = np.concatenate((bounds, [len(keys)]))
            for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
                key = int(sorted_keys[start])
                agency, topic = divmod(key, 1 << 31)
                block_key = (
                    _ANY if agency == (1 << 31) - 1 else agency,
                    _ANY if topic == (1 << 31) - 1 else topic,
                )
                if 0 in block_key:
                    continue  # no agency (or no topic) given: nothing to block under
                block = self._blocks.get(block_key)
                if block is None:
                    block = self._blocks[block_key] = GrowableArray(np.int32)
                block.extend(slots[order[start:stop]])

    # -- reading ----------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        agency: str | None = None,
        topic: str | None = None,
    ) -> list[Hit]:
        """Return the k best documents for a query, optionally within an agency/topic block."""
        if k <= 0 or self._live == 0:
            return []
        block: npt.NDArray[Any] | None = None
        if agency or topic:
            found = self._block(agency, topic)
            if found is None:
                return []
            block = found
        stems, surface = analyse(query)
        query_terms = [self._vocab[t] for t in dict.fromkeys(stems) if t in self._vocab]
        qids = np.asarray(query_terms, dtype=np.int64)
        if block is None and len(qids) == 0:
            return []
        candidates, bm25 = self._retrieve(qids, block)
        if len(candidates) == 0:
            return []
        blocked = block is not None
        depth = max(self.tuning.block_candidates if blocked else self.tuning.candidates, k)
        if len(candidates) > depth:
            best = np.argpartition(-bm25, depth - 1)[:depth]
            candidates, bm25 = candidates[best], bm25[best]
        final = self._rescore(surface, qids, candidates, bm25, blocked=blocked)
        order = np.lexsort((candidates, -final))[:k]
        return [
            Hit(str(self._doc_id(int(candidates[i]))), round(float(final[i]), 6)) for i in order
        ]

    def _block(self, agency: str | None, topic: str | None) -> npt.NDArray[Any] | None:
        agency_code = self._agency_codes.get(_block_key(agency)) if agency else _ANY
        topic_code = self._topic_codes.get(_block_key(topic)) if topic else _ANY
        if agency_code is None or topic_code is None:
            return None
        if self._blocks is None:
            # Built on the first blocked search: a snapshot does not keep blocks.
            self._blocks = {}
            self._extend_blocks(0, self._agency.view(), self._topic.view())
        block = self._blocks.get((agency_code, topic_code))
        return None if block is None else block.view()

    def _idf(self, df: npt.NDArray[Any]) -> FloatArray:
        n = float(self._live)
        return np.log1p((n - df + 0.5) / (df + 0.5))

    def _norms(self, slots: npt.NDArray[Any]) -> FloatArray:
        k1, b = self.tuning.k1, self.tuning.b
        average = self._total_length / self._live if self._live else 1.0
        lengths = self._lengths.view()[slots].astype(np.float64)
        norms: FloatArray = k1 * (1.0 - b + b * lengths / max(average, 1e-9))
        return norms

    def _retrieve(
        self, qids: IntArray, block: npt.NDArray[Any] | None
    ) -> tuple[IntArray, FloatArray]:
        postings = [self._posting(int(t)) for t in qids]
        total = sum(len(p) for p, _ in postings)
        small = block is not None and len(block) <= self.tuning.block_candidates
        if block is not None and (small or len(block) <= total):
            return self._retrieve_in_block(qids, postings, block)
        return self._retrieve_by_postings(qids, postings, block)

    def _retrieve_in_block(
        self, qids: IntArray, postings: list[Posting], block: npt.NDArray[Any]
    ) -> tuple[IntArray, FloatArray]:
        candidates = block[self._alive.view()[block]].astype(np.int64)
        scores = np.zeros(len(candidates), dtype=np.float64)
        if len(candidates) == 0:
            return candidates, scores
        norms = self._norms(candidates)
        idfs = self._idf(self._df.view()[qids].astype(np.float64))
        k1 = self.tuning.k1
        for (posting, freqs), idf in zip(postings, idfs.tolist(), strict=True):
            if len(posting) == 0:
                continue
            where = np.minimum(np.searchsorted(posting, candidates), len(posting) - 1)
            present = posting[where] == candidates
            tf = freqs[where].astype(np.float64)
            scores += np.where(present, idf * tf * (k1 + 1.0) / (tf + norms), 0.0)
        return candidates, scores

    def _retrieve_by_postings(
        self, qids: IntArray, postings: list[Posting], block: npt.NDArray[Any] | None
    ) -> tuple[IntArray, FloatArray]:
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        if not postings:
            return empty
        slots = np.concatenate([p for p, _ in postings]).astype(np.int64)
        tf = np.concatenate([f for _, f in postings]).astype(np.float64)
        idfs = self._idf(self._df.view()[qids].astype(np.float64))
        idf = np.repeat(idfs, [len(p) for p, _ in postings])
        keep = self._alive.view()[slots]
        if block is not None:
            keep &= np.isin(slots, block)
        slots, tf, idf = slots[keep], tf[keep], idf[keep]
        if len(slots) == 0:
            return empty
        k1 = self.tuning.k1
        contributions = idf * tf * (k1 + 1.0) / (tf + self._norms(slots))
        size = len(self._lengths)
        if len(slots) * 8 > size:
            dense = np.bincount(slots, contributions, minlength=size)
            candidates = np.flatnonzero(dense)
            return candidates.astype(np.int64), dense[candidates]
        candidates, inverse = np.unique(slots, return_inverse=True)
        return candidates.astype(np.int64), np.bincount(inverse, contributions)

    def _rescore(
        self,
        cleaned: str,
        qids: IntArray,
        candidates: IntArray,
        bm25: FloatArray,
        *,
        blocked: bool,
    ) -> FloatArray:
        tuning = self.tuning
        lexical = bm25 / (bm25 + tuning.saturation)
        if blocked:
            texts = self._surfaces(candidates)
            fuzzy = process.cdist([cleaned], texts, scorer=fuzz.WRatio, dtype=np.float64)
            weight = tuning.block_fuzzy_weight
            mixed: FloatArray = (1.0 - weight) * lexical + weight * fuzzy[0] / 100.0
            return mixed
        final: FloatArray = tuning.lexical_weight * lexical
        if tuning.fuzzy_weight:
            texts = self._surfaces(candidates)
            fuzzy = process.cdist([cleaned], texts, scorer=fuzz.token_set_ratio, dtype=np.float64)
            final += tuning.fuzzy_weight * fuzzy[0] / 100.0
        if tuning.coverage_weight:
            final += tuning.coverage_weight * self._coverage(qids, candidates)
        return final

    def _coverage(self, qids: IntArray, candidates: IntArray) -> FloatArray:
        own = [self._own_terms(slot) for slot in candidates.tolist()]
        sizes = np.asarray([len(terms) for terms in own], dtype=np.int64)
        if int(sizes.sum()) == 0:
            return np.zeros(len(candidates), dtype=np.float64)
        segment = np.repeat(np.arange(len(candidates)), sizes)
        doc_terms = np.concatenate(own).astype(np.int64)
        idf = self._idf(self._df.view()[doc_terms].astype(np.float64))
        shared = np.isin(doc_terms, qids)
        covered = np.bincount(segment, idf * shared, minlength=len(candidates))
        mass = np.bincount(segment, idf, minlength=len(candidates))
        return covered / np.maximum(mass, 1e-9)
