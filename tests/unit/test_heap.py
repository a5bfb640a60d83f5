"""`bot.entry.heap`: build with the collector off, then settle (collect, then freeze).

Each check runs in a fresh interpreter: freezing the test runner's own heap would
keep every later test's objects from the collector.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import gc, weakref
from bot.entry import heap

assert heap.frozen() == 0
with heap.building():
    assert not gc.isenabled()
    kept = [[n] for n in range(50_000)]
assert gc.isenabled()

class Node:
    pass

garbage = Node()
garbage.me = garbage  # a cycle: only the collector frees it
gone = weakref.ref(garbage)
del garbage
frozen = heap.settle()
assert gone() is None, "settle froze garbage instead of collecting it"
assert frozen >= 50_000 and heap.frozen() == frozen
print(frozen)
"""


def test_building_then_settling_freezes_survivors_and_collects_garbage_first() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 50_000


def test_building_restores_a_disabled_collector_as_it_found_it() -> None:
    script = (
        "import gc\nfrom bot.entry import heap\ngc.disable()\n"
        "with heap.building():\n    pass\nassert not gc.isenabled()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
