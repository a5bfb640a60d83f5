"""The daily digest: what contradicted what in a channel over the last day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.domain import Channel
from bot.core.records import AlertRecord, DeliveryStatus

DIGEST_SPAN = timedelta(days=1)


def compose_digest(records: Sequence[AlertRecord], channel: Channel, now: datetime) -> str:
    """Summarise the alerts this channel received in the last day, newest first."""
    since = now - DIGEST_SPAN
    lines: list[str] = []
    for record in sorted(records, key=lambda r: r.opened_at, reverse=True):
        mine = [
            d
            for d in record.deliveries
            if d.channel == channel
            and d.status is DeliveryStatus.SENT
            and (d.created_at or record.opened_at) >= since
        ]
        if not mine:
            continue
        count = len(record.alert.contradictions)
        lead = record.alert.contradictions[0] if record.alert.contradictions else None
        kind = f" ({lead.kind})" if lead else ""
        lines.append(
            f"- {record.alert.agency} · {record.alert.topic}: "
            f"{count} contradiction{'s' if count != 1 else ''}{kind}"
        )
    if not lines:
        return f"denialwatch digest for {now:%Y-%m-%d}: no new contradictions."
    return f"denialwatch digest for {now:%Y-%m-%d}:\n" + "\n".join(lines)
