"""The ASGI app: health, metrics, the report API, and the Slack endpoint."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from bot.app.pipeline import Pipeline
from bot.app.ports import Store
from bot.core.domain import Contradiction, Report, ReportId, Statement
from bot.core.records import AlertRecord
from bot.entry.metrics import CONTENT_TYPE, Metrics
from bot.inputs.reports import ReportError, parse_report

MAX_BODY_BYTES = 1_000_000
Readiness = Callable[[], Awaitable[str | None]]
"""Return None when ready, else the reason."""
SlackHandler = Callable[[Request], Awaitable[Response]]


def create_app(
    store: Store,
    pipeline: Pipeline,
    metrics: Metrics,
    *,
    api_token: str | None,
    readiness: Readiness,
    slack_handler: SlackHandler | None = None,
    on_report: Callable[[], None] | None = None,
    complete: Callable[[Report], Awaitable[Report]] | None = None,
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
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.post("/api/v1/reports", status_code=202)
    async def post_report(request: Request) -> JSONResponse:
        refusal = _authorise(request, api_token)
        if refusal is not None:
            return refusal
        body = await _read_capped(request)
        if body is None:
            return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            report = parse_report(json.loads(body))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(422, "body is not valid JSON")
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
        return JSONResponse(
            {"id": report.id, "status": "accepted" if added else "duplicate"}, status_code=202
        )

    @app.get("/api/v1/reports/{report_id}")
    async def get_report(report_id: str) -> JSONResponse:
        stored = await anyio.to_thread.run_sync(store.get_report, ReportId(report_id))
        if stored is None:
            return _error(404, f"no report {report_id!r}")
        return JSONResponse(
            {
                "id": stored.report.id,
                "analysed": stored.analysed,
                "statements": [statement_document(s) for s in stored.statements],
                "contradictions": [contradiction_summary(c) for c in stored.contradictions],
            }
        )

    @app.get("/api/v1/alerts")
    async def get_alerts(since: str | None = None) -> JSONResponse:
        try:
            since_at = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        except ValueError:
            return _error(422, "since must be an ISO date or time")
        if since_at is not None and since_at.tzinfo is None:
            since_at = since_at.replace(tzinfo=UTC)  # a bare date or time means UTC
        records = await anyio.to_thread.run_sync(store.alerts_since, since_at)
        return JSONResponse({"alerts": [alert_document(r) for r in records]})

    if slack_handler is not None:
        handler = slack_handler

        @app.post("/slack/events")
        async def slack_events(request: Request) -> Response:
            return await handler(request)

    return app


def _authorise(request: Request, token: str | None) -> JSONResponse | None:
    if not token:
        return _error(403, "the write API is off: set DENIALWATCH_API_TOKEN")
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.encode(), token.encode()):
        return _error(401, "missing or wrong bearer token")
    return None


async def _read_capped(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def statement_document(s: Statement) -> dict[str, Any]:
    return {
        "report_id": s.report_id,
        "agency": s.agency,
        "topic": s.topic,
        "polarity": str(s.polarity),
        "role": str(s.role),
        "quote": s.quote,
        "speaker": s.speaker,
        "published": s.published.isoformat(),
        "source": s.source,
        "url": s.url,
        "confidence": s.confidence,
    }


def contradiction_summary(c: Contradiction) -> dict[str, Any]:
    return {
        "report_id": c.new.report_id,
        "contradicts": c.earlier.report_id,
        "kind": str(c.kind),
        "agency": c.agency,
        "topic": c.topic,
        "score": c.score,
        "new": statement_document(c.new),
        "earlier": statement_document(c.earlier),
    }


def alert_document(record: AlertRecord) -> dict[str, Any]:
    return {
        "key": record.alert.key,
        "agency": record.alert.agency,
        "topic": record.alert.topic,
        "opened_at": record.opened_at.isoformat(),
        "contradictions": [contradiction_summary(c) for c in record.alert.contradictions],
        "deliveries": [
            {
                "channel": str(d.channel),
                "status": str(d.status),
                "attempts": d.attempts,
                "message_id": d.message_id,
                "lead": d.is_lead,
                "last_error": d.last_error,
            }
            for d in record.deliveries
        ],
    }
