"""The egress policy refuses every internal address form before any connection."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.inputs.fetching import (
    FetchError,
    SafeFetcher,
    UnsafeURL,
    address_refusal,
    parse_allow_hosts,
)

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"

# Names a hostile DNS server could answer with internal addresses.
HOSTILE_DNS = {
    "loopback.attacker.test": ["127.0.0.1"],
    "loopback6.attacker.test": ["::1"],
    "private.attacker.test": ["10.0.0.7"],
    "mixed.attacker.test": [PUBLIC_V4, "192.168.0.10"],
    "linklocal6.attacker.test": ["fe80::1%2"],
    "metadata.attacker.test": ["169.254.169.254"],
    "mapped.attacker.test": ["::ffff:10.1.2.3"],
    "cgnat.attacker.test": ["100.100.100.100"],
    "ula.attacker.test": ["fd12:3456::1"],
    "unspecified.attacker.test": ["0.0.0.0"],
    "garbage.attacker.test": ["not-an-address"],
}
PUBLIC_DNS = {
    "news.example.com": [PUBLIC_V4],
    "news6.example.com": [PUBLIC_V6],
    "xn--bcher-kva.example": [PUBLIC_V4],
}


class FakeResolver:
    """A DNS we control: records lookups, never touches the network."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


SSRF_URLS = [
    # loopback, in every notation
    "http://127.0.0.1/",
    "http://127.0.0.2/",
    "http://127.1/",
    "http://0x7f000001/",
    "http://0x7F.0.0.1/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://127.000.000.001/",
    "http://127.0.0.1./",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::7f00:1]/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    # unspecified
    "http://0/",
    "http://0.0.0.0/",
    "http://[::]/",
    # private, CGNAT, ULA, link-local
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fec0::1]/",
    "http://[::ffff:10.0.0.1]/",
    # cloud metadata
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.43518/",
    "http://2852039166/",
    "http://0251.0376.0251.0376/",
    "http://0xa9fea9fe/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fd00:ec2::254]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata/",
    "http://metadata.goog/",
    "http://100.100.100.200/",
    # multicast, broadcast, reserved
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://[ff02::1]/",
    # hostile DNS answers
    *(f"http://{name}/" for name in HOSTILE_DNS),
    # userinfo and fragment tricks still name an internal host
    "http://news.example.com@127.0.0.1/",
    "http://127.0.0.1#@news.example.com/",
    "http://user:pass@[::1]/",
    # other schemes
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/_GET",
    "ftp://news.example.com/feed.xml",
    "dict://127.0.0.1:11211/stat",
    "javascript:alert(1)",
    "//news.example.com/feed",
    "news.example.com/feed",
    # ports other than 80/443 on public hosts
    "http://news.example.com:22/",
    "https://news.example.com:6379/",
    # malformed
    "http://exa mple.com/",
    "http://news.example.com\\@127.0.0.1/",
    "http://[::1/",
    "http://ex\x00ample.com/",
]


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver({**HOSTILE_DNS, **PUBLIC_DNS})


@pytest.mark.parametrize("url", SSRF_URLS)
def test_check_url_refuses_internal_targets(url: str, resolver: FakeResolver) -> None:
    fetcher = SafeFetcher(resolver=resolver)
    with pytest.raises(UnsafeURL) as refused:
        fetcher.check_url(url)
    assert refused.value.reason
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("url", SSRF_URLS)
async def test_fetch_refuses_internal_targets_without_a_request(
    url: str, resolver: FakeResolver
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, text="should never be reached")

    fetcher = SafeFetcher(resolver=resolver, transport=httpx.MockTransport(handler))
    with pytest.raises(UnsafeURL):
        await fetcher.fetch(url)
    assert sent == []


def test_odd_ip_notation_is_refused_before_dns(resolver: FakeResolver) -> None:
    fetcher = SafeFetcher(resolver=resolver)
    with pytest.raises(UnsafeURL, match="non-standard notation"):
        fetcher.check_url("http://0x7f000001/")
    assert resolver.calls == []


def test_any_internal_answer_among_public_ones_is_refused(resolver: FakeResolver) -> None:
    with pytest.raises(UnsafeURL, match=r"private address 192\.168\.0\.10"):
        SafeFetcher(resolver=resolver).check_url("https://mixed.attacker.test/feed")


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.com/feed.xml",
        "http://news.example.com:80/feed.xml",
        "https://news6.example.com/rss",
        "https://bücher.example/feed",
        f"http://{PUBLIC_V4}/feed",
        f"https://[{PUBLIC_V6}]/feed",
    ],
)
def test_check_url_accepts_public_targets(url: str, resolver: FakeResolver) -> None:
    SafeFetcher(resolver=resolver).check_url(url)


def test_unresolvable_host_is_a_fetch_error_not_a_refusal(resolver: FakeResolver) -> None:
    with pytest.raises(FetchError, match=r"cannot resolve host nowhere\.example") as error:
        SafeFetcher(resolver=resolver).check_url("https://nowhere.example/feed")
    assert not isinstance(error.value, UnsafeURL)


def test_allow_listed_host_and_port_may_be_loopback(resolver: FakeResolver) -> None:
    fetcher = SafeFetcher(
        allow_hosts=parse_allow_hosts("127.0.0.1:8080, feeds.internal  [::1]:9000"),
        resolver=FakeResolver({"feeds.internal": ["10.1.1.1"]}),
    )
    fetcher.check_url("http://127.0.0.1:8080/feed.xml")
    fetcher.check_url("http://feeds.internal:8443/any-port")
    fetcher.check_url("http://[::1]:9000/feed")
    for url in ("http://127.0.0.1:8081/", "http://127.0.0.1/", "http://[::1]:9001/"):
        with pytest.raises(UnsafeURL):
            fetcher.check_url(url)


def test_allow_list_is_by_name_not_by_address() -> None:
    fetcher = SafeFetcher(
        allow_hosts=frozenset({"127.0.0.1:8080"}),
        resolver=FakeResolver({"rebind.attacker.test": ["127.0.0.1"]}),
        allowed_ports=frozenset({80, 443, 8080}),
    )
    with pytest.raises(UnsafeURL, match="loopback"):
        fetcher.check_url("http://rebind.attacker.test:8080/")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", frozenset()),
        ("127.0.0.1:8080", frozenset({"127.0.0.1:8080"})),
        ("Feeds.Internal, localhost:9000", frozenset({"feeds.internal", "localhost:9000"})),
        ("[::1]:8000 [fd00::1]", frozenset({"[::1]:8000", "[fd00::1]"})),
    ],
)
def test_parse_allow_hosts_normalises_entries(value: str, expected: frozenset[str]) -> None:
    assert parse_allow_hosts(value) == expected


@pytest.mark.parametrize("value", ["http://x/", "host/path", "a:b:c", "host:99999"])
def test_parse_allow_hosts_rejects_non_host_entries(value: str) -> None:
    with pytest.raises(ValueError, match="host"):
        parse_allow_hosts(value)


_INTERNAL_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]


@st.composite
def internal_ipv4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    network = draw(st.sampled_from(_INTERNAL_V4))
    offset = draw(st.integers(min_value=0, max_value=network.num_addresses - 1))
    return ipaddress.IPv4Address(int(network.network_address) + offset)


@given(internal_ipv4())
def test_internal_ipv4_is_refused_in_every_ipv6_wrapping(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80))
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(address))
    for candidate in (address, mapped, sixtofour, nat64):
        assert address_refusal(candidate), candidate


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_ipv4_decimal_host_is_refused_or_public(number: int) -> None:
    fetcher = SafeFetcher(resolver=FakeResolver({}))
    address = ipaddress.IPv4Address(number)
    if address_refusal(address):
        with pytest.raises(UnsafeURL):
            fetcher.check_url(f"http://{address}/")
    with pytest.raises(UnsafeURL):
        fetcher.check_url(f"http://{number}/")
