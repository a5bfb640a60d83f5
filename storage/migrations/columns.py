"""Column lists for migrations: several columns of one type, in the order named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine


def columns(
    kind: Callable[[], TypeEngine[Any]], *names: str, nullable: bool = False
) -> list[sa.Column[Any]]:
    """Columns of one type in the order named, NOT NULL unless `nullable`."""
    return [sa.Column(name, kind(), nullable=nullable) for name in names]
