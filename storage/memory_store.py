"""An in-memory Store: the embedded store for replay and eval, and the tests' double."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from bot.app.clock import SystemClock
from bot.app.ports import Backlog, Clock
from bot.core import domain, records
from bot.core.alerts import pending_lead
from bot.core.detection import AlikeKey, alike_key, record_order, statement_wording
from bot.core.keys import name_key, url_key

T = TypeVar("T")


class MemoryStore:
    """Keep everything in dictionaries, guarded by one lock."""

    def __init__(
        self,
        *,
        delivery_lease: timedelta = timedelta(seconds=60),
        claim_lease: timedelta = timedelta(seconds=30),
        clock: Clock | None = None,
    ) -> None:
        self.delivery_lease = delivery_lease
        self.claim_lease = claim_lease
        """Kept for the port; a claim here lasts until analysed or released (one process)."""
        self.clock: Clock = clock or SystemClock()
        self._stored_at: dict[domain.ReportId, datetime] = {}
        self._delivery_claims: dict[str, datetime] = {}
        self._lock = threading.RLock()
        self._reports: dict[domain.ReportId, domain.Report] = {}
        self._urls: set[str] = set()
        self._analysed: set[domain.ReportId] = set()
        self._claimed: set[domain.ReportId] = set()
        self._skipped: dict[domain.ReportId, str] = {}
        self._revisions: dict[domain.ReportId, list[records.ReportRevision]] = {}
        self._sequence = 0
        self._statements: dict[str, domain.Statement] = {}
        self._rows: dict[str, int] = {}
        """Each statement's row number: insertion order, never reused (as in SQL)."""
        self._last_row = 0
        self._by_pair: dict[tuple[str, str], list[domain.Statement]] = {}
        self._by_agency: dict[str, list[domain.Statement]] = {}
        self._alike: dict[str, dict[AlikeKey, _Alike]] = {}
        """Primary statements by agency key and alike group, each group in record order."""
        self._alike_of: dict[str, AlikeKey] = {}
        self._contradictions: dict[str, domain.Contradiction] = {}
        self._alerts: dict[domain.AlertKey, records.AlertRecord] = {}
        self._deliveries: dict[str, records.Delivery] = {}
        self._leads: dict[str, list[str]] = {}
        """Each alert's lead deliveries, by key: what routing reads for every contradiction."""
        self._watchlist = domain.Watchlist()
        self._subscriptions: list[domain.Subscription] = []
        self._silences: list[domain.Silence] = []
        self._feedback: list[records.FeedbackRecord] = []
        self._audit: list[records.AuditEvent] = []
        self._feeds: dict[int, records.Feed] = {}
        self._state: dict[str, str] = {}
        self._claimed_at: dict[str, datetime] = {}

    def add_report(self, report: domain.Report) -> bool:
        with self._lock:
            stored = self._reports.get(report.id)
            if stored is not None:
                if (stored.title, stored.text) == (report.title, report.text):
                    return False
                earlier = self._revisions.setdefault(report.id, [])
                earlier.append(records.ReportRevision(len(earlier) + 1, stored))
                self._reports[report.id] = report
                self._stored_at[report.id] = self.clock.now()
                self._analysed.discard(report.id)
                self._claimed.discard(report.id)
                self._skipped.pop(report.id, None)
                cited = {s.id for c in self._contradictions.values() for s in (c.new, c.earlier)}
                for key, statement in list(self._statements.items()):
                    if statement.report_id == report.id and key not in cited:
                        del self._statements[key]
                        del self._rows[key]
                        pair = (name_key(statement.agency), name_key(statement.topic))
                        for group in (
                            self._by_pair.get(pair, []),
                            self._by_agency.get(name_key(statement.agency), []),
                        ):
                            if statement in group:
                                group.remove(statement)
                        self._leave_alike(statement)
                return True
            url = url_key(report.url)
            if url is not None and url in self._urls:
                return False
            self._reports[report.id] = report
            self._stored_at[report.id] = self.clock.now()
            if url is not None:
                self._urls.add(url)
            return True

    def get_report(self, report_id: domain.ReportId) -> records.StoredAnalysis | None:
        with self._lock:
            report = self._reports.get(report_id)
            if report is None:
                return None
            statements = tuple(s for s in self._statements.values() if s.report_id == report_id)
            contradictions = tuple(
                c
                for c in self._contradictions.values()
                if report_id in (c.new.report_id, c.earlier.report_id)
            )
            earlier = tuple(self._revisions.get(report_id, ()))
            return records.StoredAnalysis(
                report,
                statements,
                contradictions,
                report_id in self._analysed,
                skip_reason=self._skipped.get(report_id, ""),
                revision=len(earlier) + 1,
                earlier=earlier,
            )

    def report_with_url(self, url: str) -> domain.ReportId | None:
        with self._lock:
            for report in self._reports.values():
                if url and report.url == url:
                    return report.id
            return None

    def claim_unanalysed(self, limit: int) -> list[domain.Report]:
        with self._lock:
            waiting = [
                r
                for rid, r in self._reports.items()
                if rid not in self._analysed and rid not in self._claimed
            ][:limit]
            self._claimed.update(r.id for r in waiting)
            return waiting

    def release_claims(self, report_ids: Sequence[domain.ReportId]) -> None:
        with self._lock:
            self._claimed.difference_update(report_ids)

    def renew_claims(self, report_ids: Sequence[domain.ReportId]) -> None:
        """Nothing to renew: one process holds the store, and its claims do not expire."""

    def backlog(self) -> Backlog:
        with self._lock:
            waiting = [rid for rid in self._reports if rid not in self._analysed]
            stored = [self._stored_at[rid] for rid in waiting if rid in self._stored_at]
            return Backlog(len(waiting), min(stored) if stored else None)

    def skip_report(self, report_id: domain.ReportId, reason: str) -> None:
        with self._lock:
            self._analysed.add(report_id)
            self._claimed.discard(report_id)
            self._skipped[report_id] = reason[:500]

    def next_sequence(self) -> int:
        with self._lock:
            self._sequence += 1
            return self._sequence

    def last_sequence(self) -> int:
        with self._lock:
            return self._sequence

    def statements_about(
        self, agency: domain.AgencyName, topic: domain.TopicName
    ) -> list[domain.Statement]:
        with self._lock:
            return list(self._by_pair.get((name_key(agency), name_key(topic)), []))

    def statements_by(self, agency: domain.AgencyName) -> list[domain.Statement]:
        prefix = name_key(agency)
        with self._lock:
            found = [
                s for key, group in self._by_agency.items() if key.startswith(prefix) for s in group
            ]
        return sorted(found, key=record_order)

    def alike_statements(
        self, agency: domain.AgencyName, excluding: Collection[domain.ReportId] = ()
    ) -> list[records.AlikeStatements]:
        prefix = name_key(agency)
        found: list[tuple[tuple[object, ...], records.AlikeStatements]] = []
        with self._lock:
            for key, groups in self._alike.items():
                if not key.startswith(prefix):
                    continue
                for alike, group in groups.items():
                    ends = group.ends(excluding)
                    if ends is None:
                        continue
                    first, last, count = ends
                    order = (*record_order(first), self._rows[first.id])
                    found.append((order, records.AlikeStatements(first, last, count, alike[4])))
        return [group for _, group in sorted(found, key=lambda f: f[0])]

    def all_statements(self) -> list[domain.Statement]:
        with self._lock:
            return list(self._statements.values())

    def statement_texts_after(self, row: int, limit: int) -> list[records.StatementText]:
        with self._lock:
            # Dict order is insertion order, which is row order.
            found = [
                records.StatementText(self._rows[key], key, st.agency, st.topic, st.quote)
                for key, st in self._statements.items()
                if self._rows[key] > row
            ]
        return found[:limit]

    def statement_texts_within(
        self, ranges: Sequence[tuple[int, int]], after: int, limit: int
    ) -> list[records.StatementText]:
        inside = [
            text
            for text in self.statement_texts_after(after, len(self._statements))
            if any(low < text.row < high for low, high in ranges)
        ]
        return inside[:limit]

    def count_statements(self, upto_row: int) -> int:
        with self._lock:
            return sum(1 for row in self._rows.values() if row <= upto_row)

    def statements_with_ids(self, ids: Sequence[domain.StatementId]) -> list[domain.Statement]:
        with self._lock:
            return [self._statements[i] for i in ids if i in self._statements]

    def save_analysis(self, write: records.AnalysisWrite) -> list[domain.Contradiction]:
        with self._lock:
            self._sequence += 1
            wording = statement_wording(write.statements)
            for statement in write.statements:
                if statement.id not in self._statements:
                    self._statements[statement.id] = statement
                    self._last_row += 1
                    self._rows[statement.id] = self._last_row
                    pair = (name_key(statement.agency), name_key(statement.topic))
                    self._by_pair.setdefault(pair, []).append(statement)
                    self._by_agency.setdefault(name_key(statement.agency), []).append(statement)
                    self._join_alike(statement, wording[statement.id])
            new = [c for c in write.contradictions if c.key not in self._contradictions]
            for contradiction in new:
                self._contradictions[contradiction.key] = contradiction
            at = write.at or datetime.min
            for alert in write.alerts:
                if alert.key not in self._alerts:
                    self._alerts[alert.key] = records.AlertRecord(alert=alert, opened_at=at)
            by_key = {c.key: c for c in new}
            for delivery in write.deliveries:
                evidence = by_key.get(delivery.contradiction_key)
                if evidence is not None:
                    # Every outbox row has its alert, even if the caller did not open it.
                    if delivery.alert_key not in self._alerts:
                        opened = domain.Alert(
                            delivery.alert_key, evidence.agency, evidence.topic, ()
                        )
                        self._alerts[delivery.alert_key] = records.AlertRecord(opened, at)
                    self._deliveries.setdefault(delivery.key, delivery)
                    if delivery.is_lead:
                        self._leads.setdefault(delivery.alert_key, []).append(delivery.key)
            self._analysed.add(write.report_id)
            self._claimed.discard(write.report_id)
            return new

    def watchlist(self) -> domain.Watchlist:
        with self._lock:
            return self._watchlist

    def save_watchlist(self, watchlist: domain.Watchlist) -> None:
        with self._lock:
            self._watchlist = domain.Watchlist().merged(watchlist)

    def merge_watchlist(
        self, watchlist: domain.Watchlist, subscriptions: Sequence[domain.Subscription] = ()
    ) -> None:
        with self._lock:
            self._watchlist = self._watchlist.merged(watchlist)
            for subscription in subscriptions:
                self.add_subscription(subscription)

    def subscriptions(self) -> list[domain.Subscription]:
        with self._lock:
            return list(self._subscriptions)

    def add_subscription(self, subscription: domain.Subscription) -> None:
        with self._lock:
            if subscription not in self._subscriptions:
                self._subscriptions.append(subscription)

    def remove_subscription(self, channel: domain.Channel, name: str) -> bool:
        key = name_key(name)
        with self._lock:
            self._subscriptions, removed = _without(
                self._subscriptions,
                lambda s: s.channel == channel and key in (name_key(s.agency), name_key(s.topic)),
            )
            return removed

    def silences(self) -> list[domain.Silence]:
        with self._lock:
            return list(self._silences)

    def add_silence(self, silence: domain.Silence) -> None:
        with self._lock:  # reentrant: the removal and the append are one step
            self.remove_silence(silence.target)  # one silence a target: the newest replaces it
            self._silences.append(silence)

    def remove_silence(self, target: str) -> bool:
        key = name_key(target)
        with self._lock:
            self._silences, removed = _without(self._silences, lambda s: name_key(s.target) == key)
            return removed

    def add_feedback(self, feedback: records.FeedbackRecord) -> None:
        with self._lock:
            self._feedback.append(feedback)

    def feedback(self) -> list[records.FeedbackRecord]:
        with self._lock:
            return list(self._feedback)

    def audit(self, event: records.AuditEvent) -> None:
        with self._lock:
            self._audit.append(event)

    def audit_events(self) -> list[records.AuditEvent]:
        with self._lock:
            return list(self._audit)

    def alert(self, key: domain.AlertKey) -> records.AlertRecord | None:
        with self._lock:
            record = self._alerts.get(key)
            return self._complete(record) if record else None

    def alert_leads(self, key: domain.AlertKey) -> records.AlertRecord | None:
        with self._lock:
            record = self._alerts.get(key)
            if record is None:
                return None
            leads = tuple(self._deliveries[k] for k in dict.fromkeys(self._leads.get(key, ())))
            bare = domain.Alert(record.alert.key, record.alert.agency, record.alert.topic, ())
            return replace(record, alert=bare, deliveries=leads)

    def _complete(self, record: records.AlertRecord) -> records.AlertRecord:
        contradictions = tuple(
            c
            for c in self._contradictions.values()
            if domain.alert_key(c.agency, c.topic) == record.alert.key
        )
        deliveries = tuple(d for d in self._deliveries.values() if d.alert_key == record.alert.key)
        alert = domain.Alert(
            record.alert.key,
            record.alert.agency,
            record.alert.topic,
            contradictions or record.alert.contradictions,
        )
        return replace(record, alert=alert, deliveries=deliveries)

    def alerts_since(self, since: datetime | None) -> list[records.AlertRecord]:
        with self._lock:
            return [
                self._complete(r)
                for r in self._alerts.values()
                if since is None or r.opened_at >= since
            ]

    def due_deliveries(self, now: datetime, limit: int) -> list[records.Delivery]:
        """Claim due rows for `delivery_lease`, leads first; follow-ups wait for their lead."""
        with self._lock:
            rows = list(self._deliveries.values())
            due = [
                d
                for d in rows
                if d.status is records.DeliveryStatus.PENDING
                and (d.next_attempt_at is None or d.next_attempt_at <= now)
                and self._delivery_claims.get(d.key, now) <= now
                and pending_lead(d, rows) is None
            ]
            due.sort(key=lambda d: (not d.is_lead, d.created_at or now, d.key))
            for delivery in due[:limit]:
                self._delivery_claims[delivery.key] = now + self.delivery_lease
            return due[:limit]

    def undelivered(self, limit: int) -> list[records.Delivery]:
        """Pending deliveries, oldest first, without claiming them (for the gauges)."""
        with self._lock:
            pending = [
                d for d in self._deliveries.values() if d.status is records.DeliveryStatus.PENDING
            ]
            pending.sort(key=lambda d: (d.created_at is not None, d.created_at, d.key))
            return pending[:limit]

    def update_delivery(self, delivery: records.Delivery) -> None:
        """Record a delivery's outcome and release its claim."""
        with self._lock:
            self._deliveries[delivery.key] = delivery
            self._delivery_claims.pop(delivery.key, None)

    def coalesce_deliveries(
        self, keys: Sequence[str], now: datetime, *, claimed: Collection[str] = ()
    ) -> list[str]:
        marked: list[str] = []
        with self._lock:
            for key in keys:
                row = self._deliveries.get(key)
                if row is None or row.status is not records.DeliveryStatus.PENDING:
                    continue
                if self._delivery_claims.get(key, now) > now and key not in claimed:
                    continue
                self._delivery_claims.pop(key, None)
                self._deliveries[key] = replace(row, status=records.DeliveryStatus.COALESCED)
                marked.append(key)
        return marked

    def deliveries(self) -> list[records.Delivery]:
        with self._lock:
            return list(self._deliveries.values())

    def add_feed(self, url: str, every_minutes: int, channel: str = "") -> records.Feed:
        with self._lock:
            feed = records.Feed(
                id=max(self._feeds, default=0) + 1,
                url=url,
                every_minutes=every_minutes,
                channel=channel,
            )
            self._feeds[feed.id] = feed
            return feed

    def feeds(self) -> list[records.Feed]:
        with self._lock:
            return list(self._feeds.values())

    def update_feed(self, feed: records.Feed) -> None:
        with self._lock:
            if feed.id in self._feeds:
                self._feeds[feed.id] = feed

    def remove_feed(self, feed_id: int) -> bool:
        with self._lock:
            return self._feeds.pop(feed_id, None) is not None

    def get_state(self, key: str) -> str | None:
        with self._lock:
            return self._state.get(key)

    def set_state(self, key: str, value: str) -> None:
        with self._lock:
            self._state[key] = value

    def claim_key(self, key: str, at: datetime) -> bool:
        with self._lock:
            if key in self._state:
                return False
            self._state[key] = records.claim_stamp(at)
            return True

    def prune_claims(self, prefix: str, before: datetime) -> int:
        cutoff = records.claim_stamp(before)
        with self._lock:
            old = [
                k
                for k, v in self._state.items()
                if k.startswith(prefix) and (v < cutoff or v == records.LEGACY_CLAIM)
            ]
            for key in old:
                del self._state[key]
            return len(old)

    def ping(self) -> None:
        return None

    def _join_alike(self, statement: domain.Statement, wording: tuple[str, ...]) -> None:
        if statement.role is not domain.StatementRole.PRIMARY:
            return
        alike = alike_key(statement, wording)
        self._alike_of[statement.id] = alike
        groups = self._alike.setdefault(name_key(statement.agency), {})
        groups.setdefault(alike, _Alike()).add(statement)

    def _leave_alike(self, statement: domain.Statement) -> None:
        alike = self._alike_of.pop(statement.id, None)
        if alike is None:
            return
        groups = self._alike[name_key(statement.agency)]
        if groups[alike].remove(statement):
            del groups[alike]


class _Alike:
    """One alike group: its statements in record order, and the reports they come from.

    A report states one (agency, topic, polarity) once as its primary statement, so
    each report holds at most one statement of a group.
    """

    def __init__(self) -> None:
        self.statements: list[domain.Statement] = []
        self.reports: set[domain.ReportId] = set()

    def add(self, statement: domain.Statement) -> None:
        bisect.insort(self.statements, statement, key=record_order)
        self.reports.add(statement.report_id)

    def remove(self, statement: domain.Statement) -> bool:
        """Take a statement out; say whether the group is now empty."""
        self.statements.remove(statement)
        self.reports.discard(statement.report_id)
        return not self.statements

    def ends(
        self, excluding: Collection[domain.ReportId]
    ) -> tuple[domain.Statement, domain.Statement, int] | None:
        """The earliest, the latest and the count, without `excluding`; None when none is left."""
        left_out = sum(1 for r in excluding if r in self.reports)
        if left_out == len(self.statements):
            return None
        if not left_out:
            return self.statements[0], self.statements[-1], len(self.statements)
        kept = (s for s in self.statements if s.report_id not in excluding)
        first = next(kept)
        last = next(s for s in reversed(self.statements) if s.report_id not in excluding)
        return first, last, len(self.statements) - left_out


def _without(items: list[T], drop: Callable[[T], bool]) -> tuple[list[T], bool]:
    """`items` less those `drop` picks, and whether it picked any."""
    kept = [item for item in items if not drop(item)]
    return kept, len(kept) != len(items)
