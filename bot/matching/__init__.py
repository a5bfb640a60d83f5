"""Claim matching: a pure, in-memory ranked index over stored statements."""

from bot.matching.hit import ClaimDoc, Hit, Tuning
from bot.matching.index import ClaimIndex
from bot.matching.text import clean, fold, terms

__all__ = ["ClaimDoc", "ClaimIndex", "Hit", "Tuning", "clean", "fold", "terms"]
