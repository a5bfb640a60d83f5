"""Claim matching: a pure, in-memory ranked index over stored statements."""

from bot.core.language.text import fold
from bot.core.matching.analysis import analyse, clean, terms
from bot.core.matching.hit import ClaimDoc, Hit, Tuning
from bot.core.matching.index import ClaimIndex

__all__ = ["ClaimDoc", "ClaimIndex", "Hit", "Tuning", "analyse", "clean", "fold", "terms"]
