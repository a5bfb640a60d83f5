"""Serve the evidence pages: `/`, `/alerts/{id}`, `/agencies/{key}`.

Server-rendered and script-free. Every page answers 401 with nothing in it unless
the link's signature is valid and unexpired (or, behind a single sign-on proxy, the
proxy's trusted header is present). Every response carries a strict
Content-Security-Policy: no script runs, whatever a report's text holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import structlog
from fastapi import FastAPI, Request, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.app.ports import Clock
from bot.core.domain import AlertKey, Statement
from bot.entry.pages.signing import PageSigner, agency_path, alert_path
from bot.entry.pages.views import PageReader

log = structlog.get_logger("denialwatch.pages")

PAGE_SIZE = 20
MAX_QUERY_CHARS = 200
MAX_PAGE = 500

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
STATIC_TYPES = {"pages.css": "text/css; charset=utf-8", "icon.svg": "image/svg+xml"}

Search = Callable[[str, int], Sequence[tuple[Statement, float]]]


def page_environment() -> Environment:
    """Jinja2 with autoescaping on for every template, and no silent blanks."""
    return Environment(
        loader=PackageLoader("bot.entry.pages", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def iso(moment: datetime) -> str:
    """An instant as ISO 8601 in UTC, to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class Pass:
    """An admitted request: links on its page expire when its own link does."""

    expires: int


def mount_pages(
    app: FastAPI,
    *,
    reader: PageReader,
    search: Search,
    signer: PageSigner,
    clock: Clock,
    trusted_header: str | None = None,
) -> None:
    """Add the evidence pages and their static files to the app."""
    env = page_environment()
    base = signer.base_path

    def admit(request: Request, path: str) -> Pass | None:
        now = clock.now()
        if trusted_header and request.headers.get(trusted_header, "").strip():
            return Pass(signer.expiry(now))
        expires = signer.verify(
            path, request.query_params.get("exp"), request.query_params.get("sig"), now
        )
        return None if expires is None else Pass(expires)

    def render(name: str, status: int = 200, **context: Any) -> Response:
        html = env.get_template(name).render(base=base, **context)
        headers = {**SECURITY_HEADERS, **PRIVATE_HEADERS}
        return Response(html, status_code=status, media_type="text/html", headers=headers)

    def refused(request: Request) -> Response:
        # The path names an alert or agency, never a secret; the signature is not logged.
        log.info("page refused: no valid signature", path=request.url.path)
        return render(
            "message.html",
            401,
            title="Link not valid",
            text=(
                "This page needs a signed link that has not expired. "
                "Open it again from a denialwatch alert in your chat."
            ),
        )

    def not_found(what: str) -> Response:
        return render("message.html", 404, title="Not found", text=f"There is no {what}.")

    def linker(ticket: Pass) -> Callable[..., str]:
        def link(path: str, **query: str | int) -> str:
            return signer.signed(path, ticket.expires, **query)

        return link

    def common(ticket: Pass) -> dict[str, Any]:
        return {
            "link": linker(ticket),
            "iso": iso,
            "alert_path": alert_path,
            "agency_path": agency_path,
            "expires": iso(datetime.fromtimestamp(ticket.expires, UTC)),
        }

    @app.get("/pages/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        media_type = STATIC_TYPES.get(name)
        if media_type is None:
            return Response("not found", status_code=404, headers=SECURITY_HEADERS)
        body = resources.files("bot.entry.pages").joinpath("static", name).read_bytes()
        headers = dict(SECURITY_HEADERS)
        headers["Cache-Control"] = "public, max-age=3600"
        return Response(body, media_type=media_type, headers=headers)

    @app.get("/", include_in_schema=False)
    async def index(request: Request, q: str = "", page: str = "1") -> Response:
        ticket = admit(request, "/")
        if ticket is None:
            return refused(request)
        query = " ".join(q.split())[:MAX_QUERY_CHARS]
        number = min(int(page), MAX_PAGE) if page.isdigit() and int(page) > 0 else 1
        start = (number - 1) * PAGE_SIZE
        context = common(ticket)
        link = context["link"]
        if query:
            # The claim index is not thread-safe: it is only used on the event loop.
            hits = list(search(query, start + PAGE_SIZE + 1))
            shown = hits[start : start + PAGE_SIZE]
            results = await anyio.to_thread.run_sync(
                lambda: [(reader.statement_view(s, ""), score) for s, score in shown]
            )
            alerts = []
            has_next = len(hits) > start + PAGE_SIZE
        else:
            summaries = await anyio.to_thread.run_sync(reader.recent_alerts)
            results, alerts = [], summaries[start : start + PAGE_SIZE]
            has_next = len(summaries) > start + PAGE_SIZE

        def page_link(n: int) -> str:
            return str(link("/", q=query, page=n if n > 1 else ""))

        exp = str(ticket.expires)
        return render(
            "index.html",
            query=query,
            results=results,
            alerts=alerts,
            page=number,
            has_next=has_next,
            page_link=page_link,
            exp=exp,
            sig=signer.signature("/", ticket.expires),
            max_query=MAX_QUERY_CHARS,
            **context,
        )

    @app.get("/alerts/{key:path}", include_in_schema=False)
    async def alert_page(request: Request, key: str) -> Response:
        ticket = admit(request, alert_path(key))
        if ticket is None:
            return refused(request)
        record = await anyio.to_thread.run_sync(reader.store.alert, AlertKey(key))
        if record is None or not record.alert.contradictions:
            return not_found("such alert")
        page = await anyio.to_thread.run_sync(reader.alert_page, record)
        return render("alert.html", page=page, **common(ticket))

    @app.get("/agencies/{key:path}", include_in_schema=False)
    async def agency_page(request: Request, key: str) -> Response:
        ticket = admit(request, "/agencies/" + quote(key, safe=""))
        if ticket is None:
            return refused(request)
        page = await anyio.to_thread.run_sync(reader.agency_page, key)
        if page is None:
            return not_found("statement by this agency")
        return render("agency.html", page=page, **common(ticket))
