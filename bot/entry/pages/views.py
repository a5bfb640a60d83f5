"""What each evidence page shows, read from the store: plain values for the templates.

Nothing here escapes or formats HTML; the templates autoescape every value, and
`source_href` is the only way a URL from a report becomes a link.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from bot.app.ports import Store
from bot.core.detection import why_line
from bot.core.domain import (
    Contradiction,
    Polarity,
    ReportId,
    Statement,
    StatementRole,
    kind_wording,
)
from bot.core.language.detect import detect_language
from bot.core.language.lexicon import Lexicon
from bot.core.language.text import stopwords, tokens
from bot.core.records import AlertRecord
from bot.core.timeline import Timeline, TimelineEntry, lay_out_timeline, report_stances
from bot.entry.pages.signing import agency_key

VERDICT_LABELS = {
    "confirmed": "Confirmed",
    "false_alarm": "Not a contradiction",
    "muted": "Muted 7 days",
}
LANGUAGE_NAMES = {"en": "English", "nl": "Dutch", "fr": "French", "de": "German"}
MAX_SHARED_WORDS = 8
MAX_CACHED_REPORTS = 10_000
ALERT_TIMELINE_WIDTH = 960.0
AGENCY_TIMELINE_WIDTH = 640.0


def source_href(url: str) -> str | None:
    """Return the URL when it may be a link (absolute http or https), else None."""
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


@dataclass(frozen=True, slots=True)
class StatementView:
    anchor: str
    statement: Statement
    language: str
    href: str | None

    @property
    def polarity(self) -> str:
        return str(self.statement.polarity)

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)

    @property
    def host(self) -> str:
        return host_of(self.href) if self.href else ""

    @property
    def role_note(self) -> str:
        if self.statement.role is StatementRole.RETOLD:
            return "retold from an earlier report"
        if self.statement.role is StatementRole.MINOR:
            return "outweighed within its report"
        return ""


@dataclass(frozen=True, slots=True)
class FeedbackView:
    verdict: str
    user: str
    platform: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PairView:
    contradiction: Contradiction
    earlier: StatementView
    new: StatementView
    kind_label: str
    kind_explanation: str
    why: str
    shared_words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AlertPage:
    key: str
    agency: str
    topic: str
    opened_at: datetime
    pairs: tuple[PairView, ...]
    feedback: tuple[FeedbackView, ...]
    timeline: Timeline
    statements: tuple[StatementView, ...]


@dataclass(frozen=True, slots=True)
class PracticeView:
    topic: str
    timeline: Timeline
    statements: tuple[StatementView, ...]
    latest: date


@dataclass(frozen=True, slots=True)
class AgencyPage:
    key: str
    name: str
    practices: tuple[PracticeView, ...]


@dataclass(frozen=True, slots=True)
class AlertSummary:
    key: str
    agency: str
    topic: str
    opened_at: datetime
    kind_label: str
    score: float
    contradictions: int


class PageReader:
    """Read the store into page values; the language of a quote is its report's."""

    def __init__(self, store: Store, lexicons: Mapping[str, Lexicon]) -> None:
        self._store = store
        self._lexicons = lexicons
        self._languages: dict[str, str | None] = {}

    def _report_language(self, report_id: str) -> str | None:
        """The language a report declared; a report's fields never change once stored."""
        if report_id not in self._languages:
            stored = self._store.get_report(ReportId(report_id))
            if len(self._languages) >= MAX_CACHED_REPORTS:
                self._languages.clear()
            self._languages[report_id] = stored.report.language if stored is not None else None
        return self._languages[report_id]

    @property
    def store(self) -> Store:
        return self._store

    def language_of(self, statement: Statement) -> str:
        hint = self._report_language(statement.report_id)
        words = tokens(statement.quote)
        if not words:
            return hint or ""
        return detect_language(words, self._lexicons, hint)

    def statement_view(self, statement: Statement, anchor: str) -> StatementView:
        return StatementView(
            anchor=anchor,
            statement=statement,
            language=self.language_of(statement),
            href=source_href(statement.url),
        )

    def alert_page(self, record: AlertRecord) -> AlertPage:
        alert = record.alert
        stances = report_stances(self._store.statements_about(alert.agency, alert.topic))
        views = tuple(self.statement_view(s, f"s{i}") for i, s in enumerate(stances, start=1))
        anchors: dict[str, StatementView] = {v.statement.report_id: v for v in views}
        pairs = tuple(self._pair(c, anchors) for c in alert.contradictions)
        feedback = tuple(
            FeedbackView(VERDICT_LABELS.get(f.verdict, f.verdict), f.user, f.channel.platform, f.at)
            for f in sorted(self._store.feedback(), key=lambda f: f.at)
            if f.alert_key == alert.key
        )
        return AlertPage(
            key=str(alert.key),
            agency=alert.agency,
            topic=alert.topic,
            opened_at=record.opened_at,
            pairs=pairs,
            feedback=feedback,
            timeline=timeline_of(views),
            statements=views,
        )

    def _pair(self, contradiction: Contradiction, anchors: Mapping[str, StatementView]) -> PairView:
        label, explanation = kind_wording(contradiction.kind)
        earlier = self.statement_view(contradiction.earlier, "")
        new = self.statement_view(contradiction.new, "")
        # Point the pair's quotes at the timeline entry of the same report, if drawn.
        earlier_anchor = anchors.get(contradiction.earlier.report_id)
        new_anchor = anchors.get(contradiction.new.report_id)
        earlier = _with_anchor(earlier, earlier_anchor.anchor if earlier_anchor else "")
        new = _with_anchor(new, new_anchor.anchor if new_anchor else "")
        return PairView(
            contradiction=contradiction,
            earlier=earlier,
            new=new,
            kind_label=label,
            kind_explanation=explanation,
            why=why_matched(contradiction),
            shared_words=shared_words(contradiction.earlier.quote, contradiction.new.quote),
        )

    def agency_page(self, key: str) -> AgencyPage | None:
        mine = [s for s in self._store.all_statements() if agency_key(s.agency) == key]
        if not mine:
            return None
        by_topic: dict[str, list[Statement]] = {}
        for statement in mine:
            by_topic.setdefault(statement.topic, []).append(statement)
        practices: list[PracticeView] = []
        for number, (topic, statements) in enumerate(sorted(by_topic.items()), start=1):
            stances = report_stances(statements)
            if not stances:
                continue
            views = tuple(
                self.statement_view(s, f"p{number}s{i}") for i, s in enumerate(stances, start=1)
            )
            practices.append(
                PracticeView(
                    topic=topic,
                    timeline=timeline_of(views, width=AGENCY_TIMELINE_WIDTH),
                    statements=tuple(reversed(views)),
                    latest=stances[-1].published,
                )
            )
        practices.sort(key=lambda p: (p.latest, p.topic), reverse=True)
        name = Counter(s.agency for s in mine).most_common(1)[0][0]
        return AgencyPage(key=key, name=name, practices=tuple(practices))

    def recent_alerts(self) -> list[AlertSummary]:
        records = sorted(self._store.alerts_since(None), key=lambda r: r.opened_at, reverse=True)
        return [summary_of(r) for r in records if r.alert.contradictions]


def _with_anchor(view: StatementView, anchor: str) -> StatementView:
    return StatementView(anchor, view.statement, view.language, view.href)


def timeline_of(views: Sequence[StatementView], width: float = ALERT_TIMELINE_WIDTH) -> Timeline:
    entries = [TimelineEntry(v.anchor, v.statement.published, v.statement.polarity) for v in views]
    return lay_out_timeline(entries, width=width)


def summary_of(record: AlertRecord) -> AlertSummary:
    lead = record.alert.lead
    label, _ = kind_wording(lead.kind)
    return AlertSummary(
        key=str(record.alert.key),
        agency=record.alert.agency,
        topic=record.alert.topic,
        opened_at=record.opened_at,
        kind_label=label,
        score=max(c.score for c in record.alert.contradictions),
        contradictions=len(record.alert.contradictions),
    )


def why_matched(contradiction: Contradiction) -> str:
    """One line on why the two statements were paired."""
    earlier, new = contradiction.earlier, contradiction.new
    return (
        f"{why_line(contradiction)}: "
        f"the earlier statement {_verb(earlier.polarity)}, the new one {_verb(new.polarity)}."
    )


def _verb(polarity: Polarity) -> str:
    return "denies" if polarity is Polarity.DENIES else "affirms"


def shared_words(a: str, b: str) -> tuple[str, ...]:
    """Content words both quotes use, in the order the earlier quote uses them."""
    later = {w for w in tokens(b) if w not in stopwords() and len(w) > 2}
    seen: list[str] = []
    for word in tokens(a):
        if word in later and word not in stopwords() and word not in seen and len(word) > 2:
            seen.append(word)
    return tuple(seen[:MAX_SHARED_WORDS])
