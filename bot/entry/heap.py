"""The service's heap: what a process builds at start-up kept out of the collector's walks.

CPython's cyclic collector walks every tracked object on each full (generation 2)
collection. A service holding a claim index, lexicons and a watchlist has millions of
them, and under load a full collection came every 10–20 s and held the interpreter
for 100–220 ms: the event loop stood still, `/healthz` answered late and posts queued
(issue 16). Objects that live as long as the process are built with the collector off
(`building`) and then moved to the permanent generation (`settle`), which no
collection walks; reference counting still frees them when they are dropped, so only
a cycle among frozen objects would outlive its use, and `settle` collects first.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def building() -> Iterator[None]:
    """Build long-lived structures without a collection every few thousand allocations."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_frozen = 0
"""Objects in the permanent generation after the last `settle` (counted there)."""


def settle() -> int:
    """Collect what is garbage now, then exempt every survivor from later collections.

    Returns how many objects are frozen. Cheap after the first call: a collection walks
    only what was allocated since the last settle.
    """
    global _frozen
    gc.collect()
    gc.freeze()
    _frozen = gc.get_freeze_count()
    return _frozen


def frozen() -> int:
    """How many objects this process has settled (0 where nothing was).

    The count taken at the last `settle`: `gc.get_freeze_count()` walks every frozen
    object, and a `/metrics` scrape should not walk a million of them.
    """
    return _frozen
