"""SafeFetcher against real HTTP servers on 127.0.0.1 (allowed through the allow-list).

Sentinel listeners record every TCP connection, so a refusal is shown to have
made none. No traffic leaves loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import pytest

from bot.inputs.feeds import parse_feed
from bot.inputs.fetching import (
    BodyTooLarge,
    FetchError,
    FetchTimeout,
    SafeFetcher,
    UnsafeURL,
    accepts_feed,
)

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Loopback News</title>
<item><title>Police deny using Clearview AI</title><link>https://news.example/1</link>
<pubDate>Wed, 04 Mar 2020 09:00:00 GMT</pubDate>
<description>A spokesperson said the federal police never used Clearview AI.</description></item>
</channel></rss>"""


@dataclass
class Request:
    path: str
    headers: dict[str, str]


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class LoopbackServer:
    """A tiny HTTP/1.1 server: one handler per path, every connection counted."""

    routes: dict[str, Handler] = field(default_factory=dict)
    connections: int = 0
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            request = Request(path, headers)
            self.requests.append(request)
            handler = self.routes.get(path.split("?")[0], not_found)
            await handler(request, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def not_found(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    await writer.drain()


def respond(status: str, body: bytes, **headers: str) -> Handler:
    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()

    return handler


@pytest.fixture
async def server() -> AsyncIterator[LoopbackServer]:
    running = LoopbackServer()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def sentinel() -> AsyncIterator[LoopbackServer]:
    running = LoopbackServer()
    await running.start()
    yield running
    await running.stop()


def allowing(
    server: LoopbackServer, *, timeout: float = 10.0, total_timeout: float = 20.0
) -> SafeFetcher:
    return SafeFetcher(
        allow_hosts=frozenset({f"127.0.0.1:{server.port}"}),
        timeout=timeout,
        total_timeout=total_timeout,
    )


async def settle() -> None:
    """Give a connection attempt, had one been made, time to reach a listener."""
    await asyncio.sleep(0.05)


async def test_allow_listed_loopback_feed_is_fetched_and_parsed(server: LoopbackServer) -> None:
    server.routes["/feed.xml"] = respond("200 OK", RSS, Content_Type="application/rss+xml")

    result = await allowing(server).fetch(
        f"http://127.0.0.1:{server.port}/feed.xml", accept=accepts_feed
    )
    reports = parse_feed(result.body, result.final_url, today=date(2024, 1, 1))

    assert result.status == 200
    assert [r.title for r in reports] == ["Police deny using Clearview AI"]
    assert reports[0].source == "Loopback News"


async def test_allow_listed_name_connects_to_its_pinned_address_with_host_header(
    server: LoopbackServer,
) -> None:
    server.routes["/feed.xml"] = respond("200 OK", RSS)

    def resolver(host: str, port: int) -> Sequence[str]:
        assert host == "feeds.newsroom.test"
        return ["127.0.0.1"]

    fetcher = SafeFetcher(
        allow_hosts=frozenset({f"feeds.newsroom.test:{server.port}"}), resolver=resolver
    )
    result = await fetcher.fetch(f"http://feeds.newsroom.test:{server.port}/feed.xml")

    assert result.body == RSS
    assert result.final_url == f"http://feeds.newsroom.test:{server.port}/feed.xml"
    assert server.requests[0].headers["host"] == f"feeds.newsroom.test:{server.port}"


async def test_conditional_get_against_a_real_server(server: LoopbackServer) -> None:
    async def feed(request: Request, writer: asyncio.StreamWriter) -> None:
        if request.headers.get("if-none-match") == '"abc"':
            await respond("304 Not Modified", b"", ETag='"abc"')(request, writer)
        else:
            await respond("200 OK", RSS, ETag='"abc"')(request, writer)

    server.routes["/feed.xml"] = feed
    fetcher = allowing(server)
    url = f"http://127.0.0.1:{server.port}/feed.xml"

    first = await fetcher.fetch(url)
    second = await fetcher.fetch(url, etag=first.etag)

    assert first.etag == '"abc"' and not first.not_modified
    assert second.not_modified and second.body == b""


async def test_unlisted_loopback_is_refused_with_no_connection(sentinel: LoopbackServer) -> None:
    fetcher = SafeFetcher(allowed_ports=frozenset({80, 443, sentinel.port}))
    for url in (
        f"http://127.0.0.1:{sentinel.port}/",
        f"http://[::ffff:127.0.0.1]:{sentinel.port}/",
        f"http://2130706433:{sentinel.port}/",
        f"http://0x7f000001:{sentinel.port}/",
        f"http://127.1:{sentinel.port}/",
        f"http://localhost:{sentinel.port}/",
    ):
        with pytest.raises(UnsafeURL):
            await fetcher.fetch(url)
    await settle()
    assert sentinel.connections == 0


async def test_hostile_dns_answer_pointing_at_loopback_makes_no_connection(
    sentinel: LoopbackServer,
) -> None:
    fetcher = SafeFetcher(
        resolver=lambda host, port: ["127.0.0.1"],
        allowed_ports=frozenset({80, 443, sentinel.port}),
    )
    with pytest.raises(UnsafeURL, match="loopback"):
        await fetcher.fetch(f"http://rebind.attacker.test:{sentinel.port}/")
    await settle()
    assert sentinel.connections == 0


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{sentinel}/",
        "http://localhost:{sentinel}/",
        "http://[::ffff:7f00:1]:{sentinel}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/",
        "file:///etc/passwd",
    ],
)
async def test_redirect_from_allowed_host_to_disallowed_target_is_refused(
    server: LoopbackServer, sentinel: LoopbackServer, target: str
) -> None:
    location = target.format(sentinel=sentinel.port)
    server.routes["/moved"] = respond("302 Found", b"", Location=location)

    with pytest.raises(UnsafeURL):
        await allowing(server).fetch(f"http://127.0.0.1:{server.port}/moved")
    await settle()
    assert sentinel.connections == 0
    assert server.connections == 1


async def test_redirect_within_the_allowed_host_is_followed(server: LoopbackServer) -> None:
    server.routes["/old"] = respond("301 Moved Permanently", b"", Location="/feed.xml")
    server.routes["/feed.xml"] = respond("200 OK", RSS)

    result = await allowing(server).fetch(f"http://127.0.0.1:{server.port}/old")

    assert result.body == RSS
    assert result.final_url == f"http://127.0.0.1:{server.port}/feed.xml"


async def test_redirect_loop_stops_at_the_limit(server: LoopbackServer) -> None:
    server.routes["/loop"] = respond("302 Found", b"", Location="/loop")

    with pytest.raises(FetchError, match="redirects"):
        await allowing(server).fetch(f"http://127.0.0.1:{server.port}/loop")
    assert server.connections == 6


async def test_endless_body_is_aborted_at_the_cap(server: LoopbackServer) -> None:
    async def endless(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n")
        chunk = b"x" * 65_536
        for _ in range(16_384):  # up to 1 GB, unless the client hangs up first
            writer.write(chunk)
            await writer.drain()

    server.routes["/endless"] = endless
    started = time.monotonic()
    with pytest.raises(BodyTooLarge):
        await allowing(server).fetch(f"http://127.0.0.1:{server.port}/endless")
    assert time.monotonic() - started < 10


async def test_slow_drip_is_cut_by_the_total_timeout(server: LoopbackServer) -> None:
    async def drip(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.1)

    server.routes["/drip"] = drip
    fetcher = allowing(server, total_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        await fetcher.fetch(f"http://127.0.0.1:{server.port}/drip")
    assert time.monotonic() - started < 3


async def test_silent_server_is_cut_by_the_read_timeout(server: LoopbackServer) -> None:
    async def silent(request: Request, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    server.routes["/silent"] = silent
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        await allowing(server, timeout=0.5).fetch(f"http://127.0.0.1:{server.port}/silent")
    assert time.monotonic() - started < 3


async def test_gzip_bomb_is_aborted_without_inflating_it(server: LoopbackServer) -> None:
    member = gzip.compress(b"\0" * 10_000_000, compresslevel=9)

    async def bomb(request: Request, writer: asyncio.StreamWriter) -> None:
        # 1,000 gzip members of 10 MB zeros each: 10 GB once inflated.
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n")
        for _ in range(1000):
            writer.write(member)
            await writer.drain()

    server.routes["/bomb"] = bomb
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            await allowing(server).fetch(f"http://127.0.0.1:{server.port}/bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000


async def test_non_feed_content_type_is_refused(server: LoopbackServer) -> None:
    server.routes["/image"] = respond("200 OK", b"\x89PNG\r\n", Content_Type="image/png")

    with pytest.raises(FetchError, match="image/png"):
        await allowing(server).fetch(f"http://127.0.0.1:{server.port}/image", accept=accepts_feed)


async def test_other_feeds_keep_being_served_while_one_drips(server: LoopbackServer) -> None:
    async def drip(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.1)

    server.routes["/drip"] = drip
    server.routes["/feed.xml"] = respond("200 OK", RSS)
    fetcher = allowing(server, total_timeout=2.0)
    slow = asyncio.create_task(fetcher.fetch(f"http://127.0.0.1:{server.port}/drip"))
    started = time.monotonic()
    results = [await fetcher.fetch(f"http://127.0.0.1:{server.port}/feed.xml") for _ in range(5)]
    elapsed = time.monotonic() - started
    with pytest.raises(FetchTimeout):
        await slow

    assert all(r.body == RSS for r in results)
    assert elapsed < 1.0
