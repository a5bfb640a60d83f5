"""A growable numpy array: cheap appends, zero-copy views."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


class GrowableArray:
    """Append-only numpy storage that doubles its capacity when full."""

    __slots__ = ("_data", "_size")

    def __init__(self, dtype: npt.DTypeLike, capacity: int = 4) -> None:
        self._data: npt.NDArray[Any] = np.empty(max(capacity, 1), dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def _reserve(self, size: int) -> None:
        if size > len(self._data):
            grown = np.empty(max(size, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown

    def append(self, value: Any) -> None:
        """Add one value at the end."""
        self._reserve(self._size + 1)
        self._data[self._size] = value
        self._size += 1

    def extend(self, values: npt.ArrayLike) -> None:
        """Add many values at the end."""
        block = np.asarray(values, dtype=self._data.dtype)
        self._reserve(self._size + len(block))
        self._data[self._size : self._size + len(block)] = block
        self._size += len(block)

    def view(self) -> npt.NDArray[Any]:
        """Return the filled part; valid until the next append or extend."""
        return self._data[: self._size]

    def raw(self) -> npt.NDArray[Any]:
        """Return the backing buffer, filled part first, for in-place updates."""
        return self._data

    def nbytes(self) -> int:
        """Return the bytes this array holds, including spare capacity."""
        return int(self._data.nbytes)

    @classmethod
    def of(cls, values: npt.NDArray[Any], spare: int = 1024) -> GrowableArray:
        """Return a growable copy of an array (a mapped file's array becomes private)."""
        grown = cls(values.dtype, len(values) + spare)
        grown.extend(values)
        return grown
