"""Claim matching: a pure ranked index over stored statements, kept as flat arrays."""

from bot.core.language.text import fold
from bot.core.matching.analysis import analyse, clean, terms
from bot.core.matching.hit import ClaimDoc, Hit, Tuning
from bot.core.matching.index import ClaimIndex
from bot.core.matching.segment import FORMAT, CorruptIndex, IndexArrays

__all__ = [
    "FORMAT",
    "ClaimDoc",
    "ClaimIndex",
    "CorruptIndex",
    "Hit",
    "IndexArrays",
    "Tuning",
    "analyse",
    "clean",
    "fold",
    "terms",
]
