"""Domain values for the storage tests: the Clearview denial and its contradiction."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.core.domain import (
    AgencyName,
    Channel,
    ChannelId,
    Contradiction,
    ContradictionKind,
    Polarity,
    Report,
    ReportId,
    Statement,
    TopicName,
    alert_key,
)
from bot.core.records import AnalysisWrite, Delivery

POLICE = AgencyName("Federal Police")
CLEARVIEW = TopicName("Clearview AI")
SLACK = Channel("slack", ChannelId("C123"))
MATRIX = Channel("matrix", ChannelId("!room:example.org"))


def report(n: int, published: date = date(2021, 10, 1), url: str = "") -> Report:
    return Report(
        id=ReportId(f"r{n}"),
        published=published,
        source="Belga",
        url=url,
        language="en",
        title=f"Report {n}",
        text=f"Text of report {n}.",
    )


def statement(
    report_id: str,
    polarity: Polarity,
    published: date,
    *,
    agency: str = POLICE,
    topic: str = CLEARVIEW,
    sequence: int = 0,
) -> Statement:
    return Statement(
        report_id=ReportId(report_id),
        agency=AgencyName(agency),
        topic=TopicName(topic),
        polarity=polarity,
        quote=f"{agency} {polarity} using {topic} ({report_id}).",
        published=published,
        speaker="spokesperson",
        source="Belga",
        url=f"https://example.org/{report_id}",
        confidence=0.9,
        sequence=sequence,
    )


DENIAL = statement("r1", Polarity.DENIES, date(2020, 2, 28), sequence=1)
CONFIRMATION = statement("r2", Polarity.AFFIRMS, date(2021, 10, 27), sequence=2)
CONTRADICTION = Contradiction(
    new=CONFIRMATION, earlier=DENIAL, kind=ContradictionKind.DENIAL_CONTRADICTED, score=0.87
)
KEY = alert_key(POLICE, CLEARVIEW)


def delivery(
    contradiction: Contradiction = CONTRADICTION,
    channel: Channel = SLACK,
    *,
    is_lead: bool = True,
) -> Delivery:
    return Delivery(
        key=f"{alert_key(contradiction.agency, contradiction.topic)}|{channel}|{contradiction.key}",
        alert_key=alert_key(contradiction.agency, contradiction.topic),
        channel=channel,
        contradiction_key=contradiction.key,
        is_lead=is_lead,
        created_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    )


def denial_then_confirmation() -> tuple[AnalysisWrite, AnalysisWrite]:
    """The first report's analysis (a denial) and the second's (the contradiction)."""
    first = AnalysisWrite(report_id=ReportId("r1"), statements=(DENIAL,))
    second = AnalysisWrite(
        report_id=ReportId("r2"),
        statements=(CONFIRMATION,),
        contradictions=(CONTRADICTION,),
        deliveries=(delivery(),),
    )
    return first, second
