"""Values the matcher takes and returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked match: a stored document and its score in [0, 1]."""

    doc_id: str
    score: float


@dataclass(frozen=True, slots=True)
class ClaimDoc:
    """One document to index, with the agency and topic it is blocked under."""

    doc_id: str
    text: str
    agency: str = ""
    topic: str = ""


@dataclass(frozen=True, slots=True)
class Tuning:
    """Ranking parameters: BM25, candidate depth and the weights of the final score.

    The defaults were chosen on the CheckThat! 2020 task 2 train and dev splits only
    (a grid over k1, b and the fuzzy weight; see bench/RESULTS.md): fuzzy and coverage
    re-scoring did not improve on BM25's order there, so the open search is lexical.
    """

    k1: float = 2.5
    b: float = 0.3
    candidates: int = 64
    lexical_weight: float = 1.0
    fuzzy_weight: float = 0.0
    coverage_weight: float = 0.0
    saturation: float = 20.0
    """The BM25 score that maps to 0.5 in the lexical part of the final score."""
    block_candidates: int = 96
    block_fuzzy_weight: float = 0.8
    """Inside an agency/topic block every candidate shares those names, so surface
    similarity (rapidfuzz WRatio) decides most of the order there."""
