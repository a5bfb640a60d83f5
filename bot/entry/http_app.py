"""The ASGI app: health, metrics, the report API, and the Slack endpoint."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from adapters.http import read_capped
from bot.app.pipeline import Pipeline
from bot.app.ports import Store
from bot.core.domain import Report, ReportId
from bot.entry.documents import alert_document, contradiction_summary, statement_document
from bot.entry.metrics import CONTENT_TYPE, Metrics
from bot.inputs.reports import ReportError, parse_report

MAX_BODY_BYTES = 1_000_000
Readiness = Callable[[], Awaitable[str | None]]
"""Return None when ready, else the reason."""
SlackHandler = Callable[[Request], Awaitable[Response]]
Admission = Callable[[], Awaitable[int | None]]
"""Return None to accept a report now, else the seconds a client should wait (429)."""


def create_app(
    store: Store,
    pipeline: Pipeline,
    metrics: Metrics,
    *,
    api_token: str | None,
    readiness: Readiness,
    read_token: str | None = None,
    today: Callable[[], date] | None = None,
    slack_handler: SlackHandler | None = None,
    on_report: Callable[[], None] | None = None,
    complete: Callable[[Report], Awaitable[Report]] | None = None,
    admission: Admission | None = None,
    before_metrics: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """Build the HTTP app around the service's collaborators."""
    app = FastAPI(title="denialwatch", version="0.1.0")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        reason = await readiness()
        if reason:
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics")
    async def prometheus() -> Response:
        if before_metrics is not None:
            await before_metrics()
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.post(
        "/api/v1/reports",
        status_code=202,
        responses={
            429: {"description": "Too many reports await analysis; retry after `Retry-After` s"}
        },
    )
    async def post_report(request: Request) -> JSONResponse:
        refusal = _authorise(request, api_token)
        if refusal is not None:
            return refusal
        wait = await admission() if admission is not None else None
        if wait is not None:
            # Past the backlog limit: nothing is stored, the client sends again later.
            metrics.reports.labels("throttled").inc()
            return JSONResponse(
                {"error": "analysis is behind: too many reports await it; retry later"},
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        body = await read_capped(request, MAX_BODY_BYTES)
        if body is None:
            return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(422, "body is not valid JSON")
        except RecursionError:
            return _error(422, "body is nested too deeply")
        try:
            report = parse_report(document, today=today() if today else None)
        except ReportError as error:
            return _error(422, str(error))
        if complete is not None and not report.text.strip():
            try:
                report = await complete(report)
            except ValueError as error:
                return _error(422, f"cannot read the report's url: {error}")
        added = await anyio.to_thread.run_sync(store.add_report, report)
        metrics.reports.labels("accepted" if added else "duplicate").inc()
        # Analysis goes through the same claim (FOR UPDATE SKIP LOCKED) as every other
        # intake, so a report is analysed once whichever replica stored it.
        if added and on_report is not None:
            on_report()
        answer: dict[str, str] = {"id": report.id, "status": "accepted" if added else "duplicate"}
        if not added and report.url:
            # The same article under another id: say where it is, so GET can find it.
            stored_as = await anyio.to_thread.run_sync(store.report_with_url, report.url)
            if stored_as is not None and stored_as != report.id:
                answer["stored_as"] = stored_as
        return JSONResponse(answer, status_code=202)

    @app.get("/api/v1/reports/{report_id}")
    async def get_report(request: Request, report_id: str) -> JSONResponse:
        refusal = _authorise_read(request, api_token, read_token)
        if refusal is not None:
            return refusal
        if not _clean_text(report_id):
            return _error(422, "report id is not valid text")
        stored = await anyio.to_thread.run_sync(store.get_report, ReportId(report_id))
        if stored is None:
            return _error(404, f"no report {report_id[:200]!r}")
        return JSONResponse(
            {
                "id": stored.report.id,
                "analysed": stored.analysed,
                "skipped": stored.skip_reason or None,
                "revision": stored.revision,
                "revisions": [
                    {
                        "revision": r.revision,
                        "stored_at": r.stored_at.isoformat() if r.stored_at else None,
                        "changed": _changed(r.report, stored.report),
                        "title": r.report.title,
                        "text": r.report.text,
                    }
                    for r in stored.earlier
                ],
                "statements": [statement_document(s) for s in stored.statements],
                "contradictions": [contradiction_summary(c) for c in stored.contradictions],
            }
        )

    @app.get("/api/v1/alerts")
    async def get_alerts(request: Request, since: str | None = None) -> JSONResponse:
        refusal = _authorise_read(request, api_token, read_token)
        if refusal is not None:
            return refusal
        since_at = _since(since) if since else None
        if isinstance(since_at, JSONResponse):
            return since_at
        records = await anyio.to_thread.run_sync(store.alerts_since, since_at)
        return JSONResponse({"alerts": [alert_document(r) for r in records]})

    if slack_handler is not None:
        handler = slack_handler

        @app.post("/slack/events")
        async def slack_events(request: Request) -> Response:
            return await handler(request)

    return app


def _since(since: str) -> datetime | JSONResponse:
    """Parse `?since=`; an unparseable or out-of-range instant is a 422, not a 500."""
    if not _clean_text(since) or len(since) > 64:
        return _error(422, "since must be an ISO date or time")
    try:
        since_at = datetime.fromisoformat(since.replace("Z", "+00:00"))
        if since_at.tzinfo is None:
            since_at = since_at.replace(tzinfo=UTC)  # a bare date or time means UTC
        since_at = since_at.astimezone(UTC)
    except (ValueError, OverflowError):
        return _error(422, "since must be an ISO date or time between years 1 and 9999")
    return since_at


def _clean_text(value: str) -> bool:
    """Whether a value from the URL is text a database can hold (no NUL, no lone surrogate)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _changed(before: Report, after: Report) -> list[str]:
    fields = ("published", "source", "url", "title", "text")
    return [f for f in fields if getattr(before, f) != getattr(after, f)]


def _authorise_read(
    request: Request, api_token: str | None, read_token: str | None
) -> JSONResponse | None:
    """The read API takes the read token or the write token; with neither set it is off."""
    tokens = [t for t in (read_token, api_token) if t]
    if not tokens:
        return _error(
            403, "the read API is off: set DENIALWATCH_READ_TOKEN or DENIALWATCH_API_TOKEN"
        )
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() == "bearer" and any(
        hmac.compare_digest(value.encode(), t.encode()) for t in tokens
    ):
        return None
    return _error(401, "missing or wrong bearer token")


def _authorise(request: Request, token: str | None) -> JSONResponse | None:
    if not token:
        return _error(403, "the write API is off: set DENIALWATCH_API_TOKEN")
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.encode(), token.encode()):
        return _error(401, "missing or wrong bearer token")
    return None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
