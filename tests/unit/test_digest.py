"""The daily digest lists what a channel received in the last day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.digest import compose_digest
from bot.core.domain import (
    AgencyName,
    Alert,
    Channel,
    ChannelId,
    Contradiction,
    ContradictionKind,
    Polarity,
    ReportId,
    Statement,
    TopicName,
    alert_key,
)
from bot.core.records import AlertRecord, Delivery, DeliveryStatus

NOW = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)
DESK = Channel("slack", ChannelId("C1"))
OTHER = Channel("slack", ChannelId("C2"))


def _record(agency: str, opened: datetime, channel: Channel, status: DeliveryStatus) -> AlertRecord:
    def statement(rid: str, polarity: Polarity) -> Statement:
        return Statement(
            ReportId(rid), AgencyName(agency), TopicName("Pegasus"), polarity, "q", date(2026, 1, 1)
        )

    c = Contradiction(
        statement("n", Polarity.AFFIRMS),
        statement("e", Polarity.DENIES),
        ContradictionKind.DENIAL_CONTRADICTED,
        0.9,
    )
    key = alert_key(agency, "Pegasus")
    delivery = Delivery(
        key=f"{key}@{channel}",
        alert_key=key,
        channel=channel,
        contradiction_key=c.key,
        is_lead=True,
        status=status,
        created_at=opened,
    )
    return AlertRecord(
        Alert(key, AgencyName(agency), TopicName("Pegasus"), (c,)), opened, (delivery,)
    )


def test_digest_lists_only_this_channels_sent_alerts_of_the_last_day() -> None:
    records = [
        _record("Hungarian government", NOW - timedelta(hours=3), DESK, DeliveryStatus.SENT),
        _record("Polish services", NOW - timedelta(hours=5), OTHER, DeliveryStatus.SENT),
        _record("Greek police", NOW - timedelta(days=2), DESK, DeliveryStatus.SENT),
        _record("Spanish CNI", NOW - timedelta(hours=1), DESK, DeliveryStatus.SUPPRESSED),
    ]
    text = compose_digest(records, DESK, NOW)
    assert text.splitlines() == [
        "denialwatch digest for 2026-05-02:",
        "- Hungarian government · Pegasus: 1 contradiction (denial_contradicted)",
    ]


def test_an_empty_day_says_so() -> None:
    assert (
        compose_digest([], DESK, NOW) == "denialwatch digest for 2026-05-02: no new contradictions."
    )
