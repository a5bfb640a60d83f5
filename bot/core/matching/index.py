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
from bot.core.matching.analysis import analyse
from bot.core.matching.hit import ClaimDoc, Hit, Tuning
from bot.core.matching.vector import GrowableArray

_ANY = -1
_BATCH = 50_000

FloatArray = npt.NDArray[Any]  # numpy stubs type bincount and friends loosely
IntArray = npt.NDArray[Any]


def _block_key(name: str | None) -> str:
    return fold(name).strip() if name else ""


class ClaimIndex:
    """Rank stored documents against a query; add and remove documents at any time.

    Not thread-safe: callers serialise access (the pipeline owns one instance).
    """

    def __init__(self, tuning: Tuning | None = None) -> None:
        self.tuning = tuning or Tuning()
        self._vocab: dict[str, int] = {}
        self._postings: list[GrowableArray] = []
        self._freqs: list[GrowableArray] = []
        self._df = GrowableArray(np.int32, 1024)
        self._ids: list[str | None] = []
        self._slots: dict[str, int] = {}
        self._texts: list[str] = []
        self._lengths = GrowableArray(np.float32, 1024)
        self._alive = GrowableArray(np.bool_, 1024)
        self._agency = GrowableArray(np.int32, 1024)
        self._topic = GrowableArray(np.int32, 1024)
        self._forward = GrowableArray(np.int32, 4096)
        self._starts = GrowableArray(np.int64, 1024)
        self._starts.append(0)
        self._agency_codes: dict[str, int] = {"": 0}
        self._topic_codes: dict[str, int] = {"": 0}
        self._blocks: dict[tuple[int, int], GrowableArray] = {}
        self._live = 0
        self._total_length = 0.0

    # -- size -------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._live

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slots

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
        slot = self._slots.pop(doc_id, None)
        if slot is None:
            return False
        self._alive.raw()[slot] = False
        self._ids[slot] = None
        self._texts[slot] = ""
        self._live -= 1
        self._total_length -= float(self._lengths.view()[slot])
        starts = self._starts.view()
        own_terms = self._forward.view()[starts[slot] : starts[slot + 1]]
        self._df.raw()[own_terms] -= 1
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
            tid = self._vocab[term] = len(self._postings)
            self._postings.append(GrowableArray(np.int32))
            self._freqs.append(GrowableArray(np.uint16))
            self._df.append(0)
        return tid

    def _add_batch(self, batch: list[ClaimDoc]) -> None:
        for doc in batch:
            if doc.doc_id in self._slots:
                self.remove(doc.doc_id)
        first = len(self._ids)
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
                self._ids[first + offset] = None
                self._texts[first + offset] = ""
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
            self._postings[tid].extend(slots[start:stop])
            self._freqs[tid].extend(freqs[start:stop])

    def _extend_blocks(self, first: int, agencies: IntArray, topics: IntArray) -> None:
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
        return [Hit(str(self._ids[int(candidates[i])]), round(float(final[i]), 6)) for i in order]

    def _block(self, agency: str | None, topic: str | None) -> npt.NDArray[Any] | None:
        agency_code = self._agency_codes.get(_block_key(agency)) if agency else _ANY
        topic_code = self._topic_codes.get(_block_key(topic)) if topic else _ANY
        if agency_code is None or topic_code is None:
            return None
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
        postings = [self._postings[int(t)].view() for t in qids]
        total = sum(len(p) for p in postings)
        small = block is not None and len(block) <= self.tuning.block_candidates
        if block is not None and (small or len(block) <= total):
            return self._retrieve_in_block(qids, postings, block)
        return self._retrieve_by_postings(qids, postings, block)

    def _retrieve_in_block(
        self, qids: IntArray, postings: list[npt.NDArray[Any]], block: npt.NDArray[Any]
    ) -> tuple[IntArray, FloatArray]:
        candidates = block[self._alive.view()[block]].astype(np.int64)
        scores = np.zeros(len(candidates), dtype=np.float64)
        if len(candidates) == 0:
            return candidates, scores
        norms = self._norms(candidates)
        idfs = self._idf(self._df.view()[qids].astype(np.float64))
        k1 = self.tuning.k1
        for tid, posting, idf in zip(qids.tolist(), postings, idfs.tolist(), strict=True):
            if len(posting) == 0:
                continue
            where = np.minimum(np.searchsorted(posting, candidates), len(posting) - 1)
            present = posting[where] == candidates
            tf = self._freqs[tid].view()[where].astype(np.float64)
            scores += np.where(present, idf * tf * (k1 + 1.0) / (tf + norms), 0.0)
        return candidates, scores

    def _retrieve_by_postings(
        self, qids: IntArray, postings: list[npt.NDArray[Any]], block: npt.NDArray[Any] | None
    ) -> tuple[IntArray, FloatArray]:
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        if not postings:
            return empty
        slots = np.concatenate(postings).astype(np.int64)
        tf = np.concatenate([self._freqs[int(t)].view() for t in qids]).astype(np.float64)
        idfs = self._idf(self._df.view()[qids].astype(np.float64))
        idf = np.repeat(idfs, [len(p) for p in postings])
        keep = self._alive.view()[slots]
        if block is not None:
            keep &= np.isin(slots, block)
        slots, tf, idf = slots[keep], tf[keep], idf[keep]
        if len(slots) == 0:
            return empty
        k1 = self.tuning.k1
        contributions = idf * tf * (k1 + 1.0) / (tf + self._norms(slots))
        size = len(self._ids)
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
        texts = [self._texts[int(slot)] for slot in candidates]
        lexical = bm25 / (bm25 + tuning.saturation)
        if blocked:
            fuzzy = process.cdist([cleaned], texts, scorer=fuzz.WRatio, dtype=np.float64)
            weight = tuning.block_fuzzy_weight
            mixed: FloatArray = (1.0 - weight) * lexical + weight * fuzzy[0] / 100.0
            return mixed
        fuzzy = process.cdist([cleaned], texts, scorer=fuzz.token_set_ratio, dtype=np.float64)
        final: FloatArray = tuning.lexical_weight * lexical + tuning.fuzzy_weight * fuzzy[0] / 100.0
        if tuning.coverage_weight:
            final += tuning.coverage_weight * self._coverage(qids, candidates)
        return final

    def _coverage(self, qids: IntArray, candidates: IntArray) -> FloatArray:
        starts = self._starts.view()
        begins = starts[candidates]
        sizes = starts[candidates + 1] - begins
        total = int(sizes.sum())
        if total == 0:
            return np.zeros(len(candidates), dtype=np.float64)
        segment = np.repeat(np.arange(len(candidates)), sizes)
        offsets = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        doc_terms = self._forward.view()[np.repeat(begins, sizes) + offsets]
        idf = self._idf(self._df.view()[doc_terms].astype(np.float64))
        shared = np.isin(doc_terms, qids)
        covered = np.bincount(segment, idf * shared, minlength=len(candidates))
        mass = np.bincount(segment, idf, minlength=len(candidates))
        return covered / np.maximum(mass, 1e-9)
