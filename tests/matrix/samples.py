"""Sample alerts and a recording command handler for the Matrix tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from bot.app.ports import AlertView, CommandReply, CommandRequest
from bot.core.domain import (
    AgencyName,
    Alert,
    AlertKey,
    Channel,
    Contradiction,
    ContradictionKind,
    Polarity,
    ReportId,
    Statement,
    TopicName,
    alert_key,
)

AGENCY = AgencyName("Belgian Federal Police")
TOPIC = TopicName("Clearview AI")


def statement(
    polarity: Polarity,
    quote: str,
    *,
    report: str,
    when: date,
    url: str = "https://example.org/a",
    speaker: str = "a spokesperson",
    source: str = "Example News",
) -> Statement:
    return Statement(
        ReportId(report),
        AGENCY,
        TOPIC,
        polarity,
        quote,
        when,
        speaker=speaker,
        source=source,
        url=url,
    )


def alert_view(
    *,
    new_quote: str = "The minister confirmed the police used Clearview AI.",
    earlier_quote: str = "The police have never used Clearview AI.",
    url: str = "https://example.org/new",
    is_lead: bool = True,
    sources: tuple[str, ...] = (),
    verdict: str = "",
    agency: str = AGENCY,
    topic: str = TOPIC,
) -> AlertView:
    earlier = statement(Polarity.DENIES, earlier_quote, report="be-2020", when=date(2020, 2, 28))
    new = statement(
        Polarity.AFFIRMS,
        new_quote,
        report="be-2021",
        when=date(2021, 10, 27),
        url=url,
        speaker="the interior minister",
        source="Chamber",
    )
    contradiction = Contradiction(new, earlier, ContradictionKind.DENIAL_CONTRADICTED, 0.91)
    alert = Alert(alert_key(agency, topic), AgencyName(agency), TopicName(topic), (contradiction,))
    return AlertView(alert, contradiction, is_lead=is_lead, sources=sources, verdict=verdict)


@dataclass
class RecordingHandler:
    """A CommandHandler stub that records what it was asked and answers plainly."""

    requests: list[CommandRequest] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, request: CommandRequest) -> CommandReply:
        self.requests.append(request)
        self.arrived.set()
        if request.text == "help":
            return CommandReply("denialwatch commands: help, watch, claim, check, search")
        return CommandReply(f"ran: {request.text}")

    async def wait(self, count: int, timeout: float = 15.0) -> None:
        async def reached() -> None:
            while len(self.requests) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(reached(), timeout)


@dataclass
class RecordingFeedback:
    """A feedback handler stub; answers with the alert marked by its verdict."""

    calls: list[tuple[AlertKey, Channel, str, str]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(
        self, key: AlertKey, channel: Channel, user: str, verdict: str
    ) -> AlertView | None:
        self.calls.append((key, channel, user, verdict))
        self.arrived.set()
        return alert_view(verdict=f"{verdict} by {user}")
