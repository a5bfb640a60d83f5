"""Builders for the delivery tests: contradictions, a committed outbox, adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from adapters.memory import MemoryAdapter
from bot.app.ports import Clock, Posted, Store
from bot.core.alerts import DEFAULT_GROUP_WINDOW, route
from bot.core.domain import (
    AgencyName,
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
from bot.core.records import AlertRecord, AnalysisWrite, Delivery

NEWSROOM = Channel("memory", ChannelId("newsroom"))
DESK = Channel("memory", ChannelId("desk"))


def statement(
    report: str,
    polarity: Polarity,
    *,
    agency: str = "Zephyr Police",
    topic: str = "Clearview AI",
    source: str = "",
    day: int = 1,
) -> Statement:
    return Statement(
        report_id=ReportId(report),
        agency=AgencyName(agency),
        topic=TopicName(topic),
        polarity=polarity,
        quote=f"{report} says {polarity}",
        published=date(2021, 1, day),
        source=source or f"source of {report}",
    )


def contradiction(
    new: str,
    earlier: str = "denial",
    *,
    agency: str = "Zephyr Police",
    topic: str = "Clearview AI",
    source: str = "",
) -> Contradiction:
    """`new` affirms what `earlier` denied."""
    return Contradiction(
        new=statement(new, Polarity.AFFIRMS, agency=agency, topic=topic, source=source, day=2),
        earlier=statement(earlier, Polarity.DENIES, agency=agency, topic=topic),
        kind=ContradictionKind.DENIAL_CONTRADICTED,
        score=0.9,
    )


def commit(
    store: Store,
    clock: Clock,
    *contradictions: Contradiction,
    group_window: timedelta = DEFAULT_GROUP_WINDOW,
) -> list[Delivery]:
    """Route and commit contradictions the way `Pipeline.commit` does; return new rows."""
    keys = {alert_key(c.agency, c.topic) for c in contradictions}
    open_alerts: dict[AlertKey, AlertRecord] = {}
    for key in keys:
        record = store.alert(key)
        if record is not None:
            open_alerts[key] = record
    routing = route(
        list(contradictions),
        store.subscriptions(),
        store.silences(),
        open_alerts,
        clock.now(),
        group_window,
    )
    store.save_analysis(
        AnalysisWrite(
            report_id=contradictions[0].new.report_id,
            contradictions=list(contradictions),
            deliveries=routing.deliveries,
            alerts=routing.alerts,
            at=clock.now(),
        )
    )
    return list(routing.deliveries)


@dataclass
class ReconcilingAdapter(MemoryAdapter):
    """A MemoryAdapter that can find what it posted by delivery key (like Slack)."""

    lookups: list[str] = field(default_factory=list)

    async def find_posted(
        self, channel: Channel, delivery_key: str, thread_id: str = ""
    ) -> Posted | None:
        self.lookups.append(delivery_key)
        for sent in self.posts:
            if (
                sent.channel == channel
                and sent.delivery_key == delivery_key
                and sent.thread_id == thread_id
            ):
                return Posted(sent.message_id, sent.thread_id)
        return None


@dataclass
class Outcomes:
    """An on_outcome hook that records (delivery key, outcome)."""

    seen: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, delivery: Delivery, outcome: str) -> None:
        self.seen.append((delivery.key, outcome))

    def of(self, outcome: str) -> list[str]:
        return [key for key, seen in self.seen if seen == outcome]
