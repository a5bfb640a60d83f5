"""Egress policy for user-supplied URLs: which hosts and addresses may be fetched.

Everything here runs before a connection is made. A URL is vetted by parsing it,
rejecting odd host notations, resolving the name once and checking every address
it resolves to; the fetcher then connects to one of those vetted addresses only,
so a DNS answer that changes between check and connect cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Resolver = Callable[[str, int], Sequence[str]]
"""Resolve (host, port) to IP address strings; blocking, like `socket.getaddrinfo`."""

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
STANDARD_PORTS = frozenset({80, 443})

# Names that reach cloud metadata services or the host itself without going
# through an address we could inspect (some resolvers answer them specially).
_BLOCKED_NAMES = frozenset(
    {
        "localhost",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")

_METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),
        ipaddress.ip_address("100.100.100.200"),
        ipaddress.ip_address("fd00:ec2::254"),
    }
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")

# A last label of only digits or 0x-hex makes browsers and inet_aton read the
# host as an IPv4 number (WHATWG URL "ends in a number").
_NUMERIC_LABEL = re.compile(r"^(?:[0-9]+|0[xX][0-9a-fA-F]*)$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
    r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$"
)


class FetchError(Exception):
    """A fetch failed or was refused; the message is one line for the user."""


class UnsafeURL(FetchError):
    """The URL is refused by the egress policy; no connection was made."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Target:
    """A vetted URL: its parsed form and the addresses it may be fetched from."""

    url: httpx.URL
    host: str
    """The ASCII (IDNA) host without brackets or trailing dot."""
    port: int
    addresses: tuple[IPAddress, ...]
    is_ip_literal: bool
    allow_listed: bool


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def redact_credentials(text: str) -> str:
    """Replace the user name and password of every URL in a text with `***`."""
    return _USERINFO.sub(r"\1***@", text)


def system_resolver(host: str, port: int) -> Sequence[str]:
    """Resolve a host name with the operating system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_allow_hosts(value: str) -> frozenset[str]:
    """Read a `host[:port]` list (comma or space separated) into normalised entries."""
    entries: set[str] = set()
    for raw in re.split(r"[,\s]+", value.strip()):
        if raw:
            entries.add(_normalise_allow_entry(raw))
    return frozenset(entries)


def _normalise_allow_entry(raw: str) -> str:
    try:
        url = httpx.URL(f"http://{raw.strip()}/")
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a host[:port] entry: {raw!r}") from exc
    if url.path != "/" or url.query or url.userinfo or not 0 < (url.port or 80) < 65536:
        raise ValueError(f"not a host[:port] entry: {raw!r}")
    host = _ascii_host(url)
    if not host:
        raise ValueError(f"not a host[:port] entry: {raw!r}")
    return _allow_key(host, url.port)


def _allow_key(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def _ascii_host(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii").lower().rstrip(".")


def address_refusal(address: IPAddress) -> str:
    """Say why an address may not be fetched from, or return "" when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and (address in _NAT64 or address in _NAT64_LOCAL):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            inner = address_refusal(embedded)
            if inner:
                return f"{inner} (embedded in IPv6 {address})"
        if address.is_site_local:
            return f"site-local address {address}"
    if address in _METADATA_ADDRESSES:
        return f"cloud metadata address {address}"
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_unspecified, "unspecified address"),
        (address.is_loopback, "loopback address"),
        (address.is_link_local, "link-local address"),
        (address.is_multicast, "multicast address"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "CGNAT address"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in _THIS_NETWORK,
            "'this network' address",
        ),
        (address.is_private, "private address"),
        (address.is_reserved, "reserved address"),
        (not address.is_global, "non-global address"),
    )
    for refused, label in checks:
        if refused:
            return f"{label} {address}"
    return ""


class EgressPolicy:
    """Decide whether a URL may be fetched, resolving its host once."""

    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = frozenset(),
        resolver: Resolver | None = None,
        allowed_ports: frozenset[int] = STANDARD_PORTS,
    ) -> None:
        self._allow = frozenset(_normalise_allow_entry(entry) for entry in allow_hosts)
        self._resolver = resolver or system_resolver
        self._ports = allowed_ports

    def parse(self, url: str) -> tuple[httpx.URL, str, int, bool]:
        """Check the URL's form; return (url, ascii host, port, allow-listed)."""
        if len(url) > 4096:
            raise UnsafeURL("URL is longer than 4096 characters")
        if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
            raise UnsafeURL("URL contains whitespace or control characters")
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise UnsafeURL(f"not a valid URL: {exc}") from exc
        if parsed.scheme not in ALLOWED_SCHEMES:
            shown = parsed.scheme or "(none)"
            raise UnsafeURL(f"scheme {shown!r} is not allowed; use http or https")
        if "\\" in url.split("?", 1)[0].split("#", 1)[0]:
            raise UnsafeURL("URL contains a backslash")
        if parsed.userinfo:
            raise UnsafeURL(
                "URL carries a user name or password; credentials in URLs are not supported"
            )
        host = _ascii_host(parsed)
        if not host:
            raise UnsafeURL("URL has no host")
        port = parsed.port or DEFAULT_PORTS[parsed.scheme]
        if not 0 < port < 65536:
            raise UnsafeURL(f"port {port} is not a valid port")
        allowed = _allow_key(host, None) in self._allow or _allow_key(host, port) in self._allow
        if not allowed:
            self._check_host_form(host)
            if port not in self._ports:
                raise UnsafeURL(f"port {port} is not allowed for {host}")
        return parsed, host, port, allowed

    def _check_host_form(self, host: str) -> None:
        if ":" in host:
            return  # IPv6 literal: its address is checked like any other
        labels = host.split(".")
        if _NUMERIC_LABEL.match(labels[-1]):
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                raise UnsafeURL(
                    f"host {host!r} is an IP address in a non-standard notation"
                ) from None
            return
        if not _HOSTNAME.match(host):
            raise UnsafeURL(f"host {host!r} is not a valid host name")
        if host in _BLOCKED_NAMES or host.endswith(_BLOCKED_SUFFIXES):
            raise UnsafeURL(f"host {host!r} is an internal or metadata name")

    def vet(self, url: str) -> Target:
        """Check the URL, resolve its host once and check every address."""
        parsed, host, port, allowed = self.parse(url)
        literal = _ip_literal(host)
        if literal is not None:
            addresses: tuple[IPAddress, ...] = (literal,)
        else:
            addresses = self._resolve(host, port)
        if not allowed:
            for address in addresses:
                refusal = address_refusal(address)
                if refusal:
                    raise UnsafeURL(f"{host} resolves to a {refusal}")
        return Target(
            url=parsed,
            host=host,
            port=port,
            addresses=addresses,
            is_ip_literal=literal is not None,
            allow_listed=allowed,
        )

    def _resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        try:
            answers = self._resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"cannot resolve host {host}: {exc}") from exc
        addresses: list[IPAddress] = []
        for answer in answers:
            try:
                address = ipaddress.ip_address(answer)
            except ValueError:
                raise UnsafeURL(f"{host} resolves to a malformed address {answer!r}") from None
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise FetchError(f"cannot resolve host {host}: no addresses")
        return tuple(addresses)


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        if ":" in host:
            raise UnsafeURL(f"host {host!r} is not a valid IPv6 address") from None
        return None
