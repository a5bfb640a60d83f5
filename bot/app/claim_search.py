"""Search stored statements with the shared matcher."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.domain import Statement
from bot.core.matching.hit import ClaimDoc
from bot.core.matching.index import ClaimIndex


def statement_text(statement: Statement) -> str:
    return f"{statement.agency} {statement.topic} {statement.quote}"


class ClaimSearch:
    """An index over statements, kept up to date incrementally."""

    def __init__(self) -> None:
        self._index = ClaimIndex()
        self._statements: dict[str, Statement] = {}

    def add(self, statements: Sequence[Statement]) -> None:
        fresh = [s for s in statements if s.id not in self._statements]
        for statement in fresh:
            self._statements[statement.id] = statement
        self._index.add_many(ClaimDoc(s.id, statement_text(s), s.agency, s.topic) for s in fresh)

    def search(self, query: str, limit: int = 10) -> list[tuple[Statement, float]]:
        return [
            (self._statements[hit.doc_id], hit.score)
            for hit in self._index.search(query, k=limit)
            if hit.doc_id in self._statements
        ]
