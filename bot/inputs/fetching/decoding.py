"""Content-Encoding decoding with a hard cap on the decompressed size.

httpx would inflate a whole network chunk at once (a 64 KB gzip chunk of zeros
becomes 64 MB before any counter sees it); here zlib is asked for at most the
bytes still allowed, so a gzip bomb costs no more memory than the cap.
"""

from __future__ import annotations

import zlib

from bot.inputs.fetching.policy import FetchError

SUPPORTED_ENCODINGS = ("gzip", "deflate")
ACCEPT_ENCODING = ", ".join(SUPPORTED_ENCODINGS)

_GZIP_MAGIC = b"\x1f\x8b"


class BodyTooLarge(FetchError):
    """The body exceeds the size cap (after decompression)."""


class CappedDecoder:
    """Decode one response body chunk by chunk, refusing more than `limit` bytes."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise FetchError(f"stacked content encodings are not supported: {content_encoding}")
        self._coding = codings[0] if codings else ""
        if self._coding == "x-gzip":
            self._coding = "gzip"
        if self._coding not in ("", *SUPPORTED_ENCODINGS):
            raise FetchError(f"unsupported content encoding: {self._coding}")
        self._limit = limit
        self._total = 0
        self._first = True
        self._inflater: zlib._Decompress | None = self._new_inflater()

    @property
    def total(self) -> int:
        return self._total

    def _new_inflater(self) -> zlib._Decompress | None:
        if self._coding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self._coding == "deflate":
            return zlib.decompressobj(zlib.MAX_WBITS)
        return None

    def _count(self, size: int) -> None:
        self._total += size
        if self._total > self._limit:
            raise BodyTooLarge(f"body is larger than {self._limit} bytes")

    def decode(self, data: bytes) -> bytes:
        """Return the decoded bytes of one raw chunk."""
        inflater = self._inflater
        if inflater is None:
            self._count(len(data))
            return data
        parts: list[bytes] = []
        while data:
            room = self._limit - self._total + 1
            try:
                out = inflater.decompress(data, room)
            except zlib.error as exc:
                if self._first and self._coding == "deflate":
                    # Some servers send raw deflate without the zlib header.
                    self._first = False
                    inflater = self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise FetchError("corrupt compressed body") from exc
            self._first = False
            self._count(len(out))
            parts.append(out)
            if inflater.unconsumed_tail:
                data = inflater.unconsumed_tail
            elif inflater.eof and inflater.unused_data.startswith(_GZIP_MAGIC):
                data = inflater.unused_data
                inflater = self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = b""
        return b"".join(parts)
