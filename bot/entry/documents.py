"""The JSON documents the HTTP API, the CLI and replay print for stored values."""

from __future__ import annotations

from typing import Any

from bot.core.domain import Contradiction, Statement
from bot.core.records import AlertRecord


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


def _contradiction_head(c: Contradiction) -> dict[str, Any]:
    """The fields that name a contradiction, first in every document of one."""
    return {
        "report_id": c.new.report_id,
        "contradicts": c.earlier.report_id,
        "kind": str(c.kind),
        "agency": c.agency,
        "topic": c.topic,
        "score": c.score,
    }


def contradiction_document(c: Contradiction) -> dict[str, Any]:
    """Return the replay JSON line of a contradiction (SPEC: CLI replay)."""
    return {**_contradiction_head(c), "new_quote": c.new.quote, "earlier_quote": c.earlier.quote}


def contradiction_summary(c: Contradiction) -> dict[str, Any]:
    """Return a contradiction with both statements in full (API and `check`)."""
    return {
        **_contradiction_head(c),
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
