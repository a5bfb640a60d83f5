"""Fixtures for the Slack adapter: the fake Slack, the adapter, a real HTTP endpoint."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from adapters.slack import SlackAdapter
from bot.app.command_service import CommandService
from bot.app.ports import AlertView, CommandReply, CommandRequest
from bot.core.domain import (
    AgencyName,
    Alert,
    AlertKey,
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
from bot.core.records import Verdict
from tests.fakes.fake_slack import FakeSlack, manifest_scopes

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ALERTS = Channel("slack", ChannelId("C0ALERTS"))


def make_view(
    *,
    agency: str = "Federal Police",
    topic: str = "Clearview AI",
    earlier_quote: str = "The Federal Police has never used Clearview AI.",
    new_quote: str = "The interior minister confirmed the police had used Clearview AI.",
    speaker: str = "a police spokesperson",
    source: str = "Knack",
    url: str = "https://www.knack.be/nieuws/clearview",
    new_url: str = "https://www.dekamer.be/answers/1234",
    sources: tuple[str, ...] = (),
    is_lead: bool = True,
    verdict: str = "",
) -> AlertView:
    earlier = Statement(
        report_id=ReportId("be-2020"),
        agency=AgencyName(agency),
        topic=TopicName(topic),
        polarity=Polarity.DENIES,
        quote=earlier_quote,
        published=date(2020, 2, 28),
        speaker=speaker,
        source=source,
        url=url,
    )
    new = Statement(
        report_id=ReportId("be-2021"),
        agency=AgencyName(agency),
        topic=TopicName(topic),
        polarity=Polarity.AFFIRMS,
        quote=new_quote,
        published=date(2021, 10, 20),
        speaker="the interior minister",
        source="De Kamer",
        url=new_url,
    )
    contradiction = Contradiction(
        new=new, earlier=earlier, kind=ContradictionKind.DENIAL_CONTRADICTED, score=0.91
    )
    alert = Alert(
        key=alert_key(agency, topic),
        agency=AgencyName(agency),
        topic=TopicName(topic),
        contradictions=(contradiction,),
    )
    return AlertView(
        alert=alert, contradiction=contradiction, is_lead=is_lead, sources=sources, verdict=verdict
    )


@dataclass
class Commands:
    """A CommandHandler that records what it was asked and can be made slow."""

    delay: float = 0.0
    reply: str = "ok"
    requests: list[CommandRequest] = field(default_factory=list)

    async def __call__(self, request: CommandRequest) -> CommandReply:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        return CommandReply(f"{self.reply}: {request.text}")


@dataclass
class Feedback:
    """A FeedbackHandler that records presses and re-renders the alert."""

    presses: list[tuple[AlertKey, Channel, str, str]] = field(default_factory=list)
    view: AlertView | None = None
    service: CommandService | None = None
    """When set, every press goes through the real command service (and its gate) first."""

    async def __call__(
        self, key: AlertKey, channel: Channel, user: str, verdict: Verdict
    ) -> AlertView | None:
        if self.service is not None:
            await self.service.feedback(key, channel, user, verdict)
        self.presses.append((key, channel, user, verdict))
        return self.view


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(scopes=manifest_scopes()) as slack:
        yield slack


@pytest.fixture
def commands() -> Commands:
    return Commands()


@pytest.fixture
def feedback() -> Feedback:
    return Feedback(view=make_view())


@pytest.fixture
async def adapter(
    fake: FakeSlack, commands: Commands, feedback: Feedback
) -> AsyncIterator[SlackAdapter]:
    slack = SlackAdapter(
        bot_token=fake.bot_token,
        signing_secret=SIGNING_SECRET,
        api_url=fake.api_url,
        admins=frozenset({"U0EDITOR"}),
        on_feedback=feedback,
    )
    await slack.start(commands)
    yield slack
    await slack.stop()


@pytest.fixture
async def endpoint(adapter: SlackAdapter) -> AsyncIterator[str]:
    """The adapter's handle() at POST /slack/events, served by uvicorn on loopback."""
    app = Starlette(routes=[Route("/slack/events", adapter.handle, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}/slack/events"
    server.should_exit = True
    await task
    sock.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client
