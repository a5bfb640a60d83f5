"""Snapshots of the claim index as memory-mapped .npy files in one directory per host.

Layout: `<dir>/<generation>/<array>.npy` plus `manifest.json`, and `<dir>/CURRENT`
naming the generation in use. A writer fills a fresh generation directory, syncs it,
then replaces CURRENT in one rename, so a reader sees a whole snapshot or the one
before, never half of one. Readers map the arrays read-only: every process of a host
shares one copy of the pages. An older generation is removed once a newer one is
current; a process that still maps it keeps its pages until it lets go (POSIX unlink).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.app.ports import IndexSnapshot
from bot.core.matching import CorruptIndex

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = ".lock"


class IndexFiles:
    """Keep and map claim-index snapshots in `directory` (created when first written)."""

    def __init__(self, directory: Path, *, writable: bool = True) -> None:
        self.directory = directory
        self.writable = writable

    def load(self) -> IndexSnapshot | None:
        pointer = self.directory / CURRENT
        if not pointer.is_file():
            return None
        generation = self.directory / pointer.read_text("utf-8").strip()
        try:
            manifest = json.loads((generation / MANIFEST).read_text("utf-8"))
            arrays: dict[str, npt.NDArray[Any]] = {}
            for name, size in manifest["arrays"].items():
                path = generation / f"{name}.npy"
                if path.stat().st_size != size:
                    raise CorruptIndex(f"{path.name} holds {path.stat().st_size} bytes, not {size}")
                # An empty array cannot be mapped; it is read instead.
                loaded = np.load(path, mmap_mode="r" if size > 128 else None, allow_pickle=False)
                arrays[name] = loaded
            return IndexSnapshot(
                arrays=arrays,
                settled=int(manifest["settled"]),
                count=int(manifest["count"]),
                database=str(manifest["database"]),
                format=int(manifest["format"]),
                # Snapshots written before gaps were kept: read from `settled` on.
                read_upto=int(manifest.get("read_upto", manifest["settled"])),
                gaps=tuple(
                    (int(after), int(before), float(seen))
                    for after, before, seen in manifest.get("gaps", [])
                ),
            )
        except CorruptIndex:
            raise
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CorruptIndex(f"{generation.name}: {error}") from error

    def save(self, snapshot: IndexSnapshot) -> bool:
        if not self.writable:
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._writer() as locked:
            if not locked:
                return False
            name = f"g-{uuid.uuid4().hex[:12]}"
            generation = self.directory / name
            generation.mkdir()
            sizes = {}
            for array_name, array in snapshot.arrays.items():
                path = generation / f"{array_name}.npy"
                with path.open("wb") as out:
                    np.save(out, np.ascontiguousarray(array), allow_pickle=False)
                    out.flush()
                    os.fsync(out.fileno())
                sizes[array_name] = path.stat().st_size
            manifest = {
                "format": snapshot.format,
                "database": snapshot.database,
                "settled": snapshot.settled,
                "count": snapshot.count,
                "read_upto": snapshot.read_upto,
                "gaps": [list(gap) for gap in snapshot.gaps],
                "arrays": sizes,
            }
            _write_synced(generation / MANIFEST, json.dumps(manifest))
            _write_synced(self.directory / f"{CURRENT}.tmp", name)
            os.replace(self.directory / f"{CURRENT}.tmp", self.directory / CURRENT)
            _sync_directory(self.directory)
            for old in self.directory.glob("g-*"):
                if old.name != name:
                    shutil.rmtree(old, ignore_errors=True)
            return True

    @contextlib.contextmanager
    def _writer(self) -> Iterator[bool]:
        with (self.directory / LOCK).open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
