"""Domain values: reports, the watchlist, statements, contradictions and alerts.

Everything here is a frozen dataclass or an enum: no I/O, no clock, no framework.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NewType

from bot.core.keys import name_key

ReportId = NewType("ReportId", str)
AgencyName = NewType("AgencyName", str)
TopicName = NewType("TopicName", str)
StatementId = NewType("StatementId", str)
ChannelId = NewType("ChannelId", str)
UserId = NewType("UserId", str)
AlertKey = NewType("AlertKey", str)

LANGUAGES = ("en", "nl", "fr", "de")


class Polarity(StrEnum):
    DENIES = "denies"
    AFFIRMS = "affirms"

    def opposite(self) -> Polarity:
        return Polarity.AFFIRMS if self is Polarity.DENIES else Polarity.DENIES


class ContradictionKind(StrEnum):
    DENIAL_CONTRADICTED = "denial_contradicted"
    DENIAL_DISPUTES_RECORD = "denial_disputes_record"


_KIND_WORDING = {
    ContradictionKind.DENIAL_CONTRADICTED: (
        "Denial contradicted",
        "a new statement affirms what was denied earlier",
    ),
    ContradictionKind.DENIAL_DISPUTES_RECORD: (
        "Denial disputes the record",
        "a new denial contradicts what was affirmed earlier",
    ),
}


def kind_wording(kind: ContradictionKind) -> tuple[str, str]:
    """Return how a kind of contradiction reads to an editor: a label and what it means."""
    return _KIND_WORDING.get(kind, (str(kind), ""))


class StatementRole(StrEnum):
    """How a statement counts for its report.

    PRIMARY is the report's own stance on an (agency, topic) pair and is the only
    role that takes part in contradictions; RETOLD recounts an earlier statement
    ("had earlier denied", "despite its denial"); MINOR is a fresh statement that
    the report's weight of evidence outvotes.
    """

    PRIMARY = "primary"
    RETOLD = "retold"
    MINOR = "minor"


class Reason(StrEnum):
    """Why a sentence or report raised no alert."""

    NO_MENTION = "no_mention"
    NO_AGENCY = "no_agency"
    NO_TOPIC = "no_topic"
    NO_CUE = "no_cue"
    HEDGE = "hedge"
    QUALIFIED = "qualified"
    ALLEGATION = "allegation"
    QUESTION = "question"
    RETOLD = "retold"
    NO_EARLIER = "no_earlier_statement"
    SAME_POLARITY = "same_polarity"
    SAME_REPORT = "same_report"
    BELOW_SCORE = "below_score"
    MUTED = "muted"
    DUPLICATE = "duplicate"
    NO_SUBSCRIBER = "no_subscriber"
    CONTRADICTION = "contradiction"


@dataclass(frozen=True, slots=True)
class Report:
    id: ReportId
    published: date
    source: str = ""
    url: str = ""
    language: str | None = None
    title: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class Agency:
    name: AgencyName
    country: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Topic:
    name: TopicName
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Watchlist:
    agencies: tuple[Agency, ...] = ()
    topics: tuple[Topic, ...] = ()

    def with_agency(self, agency: Agency) -> Watchlist:
        others = tuple(a for a in self.agencies if name_key(a.name) != name_key(agency.name))
        return Watchlist(agencies=(*others, agency), topics=self.topics)

    def with_topic(self, topic: Topic) -> Watchlist:
        others = tuple(t for t in self.topics if name_key(t.name) != name_key(topic.name))
        return Watchlist(agencies=self.agencies, topics=(*others, topic))

    def without(self, name: str) -> Watchlist:
        key = name_key(name)
        return Watchlist(
            agencies=tuple(a for a in self.agencies if name_key(a.name) != key),
            topics=tuple(t for t in self.topics if name_key(t.name) != key),
        )

    def covers(self, agency: str, topic: str) -> bool:
        """Say whether a statement pair concerns what the newsroom watches.

        An agency watch covers any practice of that agency, a topic watch any agency;
        an empty watchlist watches everything.
        """
        if not self.agencies and not self.topics:
            return True
        return any(name_key(a.name) == name_key(agency) for a in self.agencies) or any(
            name_key(t.name) == name_key(topic) for t in self.topics
        )

    def topic_keys(self) -> frozenset[str]:
        return frozenset(name_key(t.name) for t in self.topics)

    def merged(self, other: Watchlist) -> Watchlist:
        merged = self
        for agency in other.agencies:
            merged = merged.with_agency(agency)
        for topic in other.topics:
            merged = merged.with_topic(topic)
        return merged


@dataclass(frozen=True, slots=True)
class Statement:
    """One (agency, topic, polarity) claim made in one report."""

    report_id: ReportId
    agency: AgencyName
    topic: TopicName
    polarity: Polarity
    quote: str
    published: date
    speaker: str = ""
    source: str = ""
    url: str = ""
    confidence: float = 1.0
    role: StatementRole = StatementRole.PRIMARY
    sequence: int = 0
    """Processing order of the report, used to break ties between equal dates."""
    proposition: str = ""
    """The conduct denied or affirmed, normalised (`bot.core.proposition`)."""

    @property
    def id(self) -> StatementId:
        return StatementId(
            f"{self.report_id}:{self.agency}:{self.topic}:{self.polarity}:{self.role}"
        )


@dataclass(frozen=True, slots=True)
class Contradiction:
    """A later statement that takes the opposite side of an earlier one."""

    new: Statement
    earlier: Statement
    kind: ContradictionKind
    score: float
    why: str = ""
    """The concepts both propositions share: why they matched, in one line."""
    others: int = 0
    """Further statements on the record this one contradicts too, not paired one by one."""

    @property
    def agency(self) -> AgencyName:
        return self.new.agency

    @property
    def topic(self) -> TopicName:
        return self.new.topic

    @property
    def key(self) -> str:
        return f"{self.new.report_id}>{self.earlier.report_id}|{self.agency}|{self.topic}"


@dataclass(frozen=True, slots=True)
class Decision:
    """What the pipeline decided for one sentence or pair, with its reason."""

    reason: Reason
    detail: str = ""
    agency: str = ""
    topic: str = ""


@dataclass(frozen=True, slots=True)
class Analysis:
    report: Report
    statements: tuple[Statement, ...] = ()
    contradictions: tuple[Contradiction, ...] = ()
    decisions: tuple[Decision, ...] = ()
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Channel:
    platform: str
    id: ChannelId

    def __str__(self) -> str:
        return f"{self.platform}:{self.id}"


@dataclass(frozen=True, slots=True)
class Subscription:
    channel: Channel
    agency: str = ""
    topic: str = ""
    min_score: float = 0.0

    def covers(self, contradiction: Contradiction) -> bool:
        if contradiction.score < self.min_score:
            return False
        if self.agency and name_key(self.agency) != name_key(contradiction.agency):
            return False
        return not (self.topic and name_key(self.topic) != name_key(contradiction.topic))


@dataclass(frozen=True, slots=True)
class Silence:
    target: str
    until: datetime
    created_by: str = ""

    def covers(self, contradiction: Contradiction, now: datetime) -> bool:
        if now >= self.until:
            return False
        target = name_key(self.target)
        return target in (name_key(contradiction.agency), name_key(contradiction.topic))


@dataclass(frozen=True, slots=True)
class Alert:
    """What a channel sees: contradictions about one (agency, topic) pair."""

    key: AlertKey
    agency: AgencyName
    topic: TopicName
    contradictions: tuple[Contradiction, ...] = field(default=())

    @property
    def lead(self) -> Contradiction:
        return self.contradictions[0]


class WatchMode(StrEnum):
    """What of a watchlist a newsroom relies on: agencies, topics, or both."""

    BOTH = "both"
    AGENCIES = "agencies"
    TOPICS = "topics"


def watch_mode(watchlist: Watchlist, mode: str) -> Watchlist:
    """Reduce a watchlist to its agencies or its topics (the gold stays the same)."""
    if mode == WatchMode.AGENCIES:
        return Watchlist(agencies=watchlist.agencies)
    if mode == WatchMode.TOPICS:
        return Watchlist(topics=watchlist.topics)
    return watchlist


def alert_key(agency: str, topic: str) -> AlertKey:
    return AlertKey(f"{name_key(agency)}|{name_key(topic)}")
