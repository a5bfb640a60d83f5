"""XML attacks on the feed parser end fast, small, and without touching the network or disk."""

from __future__ import annotations

import socketserver
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date

import pytest

from bot.inputs.feeds import FeedError, parse_feed

TODAY = date(2024, 5, 1)


class _Counting(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server = self.server
        assert isinstance(server, SentinelServer)
        with server.lock:
            server.hits += 1
        self.request.sendall(
            b'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n<!ENTITY leak "SENTINEL">'
        )


class SentinelServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Counting)
        self.hits = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def sentinel() -> Iterator[SentinelServer]:
    server = SentinelServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def rss(doctype: str, title: str, encoding: str = "utf-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n{doctype}\n'
        f'<rss version="2.0"><channel><title>{title}</title>'
        f"<item><title>{title}</title><description>{title}</description>"
        f"<link>https://x.example/1</link></item></channel></rss>"
    ).encode(encoding)


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return rss(f"<!DOCTYPE rss [{''.join(entities)}]>", "&lol9;")


def quadratic_blowup() -> bytes:
    return rss(f'<!DOCTYPE rss [<!ENTITY a "{"A" * 100_000}">]>', "&a;" * 10_000)


def file_entity() -> bytes:
    return rss('<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;")


def parameter_entity(url: str) -> bytes:
    return rss(f'<!DOCTYPE rss [<!ENTITY % ext SYSTEM "{url}/ext.dtd"> %ext;]>', "&leak;")


def http_entity(url: str) -> bytes:
    return rss(f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{url}/entity">]>', "&xxe;")


def external_dtd(url: str) -> bytes:
    return rss(f'<!DOCTYPE rss SYSTEM "{url}/feed.dtd">', "&leak;")


def malformed_with_entities() -> bytes:
    # Not well-formed before the DOCTYPE, so only the lenient parser would read it.
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 8))
    return rss(f'<!-- -- --><!DOCTYPE rss [<!ENTITY e0 "x">{entities}]>', "&e7;&e7;<b")


def utf16_billion_laughs() -> bytes:
    text = billion_laughs().decode("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    return text.encode("utf-16")


ATTACKS = {
    "billion-laughs": lambda url: billion_laughs(),
    "quadratic-blowup": lambda url: quadratic_blowup(),
    "file-entity": lambda url: file_entity(),
    "http-entity": http_entity,
    "parameter-entity": parameter_entity,
    "external-dtd": external_dtd,
    "malformed-with-entities": lambda url: malformed_with_entities(),
    "utf16-billion-laughs": lambda url: utf16_billion_laughs(),
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_xml_attack_is_bounded_and_harmless(attack: str, sentinel: SentinelServer) -> None:
    body = ATTACKS[attack](sentinel.url)
    tracemalloc.start()
    started = time.monotonic()
    try:
        try:
            reports = parse_feed(body, "https://x.example/rss", today=TODAY)
        except FeedError as error:
            assert "\n" not in str(error)
            reports = []
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert elapsed < 2.0
    assert peak < 50_000_000
    stored = " ".join(f"{r.title} {r.text} {r.source} {r.url}" for r in reports)
    assert "root:" not in stored
    assert "SENTINEL" not in stored
    assert "lollollol" not in stored
    assert len(stored) < 10_000
    time.sleep(0.1)  # a fetch, had one started, would have reached the sentinel by now
    assert sentinel.hits == 0


@pytest.mark.parametrize(
    "attack",
    ["billion-laughs", "quadratic-blowup", "file-entity", "http-entity", "parameter-entity"],
)
def test_entity_declarations_are_refused_with_a_clear_error(
    attack: str, sentinel: SentinelServer
) -> None:
    with pytest.raises(FeedError, match="entit"):
        parse_feed(ATTACKS[attack](sentinel.url), "https://x.example/rss", today=TODAY)


def test_external_dtd_feed_is_read_without_loading_the_dtd(sentinel: SentinelServer) -> None:
    body = rss(f'<!DOCTYPE rss SYSTEM "{sentinel.url}/feed.dtd">', "Plain title")

    (report,) = parse_feed(body, "https://x.example/rss", today=TODAY)

    assert report.title == "Plain title"
    time.sleep(0.1)
    assert sentinel.hits == 0


def test_largest_allowed_feed_parses_within_the_time_budget() -> None:
    item = (
        "<item><title>Police deny using Clearview AI {n}</title>"
        "<link>https://x.example/{n}</link><description>{text}</description></item>"
    )
    text = "The federal police said it never used the software. " * 20
    items = []
    size = 0
    n = 0
    while size < 4_500_000:
        entry = item.format(n=n, text=text)
        items.append(entry)
        size += len(entry)
        n += 1
    body = f'<rss version="2.0"><channel><title>Big</title>{"".join(items)}</channel></rss>'

    started = time.monotonic()
    reports = parse_feed(body.encode(), "https://x.example/rss", today=TODAY)

    assert len(reports) == n
    assert time.monotonic() - started < 20
