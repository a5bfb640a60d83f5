"""SafeFetcher: fetch a user-supplied URL without letting it reach inside the network."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import certifi
import httpx

from bot.inputs.fetching.decoding import ACCEPT_ENCODING, BodyTooLarge, CappedDecoder
from bot.inputs.fetching.policy import (
    STANDARD_PORTS,
    EgressPolicy,
    FetchError,
    Resolver,
    Target,
)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "denialwatch/0.1 (+https://github.com/denialwatch; feed and article fetcher)"
DEFAULT_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
    "text/html;q=0.8, application/xhtml+xml;q=0.8, */*;q=0.1"
)


class FetchTimeout(FetchError):
    """The fetch took longer than its connect, read or total time limit."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    status: int
    final_url: str
    """The URL (by host name, not address) that answered after redirects."""
    body: bytes
    """Decompressed body; empty when `not_modified`."""
    content_type: str
    etag: str
    last_modified: str
    not_modified: bool = False


def media_type(content_type: str) -> str:
    """Return the lower-case media type of a Content-Type value, without parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def accepts_feed(content_type: str) -> bool:
    """Say whether a Content-Type may hold an RSS, Atom or JSON feed (empty: unknown, yes)."""
    kind = media_type(content_type)
    return (
        not kind
        or kind.endswith(("/xml", "+xml", "/json", "+json"))
        or kind
        in {
            "application/rss",
            "application/atom",
        }
    )


def accepts_html(content_type: str) -> bool:
    """Say whether a Content-Type may hold an article page (empty: unknown, yes)."""
    kind = media_type(content_type)
    return not kind or kind in {"text/html", "application/xhtml+xml", "text/plain"}


class SafeFetcher:
    """Fetch http(s) URLs that pass the egress policy, pinned to the vetted address.

    Every hop (redirects included) is parsed, resolved once and checked; the
    connection goes to a checked address with the original name in the Host
    header and TLS SNI, so certificates are still verified against the name.
    """

    def __init__(
        self,
        allow_hosts: frozenset[str] = frozenset(),
        resolver: Resolver | None = None,
        timeout: float = 10.0,
        max_bytes: int = 5_000_000,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        connect_timeout: float = 5.0,
        total_timeout: float = 20.0,
        max_redirects: int = 5,
        allowed_ports: frozenset[int] = STANDARD_PORTS,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._policy = EgressPolicy(
            allow_hosts=allow_hosts, resolver=resolver, allowed_ports=allowed_ports
        )
        self._timeout = httpx.Timeout(timeout, connect=min(connect_timeout, timeout))
        self._total_timeout = total_timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._transport = transport
        self._user_agent = user_agent
        self._ssl_context: ssl.SSLContext | None = None

    def check_url(self, url: str) -> None:
        """Refuse a URL the policy forbids, resolving its host; never connects.

        Raises `UnsafeURL` for a refused URL and `FetchError` when the host does
        not resolve. It blocks on DNS: call it through `asyncio.to_thread` from
        async code.
        """
        self._policy.vet(url)

    async def fetch(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        accept: Callable[[str], bool] | None = None,
    ) -> FetchResult:
        """Fetch a URL, following at most `max_redirects` re-checked redirects.

        `accept` is asked about the Content-Type before the body is read (see
        `accepts_feed`, `accepts_html`). Raises `UnsafeURL`, `FetchTimeout`,
        `BodyTooLarge` or `FetchError` with a one-line message.
        """
        try:
            async with asyncio.timeout(self._total_timeout):
                return await self._follow(url, etag, last_modified, accept)
        except TimeoutError as exc:
            raise FetchTimeout(
                f"fetching {_shown(url)} took longer than {self._total_timeout:g} s"
            ) from exc

    async def _follow(
        self,
        url: str,
        etag: str,
        last_modified: str,
        accept: Callable[[str], bool] | None,
    ) -> FetchResult:
        headers = {
            "User-Agent": self._user_agent,
            "Accept": DEFAULT_ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        client = self._client()
        try:
            current = url
            for _hop in range(self._max_redirects + 1):
                target = await asyncio.to_thread(self._policy.vet, current)
                response = await self._send(client, target, headers)
                try:
                    location = response.headers.get("location", "")
                    if response.status_code in REDIRECT_STATUSES and location:
                        try:
                            current = str(target.url.join(location))
                        except httpx.InvalidURL as exc:
                            raise FetchError(f"invalid redirect location: {exc}") from exc
                        continue
                    return await self._result(target, response, accept)
                finally:
                    await response.aclose()
            raise FetchError(f"more than {self._max_redirects} redirects from {_shown(url)}")
        finally:
            if self._transport is None:
                await client.aclose()

    def _client(self) -> httpx.AsyncClient:
        transport = self._transport
        if transport is None:
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context(cafile=certifi.where())
            # No keep-alive: a pooled connection is keyed by address only and
            # could be reused for another name with a different SNI.
            transport = httpx.AsyncHTTPTransport(
                verify=self._ssl_context,
                trust_env=False,
                limits=httpx.Limits(max_connections=4, max_keepalive_connections=0),
                retries=0,
            )
        return httpx.AsyncClient(
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,
        )

    async def _send(
        self, client: httpx.AsyncClient, target: Target, headers: dict[str, str]
    ) -> httpx.Response:
        last_error: httpx.TransportError | None = None
        for address in target.addresses:
            request = client.build_request(
                "GET",
                target.url.copy_with(host=str(address)),
                headers={**headers, "Host": _host_header(target)},
                extensions=_extensions(target),
            )
            try:
                return await client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last_error = exc
                continue
            except httpx.TimeoutException as exc:
                raise FetchTimeout(f"{target.host} timed out: {_one_line(exc)}") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"{target.host}: {_one_line(exc)}") from exc
        if isinstance(last_error, httpx.ConnectTimeout):
            raise FetchTimeout(f"connecting to {target.host} timed out")
        raise FetchError(f"cannot connect to {target.host}: {_one_line(last_error)}")

    async def _result(
        self,
        target: Target,
        response: httpx.Response,
        accept: Callable[[str], bool] | None,
    ) -> FetchResult:
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        body = b""
        if status != 304:
            if status >= 300 or status < 200:
                phrase = response.reason_phrase or ""
                raise FetchError(f"{target.host} answered HTTP {status} {phrase}".rstrip())
            if accept is not None and not accept(content_type):
                raise FetchError(f"{target.host} sent unexpected content type {content_type!r}")
            body = await self._read(target, response)
        return FetchResult(
            status=status,
            final_url=str(target.url),
            body=body,
            content_type=content_type,
            etag=response.headers.get("etag", ""),
            last_modified=response.headers.get("last-modified", ""),
            not_modified=status == 304,
        )

    async def _read(self, target: Target, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise BodyTooLarge(f"{target.host} sent a body larger than {self._max_bytes} bytes")
        if response.is_stream_consumed:
            # A transport that hands over a fully read response (httpx's
            # MockTransport with bytes content) has already decoded it.
            if len(response.content) > self._max_bytes:
                raise BodyTooLarge(f"{target.host} sent a body larger than {self._max_bytes} bytes")
            return response.content
        decoder = CappedDecoder(response.headers.get("content-encoding", ""), self._max_bytes)
        parts: list[bytes] = []
        try:
            async for chunk in response.aiter_raw():
                parts.append(decoder.decode(chunk))
        except BodyTooLarge as exc:
            limit = self._max_bytes
            raise BodyTooLarge(f"{target.host} sent a body larger than {limit} bytes") from exc
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{target.host} timed out: {_one_line(exc)}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{target.host}: {_one_line(exc)}") from exc
        return b"".join(parts)


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.url.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _extensions(target: Target) -> dict[str, object]:
    if target.url.scheme == "https" and not target.is_ip_literal:
        return {"sni_hostname": target.host}
    return {}


def _one_line(error: BaseException | None) -> str:
    if error is None:
        return "no address answered"
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _shown(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."
