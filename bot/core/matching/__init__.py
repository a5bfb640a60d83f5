"""Claim matching: a pure, in-memory ranked index over stored statements."""

from bot.core.matching.hit import ClaimDoc, Hit, Tuning
from bot.core.matching.index import ClaimIndex
from bot.core.matching.text import clean, fold, terms

__all__ = ["ClaimDoc", "ClaimIndex", "Hit", "Tuning", "clean", "fold", "terms"]
