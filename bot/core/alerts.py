"""Route contradictions to channels: group by (agency, topic), respect silences."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.domain import (
    Alert,
    AlertKey,
    Channel,
    Contradiction,
    Decision,
    Reason,
    Silence,
    Subscription,
    alert_key,
)
from bot.core.records import AlertRecord, Delivery, DeliveryStatus

DEFAULT_GROUP_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Routing:
    alerts: tuple[Alert, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    decisions: tuple[Decision, ...] = field(default=())


def delivery_key(contradiction: Contradiction, channel: Channel) -> str:
    return f"{contradiction.key}@{channel}"


def pending_lead(delivery: Delivery, rows: Iterable[Delivery]) -> Delivery | None:
    """The still-pending lead a follow-up must wait for (same alert, same channel).

    The one "a follow-up waits for its lead" rule: the delivery worker and the
    in-memory store call it; the SQL store states it as the same query condition.
    """
    if delivery.is_lead:
        return None
    return next(
        (
            d
            for d in rows
            if d.is_lead
            and d.alert_key == delivery.alert_key
            and d.channel == delivery.channel
            and d.status is DeliveryStatus.PENDING
            and d.key != delivery.key
        ),
        None,
    )


def silence_for(
    silences: Sequence[Silence], contradiction: Contradiction, now: datetime
) -> Silence | None:
    """The silence that holds a contradiction back at `now`, if any: the one mute rule,
    applied when it is routed and again when its delivery comes due."""
    return next((s for s in silences if s.covers(contradiction, now)), None)


def route(
    contradictions: Sequence[Contradiction],
    subscriptions: Sequence[Subscription],
    silences: Sequence[Silence],
    open_alerts: Mapping[AlertKey, AlertRecord],
    now: datetime,
    group_window: timedelta = DEFAULT_GROUP_WINDOW,
) -> Routing:
    """Plan the alerts to open and the deliveries to write for new contradictions.

    In each subscribed channel the first contradiction of an (agency, topic) pair is
    the lead message, posted at once; later ones edit the lead's list of sources
    while the group window since the lead is open, and go into its thread after.
    Muted contradictions get `suppressed` rows, so what was held back stays visible.
    """
    opened: dict[AlertKey, Alert] = {}
    leads: dict[tuple[AlertKey, Channel], datetime] = {}
    for key, record in open_alerts.items():
        for d in record.deliveries:
            if d.is_lead:
                leads.setdefault((key, d.channel), d.created_at or record.opened_at)
    deliveries: list[Delivery] = []
    decisions: list[Decision] = []
    for contradiction in contradictions:
        key = alert_key(contradiction.agency, contradiction.topic)
        channels = sorted({s.channel for s in subscriptions if s.covers(contradiction)}, key=str)
        muted = silence_for(silences, contradiction, now)
        if muted is not None:
            decisions.append(
                Decision(
                    Reason.MUTED,
                    f"muted: {muted.target}",
                    contradiction.agency,
                    contradiction.topic,
                )
            )
            deliveries.extend(
                _outbox_row(
                    contradiction,
                    channel,
                    now,
                    status=DeliveryStatus.SUPPRESSED,
                    last_error=f"muted: {muted.target}",
                )
                for channel in channels
            )
            continue
        if key not in open_alerts and key not in opened:
            opened[key] = Alert(key, contradiction.agency, contradiction.topic, (contradiction,))
        for channel in channels:
            lead_at = leads.get((key, channel))
            is_lead = lead_at is None
            if is_lead:
                leads[(key, channel)] = now
            deliveries.append(
                _outbox_row(
                    contradiction,
                    channel,
                    now,
                    is_lead=is_lead,
                    update=lead_at is not None and now - lead_at < group_window,
                )
            )
        if not channels:
            decisions.append(
                Decision(
                    Reason.NO_SUBSCRIBER,
                    "no channel subscribed",
                    contradiction.agency,
                    contradiction.topic,
                )
            )
    return Routing(tuple(opened.values()), tuple(deliveries), tuple(decisions))


def _outbox_row(
    contradiction: Contradiction,
    channel: Channel,
    now: datetime,
    *,
    is_lead: bool = False,
    update: bool = False,
    status: DeliveryStatus = DeliveryStatus.PENDING,
    last_error: str = "",
) -> Delivery:
    return Delivery(
        key=delivery_key(contradiction, channel),
        alert_key=alert_key(contradiction.agency, contradiction.topic),
        channel=channel,
        contradiction_key=contradiction.key,
        is_lead=is_lead,
        status=status,
        last_error=last_error,
        update=update,
        next_attempt_at=now,
        created_at=now,
    )
