"""A lean HTTP/1.1 client for the benchmarks: one keep-alive connection, JSON posted back to back.

The write-API benchmark runs its clients on the same two cores as the service it
measures. httpx's client spends a few milliseconds of CPU per request of its own, which
the service's latency then includes (measured in one run: the 202 p99 at 20 clients
was 3–7× higher under httpx than under this client). This one writes the request bytes
and reads the status line, the headers and a `Content-Length` body: what the service
under test answers, nothing more. A benchmark tool, not a general client: no TLS, no
redirects, no chunked bodies.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from urllib.parse import urlsplit


class ProtocolError(Exception):
    """The server answered something this client does not read."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    """Header names lower-cased; a repeated header keeps its last value."""
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Connection:
    """One keep-alive HTTP/1.1 connection to `base` (`http://host:port`)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"the lean client takes http://host:port, not {base!r}")
        self._host = parts.hostname
        self._port = parts.port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def __aenter__(self) -> Connection:
        self._streams = await asyncio.open_connection(self._host, self._port)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None

    async def post_json(
        self, path: str, document: object, headers: dict[str, str] | None = None
    ) -> Answer:
        """POST `document` as JSON to `path` and read the whole answer."""
        if self._streams is None:
            raise RuntimeError("the connection is not open (use `async with`)")
        reader, writer = self._streams
        body = json.dumps(document).encode()
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {self._host}:{self._port}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return await _read_answer(reader)


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    status_line = await reader.readline()
    version, _, rest = status_line.decode("latin-1").partition(" ")
    if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n"):
            break
        if not line:
            raise ProtocolError("the connection closed inside the headers")
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise ProtocolError("a chunked body: this client reads Content-Length bodies only")
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Answer(int(rest[:3]), headers, body)
