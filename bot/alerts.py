"""Route contradictions to channels: group by (agency, topic), respect silences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain import (
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
from bot.ports import AlertRecord, Delivery

DEFAULT_GROUP_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Routing:
    alerts: tuple[Alert, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    decisions: tuple[Decision, ...] = field(default=())


def delivery_key(contradiction: Contradiction, channel: Channel) -> str:
    return f"{contradiction.key}@{channel}"


def route(
    contradictions: Sequence[Contradiction],
    subscriptions: Sequence[Subscription],
    silences: Sequence[Silence],
    open_alerts: Mapping[AlertKey, AlertRecord],
    now: datetime,
    group_window: timedelta = DEFAULT_GROUP_WINDOW,
) -> Routing:
    """Plan the alerts to open and the deliveries to write for new contradictions.

    The first contradiction of an (agency, topic) pair opens an alert and goes to every
    subscribed channel at once; later ones become updates of the lead message while the
    group window is open, and thread replies after it.
    """
    opened: dict[AlertKey, Alert] = {}
    deliveries: list[Delivery] = []
    decisions: list[Decision] = []
    for contradiction in contradictions:
        if any(s.covers(contradiction, now) for s in silences):
            decisions.append(Decision(Reason.MUTED, contradiction.key, contradiction.agency,
                                      contradiction.topic))
            continue
        channels = sorted({s.channel for s in subscriptions if s.covers(contradiction)},
                          key=str)
        key = alert_key(contradiction.agency, contradiction.topic)
        record = open_alerts.get(key)
        is_lead = record is None and key not in opened
        update = record is not None and now - record.opened_at < group_window
        if is_lead:
            opened[key] = Alert(key, contradiction.agency, contradiction.topic, (contradiction,))
        for channel in channels:
            deliveries.append(Delivery(
                key=delivery_key(contradiction, channel), alert_key=key, channel=channel,
                contradiction_key=contradiction.key, is_lead=is_lead, update=update,
                next_attempt_at=now, created_at=now,
            ))
        if not channels:
            decisions.append(Decision(Reason.NO_SUBSCRIBER, "no channel subscribed",
                                      contradiction.agency, contradiction.topic))
    return Routing(tuple(opened.values()), tuple(deliveries), tuple(decisions))
