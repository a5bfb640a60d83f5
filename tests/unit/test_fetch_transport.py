"""SafeFetcher against a mock transport: pinning, redirects, conditional GET, limits."""

from __future__ import annotations

import gzip
import socket
import zlib
from collections.abc import AsyncIterator, Callable, Sequence

import httpx
import pytest

from bot.inputs.fetching import (
    BodyTooLarge,
    FetchError,
    SafeFetcher,
    UnsafeURL,
    accepts_feed,
    accepts_html,
)
from bot.inputs.fetching.decoding import CappedDecoder

PUBLIC_A = "93.184.216.34"
PUBLIC_B = "93.184.216.35"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


class RebindingResolver:
    """Answers a public address first and loopback afterwards (TTL 0 rebinding)."""

    def __init__(self, first: Sequence[str], then: Sequence[str]) -> None:
        self.answers = [list(first), list(then)]
        self.calls = 0

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls += 1
        return self.answers[min(self.calls - 1, 1)]


def static(table: dict[str, list[str]]) -> Callable[[str, int], Sequence[str]]:
    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return table[host]

    return resolve


class ChunkedStream(httpx.AsyncByteStream):
    """A response body that arrives in chunks, as from a network connection."""

    def __init__(self, body: bytes, chunk: int = 65_536) -> None:
        self.body = body
        self.chunk = chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), self.chunk):
            yield self.body[start : start + self.chunk]


def streamed(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, headers=headers, stream=ChunkedStream(body))


def recording(
    respond: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return respond(request)

    return httpx.MockTransport(handler), seen


async def test_connection_goes_to_the_vetted_address_even_if_dns_rebinds() -> None:
    resolver = RebindingResolver([PUBLIC_A], ["127.0.0.1"])
    transport, seen = recording(lambda r: streamed(200, b"<rss/>"))
    fetcher = SafeFetcher(resolver=resolver, transport=transport)

    result = await fetcher.fetch("http://news.example.com/feed.xml")

    assert resolver.calls == 1
    assert [r.url.host for r in seen] == [PUBLIC_A]
    assert seen[0].headers["host"] == "news.example.com"
    assert result.final_url == "http://news.example.com/feed.xml"
    assert result.body == b"<rss/>"


async def test_https_sends_the_name_as_sni_and_host_but_connects_to_the_address() -> None:
    transport, seen = recording(lambda r: streamed(200, b"ok"))
    fetcher = SafeFetcher(resolver=static({"news.example.com": [PUBLIC_V6]}), transport=transport)

    await fetcher.fetch("https://news.example.com/feed?page=2")

    request = seen[0]
    assert request.url.host == PUBLIC_V6
    assert request.url.scheme == "https"
    assert request.url.query == b"page=2"
    assert request.extensions["sni_hostname"] == "news.example.com"
    assert request.headers["host"] == "news.example.com"


async def test_next_address_is_tried_when_the_first_refuses_connections() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC_A:
            raise httpx.ConnectError("connection refused", request=request)
        return streamed(200, b"second")

    transport, seen = recording(respond)
    fetcher = SafeFetcher(
        resolver=static({"news.example.com": [PUBLIC_A, PUBLIC_B]}), transport=transport
    )

    result = await fetcher.fetch("http://news.example.com/")

    assert result.body == b"second"
    assert [r.url.host for r in seen] == [PUBLIC_A, PUBLIC_B]


async def test_redirect_to_internal_address_is_refused_before_connecting() -> None:
    transport, seen = recording(
        lambda r: httpx.Response(302, headers={"location": "http://169.254.169.254/latest/"})
    )
    fetcher = SafeFetcher(resolver=static({"news.example.com": [PUBLIC_A]}), transport=transport)

    with pytest.raises(UnsafeURL, match="metadata"):
        await fetcher.fetch("http://news.example.com/feed")

    assert [r.url.host for r in seen] == [PUBLIC_A]


async def test_redirect_to_a_name_that_rebinds_to_loopback_is_refused() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "https://cdn.attacker.test/x"})

    transport, seen = recording(respond)
    resolver = static({"news.example.com": [PUBLIC_A], "cdn.attacker.test": ["127.0.0.1"]})
    fetcher = SafeFetcher(resolver=resolver, transport=transport)

    with pytest.raises(UnsafeURL, match="loopback"):
        await fetcher.fetch("http://news.example.com/feed")
    assert len(seen) == 1


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "gopher://127.0.0.1/", "http://0x7f000001/"]
)
async def test_redirect_to_other_schemes_or_odd_hosts_is_refused(location: str) -> None:
    transport, seen = recording(lambda r: httpx.Response(302, headers={"location": location}))
    fetcher = SafeFetcher(resolver=static({"news.example.com": [PUBLIC_A]}), transport=transport)

    with pytest.raises(UnsafeURL):
        await fetcher.fetch("http://news.example.com/")
    assert len(seen) == 1


async def test_relative_redirects_are_followed_and_final_url_reported() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"location": "/new/feed.xml"})
        if request.url.path == "/new/feed.xml":
            return httpx.Response(307, headers={"location": "https://mirror.example.com/f"})
        return streamed(200, b"<feed/>", headers={"content-type": "text/xml"})

    transport, seen = recording(respond)
    resolver = static({"news.example.com": [PUBLIC_A], "mirror.example.com": [PUBLIC_B]})
    fetcher = SafeFetcher(resolver=resolver, transport=transport)

    result = await fetcher.fetch("http://news.example.com/old")

    assert result.final_url == "https://mirror.example.com/f"
    assert result.content_type == "text/xml"
    assert [r.headers["host"] for r in seen] == [
        "news.example.com",
        "news.example.com",
        "mirror.example.com",
    ]


async def test_redirect_chains_longer_than_the_limit_fail() -> None:
    transport, seen = recording(lambda r: httpx.Response(302, headers={"location": "/again"}))
    fetcher = SafeFetcher(
        resolver=static({"news.example.com": [PUBLIC_A]}), transport=transport, max_redirects=3
    )

    with pytest.raises(FetchError, match="more than 3 redirects"):
        await fetcher.fetch("http://news.example.com/")
    assert len(seen) == 4


async def test_conditional_get_sends_validators_and_reports_not_modified() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"etag": '"v1"'})
        return httpx.Response(
            200,
            content=b"<rss/>",
            headers={"etag": '"v1"', "last-modified": "Tue, 05 Oct 2021 10:00:00 GMT"},
        )

    transport, seen = recording(respond)
    fetcher = SafeFetcher(resolver=static({"news.example.com": [PUBLIC_A]}), transport=transport)

    first = await fetcher.fetch("http://news.example.com/feed")
    second = await fetcher.fetch(
        "http://news.example.com/feed", etag=first.etag, last_modified=first.last_modified
    )

    assert (first.status, first.not_modified, first.etag) == (200, False, '"v1"')
    assert first.last_modified == "Tue, 05 Oct 2021 10:00:00 GMT"
    assert (second.status, second.not_modified, second.body) == (304, True, b"")
    assert seen[1].headers["if-modified-since"] == "Tue, 05 Oct 2021 10:00:00 GMT"


@pytest.mark.parametrize("status", [404, 410, 500, 503])
async def test_error_statuses_raise_one_line_errors(status: int) -> None:
    transport, _ = recording(lambda r: httpx.Response(status))
    fetcher = SafeFetcher(resolver=static({"news.example.com": [PUBLIC_A]}), transport=transport)

    with pytest.raises(FetchError, match=f"HTTP {status}") as error:
        await fetcher.fetch("http://news.example.com/")
    assert "\n" not in str(error.value)


async def test_unexpected_content_type_is_refused_before_the_body_is_read() -> None:
    transport, _ = recording(
        lambda r: streamed(200, b"\x89PNG", headers={"content-type": "image/png"})
    )
    fetcher = SafeFetcher(resolver=static({"news.example.com": [PUBLIC_A]}), transport=transport)

    with pytest.raises(FetchError, match="image/png"):
        await fetcher.fetch("http://news.example.com/", accept=accepts_feed)


@pytest.mark.parametrize(
    ("content_type", "feed", "html"),
    [
        ("application/rss+xml; charset=utf-8", True, False),
        ("application/atom+xml", True, False),
        ("text/xml", True, False),
        ("application/feed+json", True, False),
        ("text/html; charset=iso-8859-1", False, True),
        ("application/xhtml+xml", True, True),
        ("image/png", False, False),
        ("", True, True),
    ],
)
def test_content_type_predicates(content_type: str, feed: bool, html: bool) -> None:
    assert accepts_feed(content_type) is feed
    assert accepts_html(content_type) is html


async def test_declared_length_over_the_cap_is_refused() -> None:
    transport, _ = recording(
        lambda r: streamed(200, b"x" * 2000, headers={"content-length": "2000"})
    )
    fetcher = SafeFetcher(
        resolver=static({"news.example.com": [PUBLIC_A]}), transport=transport, max_bytes=1000
    )
    with pytest.raises(BodyTooLarge):
        await fetcher.fetch("http://news.example.com/")


async def test_gzip_body_is_decompressed_and_capped_after_decompression() -> None:
    small = gzip.compress(b"<rss>" + b" " * 500 + b"</rss>")
    bomb = gzip.compress(b"\0" * 50_000_000)

    def respond(request: httpx.Request) -> httpx.Response:
        body = bomb if request.url.path == "/bomb" else small
        return streamed(200, body, headers={"content-encoding": "gzip"})

    transport, _ = recording(respond)
    fetcher = SafeFetcher(resolver=static({"news.example.com": [PUBLIC_A]}), transport=transport)

    result = await fetcher.fetch("http://news.example.com/small")
    assert result.body.startswith(b"<rss>") and len(result.body) == 511
    with pytest.raises(BodyTooLarge, match="5000000"):
        await fetcher.fetch("http://news.example.com/bomb")


async def test_transport_errors_become_fetch_errors() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("server hung up", request=request)

    transport, _ = recording(respond)
    fetcher = SafeFetcher(resolver=static({"news.example.com": [PUBLIC_A]}), transport=transport)
    with pytest.raises(FetchError, match="server hung up"):
        await fetcher.fetch("http://news.example.com/")


def test_decoder_caps_a_multi_member_gzip_bomb_without_inflating_it_whole() -> None:
    member = gzip.compress(b"\0" * 1_000_000)
    decoder = CappedDecoder("gzip", 5_000_000)
    produced = 0
    with pytest.raises(BodyTooLarge):
        for _ in range(100):
            produced += len(decoder.decode(member))
    assert produced <= 5_000_000
    assert decoder.total <= 5_000_001


def test_decoder_reads_zlib_and_raw_deflate_and_identity() -> None:
    text = b"denial " * 100
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_body = raw.compress(text) + raw.flush()
    assert CappedDecoder("deflate", 10_000).decode(zlib.compress(text)) == text
    assert CappedDecoder("deflate", 10_000).decode(raw_body) == text
    assert CappedDecoder("identity", 10_000).decode(text) == text
    assert CappedDecoder("", 10_000).decode(text) == text


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_decoder_refuses_encodings_it_did_not_ask_for(encoding: str) -> None:
    with pytest.raises(FetchError, match="encoding"):
        CappedDecoder(encoding, 1000)


def test_decoder_reports_corrupt_gzip() -> None:
    with pytest.raises(FetchError, match="corrupt"):
        CappedDecoder("gzip", 1000).decode(b"\x1f\x8bnot really gzip at all")
