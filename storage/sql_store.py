"""The `Store` port over SQLModel: SQLite (embedded, one process) and PostgreSQL (replicas).

Every method is one short transaction that maps rows to the frozen domain values
before it commits; no session outlives a call. The methods block, so async callers
run them in a worker thread (`asyncio.to_thread`).

Scale-out on PostgreSQL rests on three things: work is claimed with
`FOR UPDATE SKIP LOCKED` plus a lease column (a crashed worker's claim expires);
unique constraints make every contradiction, alert and delivery exist once;
inserts into those tables use ON CONFLICT DO NOTHING and look at the row count.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    exc,
    exists,
    func,
    or_,
    tuple_,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import aliased
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, col, select

from bot.app.clock import SystemClock
from bot.app.ports import Backlog, Clock
from bot.core import domain, records
from bot.core.detection import alike_digest, record_order, statement_wording
from bot.core.keys import name_key, url_key
from storage.migrate import upgrade_engine
from storage.tables import (
    AdapterStateRow,
    AgencyRow,
    AlertRow,
    AuditEventRow,
    ContradictionRow,
    CounterRow,
    DeliveryRow,
    FeedbackRow,
    FeedRow,
    FetchRunRow,
    ReportRevisionRow,
    ReportRow,
    SilenceRow,
    StatementGroupRow,
    StatementRow,
    SubscriptionRow,
    TopicRow,
)

READ_ONLY = "denialwatch_read_only"
"""Execution option of the engine that `SqlStore._read` uses: a transaction that never writes."""
_STATEMENTS_TABLE = StatementRow.__table__  # type: ignore[attr-defined]  # SQLModel's table
_STATEMENTS = _STATEMENTS_TABLE.c
_GROUPS_TABLE = StatementGroupRow.__table__  # type: ignore[attr-defined]
_GROUPS = _GROUPS_TABLE.c
SEQUENCE_COUNTER = "report_sequence"
WRITE_PROBE_KEY = "health:write-probe"
CLAIM_LEASE = timedelta(seconds=30)
"""How long a claimed report stays off other workers: a crashed replica's claims come
back after this. A failed analysis gives its claim back at once (`release_claims`)."""

_Named = TypeVar("_Named", domain.Agency, domain.Topic)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine set up for the store: WAL, busy timeout and immediate writes on SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return _ping_when_idle(create_engine(url))
    in_memory = parsed.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        **({"poolclass": StaticPool} if in_memory else {}),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that later writes can
        # fail with SQLITE_BUSY instead of waiting for the busy timeout. Reads that never
        # write (`SqlStore._read`) take no lock: in WAL mode they neither wait for a
        # writer nor hold one up, so analysis in another process barely delays a write.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled connection unused for longer is pinged before it is handed out."""


def _ping_when_idle(engine: Engine) -> Engine:
    """Ping a pooled connection on checkout only when it sat idle past PING_AFTER_IDLE_SECONDS.

    A server restart or a dropped connection shows on the first checkout after it,
    which gets a fresh connection instead (`pool_pre_ping` does so too, but pings on
    every checkout: one more round trip for each of an analysis's dozen transactions).
    A connection given back a moment ago is in use, not stale.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            if not dbapi_connection.autocommit:
                dbapi_connection.rollback()  # the ping's implicit transaction
        except Exception as error:
            # The pool drops this connection and checks out another (up to three times).
            raise exc.DisconnectionError(f"stale pooled connection: {error}") from error

    return engine


def _use_wal(cursor: Any, attempts: int = 50) -> None:
    """Switch the file to WAL once; connections opening together may find it locked."""
    for attempt in range(attempts):
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def content_hash(report: domain.Report) -> str:
    """A hash of the report's words, blind to case and spacing."""
    words = " ".join(f"{report.title}\n{report.text}".casefold().split())
    return hashlib.sha256(words.encode()).hexdigest()


class SqlStore:
    """`bot.app.ports.Store` on a SQLAlchemy URL; schema from `storage.migrate.upgrade`."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        claim_lease: timedelta = CLAIM_LEASE,
        delivery_lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.clock: Clock = clock or SystemClock()
        self.claim_lease = claim_lease
        self.delivery_lease = delivery_lease
        self._postgres = self.engine.dialect.name == "postgresql"
        self._reader = self.engine.execution_options(**{READ_ONLY: True})
        if self._postgres:
            # No BEGIN and COMMIT round trips around a read: at READ COMMITTED every
            # statement sees its own snapshot inside a transaction as well.
            self._reader = self._reader.execution_options(isolation_level="AUTOCOMMIT")
        # SQLite has one write lock per file. Threads of one process that each wait for
        # it through the busy timeout sleep in steps of up to 100 ms, so twenty requests
        # storing reports at once took up to 0.4 s each; queued here, they take turns
        # as soon as the lock is free. Only other processes (the analysis workers) still
        # meet the busy timeout. PostgreSQL locks rows: no queue.
        self._writing: AbstractContextManager[object] = (
            nullcontext() if self._postgres else threading.RLock()
        )
        # Reports stored at the same moment share one transaction on both: on SQLite one
        # turn at the lock, on PostgreSQL one commit (one WAL flush) instead of twenty.
        self._batches = _Batches(self._add_reports)
        self._statements = _Prepared.for_dialect(self._postgres)

    def migrate(self) -> None:
        """Apply the migrations through this store's engine (needed for `sqlite://`)."""
        upgrade_engine(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with (
            self._writing,
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """A transaction that only reads: on SQLite it takes no write lock."""
        with Session(self._reader, expire_on_commit=False) as session, session.begin():
            yield session

    def _insert(self, table: type[SQLModel]) -> Any:
        """A dialect INSERT that supports ON CONFLICT."""
        return postgresql.insert(table) if self._postgres else sqlite.insert(table)

    # reports

    def add_report(self, report: domain.Report) -> bool:
        # Reports stored by several threads at once share one transaction.
        return self._batches.submit(report)

    def _add_reports(self, reports: Sequence[domain.Report]) -> list[bool | Exception]:
        """Store reports in one transaction, each in a savepoint of its own.

        A report that fails gives its error to its own caller only; the others are
        committed (one commit instead of one each: SQLite's write lock is held once).
        """
        if len(reports) == 1:
            with self._tx() as s:
                return [self._add_report(s, reports[0])]
        outcomes: list[bool | Exception] = []
        with self._tx() as s:
            for report in reports:
                try:
                    with s.begin_nested():
                        outcomes.append(self._add_report(s, report))
                except Exception as error:  # only this report's savepoint is rolled back
                    outcomes.append(error)
        return outcomes

    def _add_report(self, s: Session, report: domain.Report) -> bool:
        digest = content_hash(report)
        now = self.clock.now()
        stmt = (
            self._insert(ReportRow)
            .values(
                report_id=report.id,
                url_key=url_key(report.url),
                content_hash=digest,
                analysed=False,
                stored_at=now,
                **_fields(report, _REPORT_FIELDS),
            )
            .on_conflict_do_nothing()
        )
        if _inserted(s, stmt.returning(col(ReportRow.id))):
            return True
        query = select(ReportRow).where(ReportRow.report_id == report.id)
        if self._postgres:
            query = query.with_for_update()
        row = s.exec(query).first()
        if row is None or row.content_hash == digest:
            return False
        self._revise(s, row, report, digest, now)
        return True

    def _revise(
        self, s: Session, row: ReportRow, report: domain.Report, digest: str, now: datetime
    ) -> None:
        """Keep the stored version as a revision and put the correction in its place."""
        s.add(
            ReportRevisionRow(
                report_id=row.report_id,
                revision=row.revision,
                content_hash=row.content_hash,
                stored_at=row.stored_at,
                **_fields(row, _REVISION_FIELDS),
            )
        )
        new_url_key = url_key(report.url)
        if new_url_key != row.url_key:
            taken = (
                new_url_key is not None
                and s.exec(select(ReportRow.id).where(ReportRow.url_key == new_url_key)).first()
            )
            if not taken:
                row.url_key = new_url_key
        for name, value in _fields(report, _REPORT_FIELDS).items():
            setattr(row, name, value)
        row.content_hash = digest
        row.revision += 1
        row.analysed = False
        row.claimed_until = None
        row.skip_reason = ""
        row.stored_at = now
        s.add(row)
        # Statements of the replaced version go, except those an alert already cites:
        # they stay as the record of what was sent.
        cited_new = select(ContradictionRow.new_statement)
        cited_earlier = select(ContradictionRow.earlier_statement)
        going = (
            col(StatementRow.report_id) == row.report_id,
            col(StatementRow.key).not_in(cited_new),
            col(StatementRow.key).not_in(cited_earlier),
        )
        groups = set(s.exec(select(StatementRow.alike).where(*going, StatementRow.alike != "")))
        self._lock_groups(s, groups)
        s.exec(delete(StatementRow).where(*going))
        for alike in sorted(groups):
            self._recount_group(s, alike)

    def get_report(self, report_id: domain.ReportId) -> records.StoredAnalysis | None:
        with self._read() as s:
            row = s.exec(select(ReportRow).where(ReportRow.report_id == report_id)).first()
            if row is None:
                return None
            statements = s.exec(
                select(StatementRow)
                .where(StatementRow.report_id == report_id)
                .order_by(col(StatementRow.id))
            ).all()
            contradictions = s.exec(
                select(ContradictionRow)
                .where(
                    or_(
                        col(ContradictionRow.new_report_id) == report_id,
                        col(ContradictionRow.earlier_report_id) == report_id,
                    )
                )
                .order_by(col(ContradictionRow.id))
            ).all()
            revisions = s.exec(
                select(ReportRevisionRow)
                .where(ReportRevisionRow.report_id == report_id)
                .order_by(col(ReportRevisionRow.revision))
            ).all()
            return records.StoredAnalysis(
                report=_report(row),
                statements=tuple(_statement(r) for r in statements),
                contradictions=tuple(_contradictions(s, contradictions)),
                analysed=row.analysed,
                skip_reason=row.skip_reason,
                revision=row.revision,
                earlier=tuple(
                    records.ReportRevision(
                        r.revision,
                        domain.Report(
                            id=domain.ReportId(r.report_id), **_fields(r, _REVISION_FIELDS)
                        ),
                        r.stored_at,
                    )
                    for r in revisions
                ),
            )

    def report_with_url(self, url: str) -> domain.ReportId | None:
        key = url_key(url)
        if key is None:
            return None
        with self._read() as s:
            found = s.exec(select(ReportRow.report_id).where(ReportRow.url_key == key)).first()
            return None if found is None else domain.ReportId(found)

    def claim_unanalysed(self, limit: int) -> list[domain.Report]:
        """Claim up to `limit` unanalysed reports in arrival order, for `claim_lease`.

        On PostgreSQL rows another worker is claiming are skipped, and the lease keeps
        them off other workers until `save_analysis` marks them or the lease expires.
        """
        now = self.clock.now()
        with self._tx() as s:
            query = (
                select(ReportRow)
                .where(
                    col(ReportRow.analysed).is_(False),
                    _free_at(col(ReportRow.claimed_until), now),
                )
                .order_by(col(ReportRow.id))
                .limit(limit)
            )
            if self._postgres:
                query = query.with_for_update(skip_locked=True)
            rows = s.exec(query).all()
            for row in rows:
                row.claimed_until = now + self.claim_lease
            return [_report(row) for row in rows]

    def release_claims(self, report_ids: Sequence[domain.ReportId]) -> None:
        self._set_claims(report_ids, None)

    def renew_claims(self, report_ids: Sequence[domain.ReportId]) -> None:
        self._set_claims(
            report_ids,
            self.clock.now() + self.claim_lease,
            col(ReportRow.claimed_until).is_not(None),
        )

    def _set_claims(
        self,
        report_ids: Sequence[domain.ReportId],
        until: datetime | None,
        *only: ColumnElement[bool],
    ) -> None:
        """Set when the claims on these reports, where still unanalysed (and `only`), end."""
        if not report_ids:
            return
        with self._tx() as s:
            s.exec(
                update(ReportRow)
                .where(
                    col(ReportRow.report_id).in_(list(report_ids)),
                    col(ReportRow.analysed).is_(False),
                    *only,
                )
                .values(claimed_until=until)
            )

    def backlog(self) -> Backlog:
        with self._read() as s:
            count, oldest = s.exec(
                select(func.count(), func.min(ReportRow.stored_at)).where(
                    col(ReportRow.analysed).is_(False)
                )
            ).one()
            return Backlog(int(count), _aware(oldest) if oldest is not None else None)

    def skip_report(self, report_id: domain.ReportId, reason: str) -> None:
        with self._tx() as s:
            s.exec(
                update(ReportRow)
                .where(col(ReportRow.report_id) == report_id)
                .values(analysed=True, claimed_until=None, skip_reason=reason[:500])
            )

    def next_sequence(self) -> int:
        with self._tx() as s:
            return self._count_one(s, SEQUENCE_COUNTER)

    def _count_one(self, s: Session, counter: str) -> int:
        """Add one to a counter (created at 1), in the caller's transaction; the new value."""
        found = s.connection().execute(self._statements.count_one, {"counter": counter})
        return int(found.scalar_one())

    def last_sequence(self) -> int:
        with self._read() as s:
            value = s.connection().execute(_COUNTER, {"counter": SEQUENCE_COUNTER}).scalar()
            return int(value or 0)

    # statements and contradictions

    def statements_about(
        self, agency: domain.AgencyName, topic: domain.TopicName
    ) -> list[domain.Statement]:
        with self._read() as s:
            rows = s.exec(
                select(StatementRow)
                .where(
                    StatementRow.agency_key == name_key(agency),
                    StatementRow.topic_key == name_key(topic),
                )
                .order_by(*_statement_order())
            ).all()
            return [_statement(r) for r in rows]

    def statements_by(self, agency: domain.AgencyName) -> list[domain.Statement]:
        with self._read() as s:
            rows = s.exec(
                select(StatementRow)
                .where(col(StatementRow.agency_key).startswith(name_key(agency), autoescape=True))
                .order_by(*_statement_order())
            ).all()
            return [_statement(r) for r in rows]

    def alike_statements(
        self, agency: domain.AgencyName, excluding: Collection[domain.ReportId] = ()
    ) -> list[records.AlikeStatements]:
        # One Core query, built once, for the groups and both their end statements: it
        # runs for every analysed report.
        prefix = name_key(agency)
        block = {
            "pattern": _like_escape(prefix) + "%",
            "low": prefix,
            "high": prefix + "\U0010ffff",
        }
        found_groups: list[tuple[tuple[object, ...], records.AlikeStatements]] = []
        with self._read() as s:
            connection = s.connection()
            groups = connection.execute(self._statements.alike_groups, block).all()
            if not groups:
                return []
            # A report holds at most one statement of a group: those of `excluding` are
            # few, found through the report id (not by walking each group's members).
            left_out: dict[str, int] = {}
            if excluding:
                found = connection.execute(_LEFT_OUT, {"reports": list(excluding)}).all()
                left_out = {alike: int(n) for alike, n in found}
            for group in groups:
                count = group.members - left_out.get(group.alike, 0)
                if count <= 0:
                    continue
                earliest, latest = _statement(group, "f_"), _statement(group, "l_")
                first_row = group.f_id
                if earliest.report_id in excluding:
                    end = self._group_end(s, group.alike, excluding, last=False)
                    earliest, first_row = _statement(end), end.id
                if latest.report_id in excluding:
                    latest = _statement(self._group_end(s, group.alike, excluding, last=True))
                order = (*record_order(earliest), first_row or 0)
                wording = tuple(group.wording.split("\n")) if group.wording else ()
                found_groups.append(
                    (order, records.AlikeStatements(earliest, latest, count, wording))
                )
        return [g for _, g in sorted(found_groups, key=lambda f: f[0])]

    def all_statements(self) -> list[domain.Statement]:
        with self._read() as s:
            return [
                _statement(r) for r in s.exec(select(StatementRow).order_by(*_statement_order()))
            ]

    def statement_texts_after(self, row: int, limit: int) -> list[records.StatementText]:
        return self._statement_texts(_STATEMENTS.id > row, limit=limit)

    def statement_texts_within(
        self, ranges: Sequence[tuple[int, int]], after: int, limit: int
    ) -> list[records.StatementText]:
        if not ranges:
            return []
        row = _STATEMENTS.id
        inside = or_(*(and_(row > low, row < high) for low, high in ranges))
        # The outer bounds let the planner walk the key range the gaps span, not every
        # row after `after` (SQLite does not turn an OR of ranges into index lookups).
        lowest = max(after, min(low for low, _ in ranges))
        highest = max(high for _, high in ranges)
        return self._statement_texts(row > lowest, row < highest, inside, limit=limit)

    def _statement_texts(
        self, *where: ColumnElement[bool], limit: int
    ) -> list[records.StatementText]:
        """The claim index's reads: row, key, agency, topic and quote, by row."""
        table = _STATEMENTS
        query = (
            sa_select(table.id, table.key, table.agency, table.topic, table.quote)
            .where(*where)
            .order_by(table.id)
            .limit(limit)
        )
        with self._read() as s:
            rows = s.connection().execute(query).all()
            return [records.StatementText(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def count_statements(self, upto_row: int) -> int:
        with self._read() as s:
            found = s.exec(
                select(func.count())
                .select_from(StatementRow)
                .where(col(StatementRow.id) <= upto_row)
            ).one()
            return int(found)

    def statements_with_ids(self, ids: Sequence[domain.StatementId]) -> list[domain.Statement]:
        if not ids:
            return []
        with self._read() as s:
            rows = s.exec(select(StatementRow).where(col(StatementRow.key).in_(list(ids)))).all()
            found = {r.key: _statement(r) for r in rows}
        return [found[i] for i in ids if i in found]

    def save_analysis(self, write: records.AnalysisWrite) -> list[domain.Contradiction]:
        """Commit statements, contradictions, alerts and outbox rows at once; mark the report.

        Returns the contradictions that were not stored before; outbox rows are
        written only for those, so a second run of the same analysis (another
        replica, a retry after a crash) returns nothing and adds nothing.
        """
        now = write.at or self.clock.now()
        alert_of = {d.contradiction_key: d.alert_key for d in write.deliveries}
        with self._tx() as s:
            self._insert_statements(
                s, _with_contradiction_statements(write.statements, write.contradictions)
            )
            new = [
                c
                for c in write.contradictions
                if self._insert_contradiction(
                    s, c, alert_of.get(c.key, domain.alert_key(c.agency, c.topic)), now
                )
            ]
            for alert in write.alerts:
                self._ensure_alert(s, alert.key, alert.agency, alert.topic, now)
            by_key = {c.key: c for c in new}
            for delivery in write.deliveries:
                contradiction = by_key.get(delivery.contradiction_key)
                if contradiction is None:
                    continue
                # Every outbox row has its alert, even if the caller did not open it.
                self._ensure_alert(
                    s, delivery.alert_key, contradiction.agency, contradiction.topic, now
                )
                self._insert_delivery(s, delivery, now)
            s.connection().execute(_MARK_ANALYSED, {"report": write.report_id})
            # Last: on PostgreSQL the counter's row lock is held only until the commit.
            self._count_one(s, SEQUENCE_COUNTER)
            return new

    def _insert_statements(self, s: Session, statements: Iterable[domain.Statement]) -> None:
        """Insert statements in one round trip (those stored before stay as they are) and
        count each new primary statement in its alike group."""
        statements = list(statements)
        if not statements:
            return
        wording = statement_wording(statements)
        rows = []
        for st in statements:
            primary = st.role is domain.StatementRole.PRIMARY
            rows.append(
                {
                    "key": st.id,
                    "report_id": st.report_id,
                    "agency": st.agency,
                    "topic": st.topic,
                    "agency_key": name_key(st.agency),
                    "topic_key": name_key(st.topic),
                    "polarity": st.polarity.value,
                    "role": st.role.value,
                    "wording": "\n".join(wording[st.id]),
                    "alike": alike_digest(st, wording[st.id]) if primary else "",
                    **_fields(st, _STATEMENT_FIELDS),
                }
            )
        # Core, not the ORM: one executemany, no per-row statement to build and key.
        inserted = s.connection().execute(self._statements.statement, rows).all()
        added = {key: row_id for key, row_id in inserted}
        for st, row in zip(statements, rows, strict=True):
            if row["alike"] and st.id in added:
                self._join_group(s, st, row, added[st.id])

    def _join_group(self, s: Session, st: domain.Statement, row: dict[str, Any], at: int) -> None:
        """Count a new primary statement in its alike group; move the group's ends."""
        end = {
            "statement": st.id,
            "published": st.published,
            "sequence": st.sequence,
            "report_id": st.report_id,
        }
        s.connection().execute(
            self._statements.group_upsert,
            {
                "alike": row["alike"],
                "agency_key": row["agency_key"],
                "wording": row["wording"],
                "count": 1,
                "first_row": at,
                **{f"first_{k}": v for k, v in end.items()},
                **{f"last_{k}": v for k, v in end.items()},
            },
        )

    def _lock_groups(self, s: Session, groups: Collection[str]) -> None:
        """Lock groups whose members are about to go (PostgreSQL; SQLite's lock is the file)."""
        if groups:
            s.exec(
                select(StatementGroupRow.id)
                .where(col(StatementGroupRow.alike).in_(sorted(groups)))
                .with_for_update()
            ).all()

    def _recount_group(self, s: Session, alike: str) -> None:
        """Count a group's members and find its ends again, after some of them went."""
        count = s.exec(
            select(func.count()).select_from(StatementRow).where(StatementRow.alike == alike)
        ).one()
        if not count:
            s.exec(delete(StatementGroupRow).where(col(StatementGroupRow.alike) == alike))
            return
        first = self._group_end(s, alike, (), last=False)
        last = self._group_end(s, alike, (), last=True)
        s.exec(
            update(StatementGroupRow)
            .where(col(StatementGroupRow.alike) == alike)
            .values(**_group_ends(first, last), count=int(count))
        )

    def _group_end(
        self, s: Session, alike: str, excluding: Collection[domain.ReportId], *, last: bool
    ) -> Row[Any]:
        """The earliest (or latest) member of a group in record order, some reports left out."""
        report: Any = _STATEMENTS.report_id
        if self._postgres:
            report = report.collate("C")  # Python's order of strings, as the memory store
        order = [_STATEMENTS.published, _STATEMENTS.sequence, report, _STATEMENTS.id]
        query = sa_select(*_STATEMENTS).where(_STATEMENTS.alike == alike)
        if excluding:
            query = query.where(_STATEMENTS.report_id.not_in(list(excluding)))
        query = query.order_by(*(o.desc() for o in order) if last else order)
        return s.connection().execute(query.limit(1)).one()

    def _insert_contradiction(
        self, s: Session, c: domain.Contradiction, key: str, now: datetime
    ) -> bool:
        values = {
            "key": c.key,
            "alert_key": key,
            "new_report_id": c.new.report_id,
            "earlier_report_id": c.earlier.report_id,
            "new_statement": c.new.id,
            "earlier_statement": c.earlier.id,
            "kind": c.kind.value,
            "score": c.score,
            "created_at": now,
            "why": c.why,
            "others": c.others,
        }
        return s.connection().execute(self._statements.contradiction, values).first() is not None

    def _ensure_alert(
        self, s: Session, key: str, agency: str, topic: str, opened_at: datetime
    ) -> None:
        s.exec(
            self._insert(AlertRow)
            .values(key=key, agency=agency, topic=topic, opened_at=opened_at)
            .on_conflict_do_nothing()
        )

    def _insert_delivery(self, s: Session, d: records.Delivery, now: datetime) -> None:
        values = {
            "alert_key": d.alert_key,
            "is_update": d.update,
            "status": d.status.value,
            "created_at": d.created_at or now,
            **_channel_columns(d.channel),
            **_fields(d, _DELIVERY_FIELDS),
        }
        insert = self._insert(DeliveryRow).values(**values).on_conflict_do_nothing()
        if _inserted(s, insert.returning(col(DeliveryRow.id))):
            return
        if not d.is_lead:
            return
        same = s.exec(
            select(DeliveryRow.id).where(
                or_(
                    col(DeliveryRow.key) == d.key,
                    (col(DeliveryRow.alert_key) == d.alert_key)
                    & (col(DeliveryRow.platform) == d.channel.platform)
                    & (col(DeliveryRow.channel_id) == d.channel.id)
                    & (col(DeliveryRow.contradiction_key) == d.contradiction_key),
                )
            )
        ).first()
        if same is None:
            # Another analysis already opened this alert in this channel (two replicas
            # raced): post this evidence in its thread rather than drop it.
            values["is_lead"] = False
            s.exec(self._insert(DeliveryRow).values(**values).on_conflict_do_nothing())

    # watchlist and subscriptions

    def watchlist(self) -> domain.Watchlist:
        # Core rows through queries built once: every analysis reads the watchlist.
        with self._read() as s:
            agencies = s.connection().execute(_AGENCIES).all()
            topics = s.connection().execute(_TOPICS).all()
            return domain.Watchlist(
                agencies=tuple(
                    domain.Agency(
                        name=domain.AgencyName(a.name), country=a.country, aliases=tuple(a.aliases)
                    )
                    for a in agencies
                ),
                topics=tuple(
                    domain.Topic(name=domain.TopicName(t.name), aliases=tuple(t.aliases))
                    for t in topics
                ),
            )

    def save_watchlist(self, watchlist: domain.Watchlist) -> None:
        tables = _watch_tables(watchlist)
        with self._tx() as s:
            self._upsert_watchlist(s, tables)
            for table, entries in tables:
                kept = [name_key(values["name"]) for values in entries]
                s.exec(delete(table).where(col(table.name_key).not_in(kept)))

    def merge_watchlist(
        self, watchlist: domain.Watchlist, subscriptions: Sequence[domain.Subscription] = ()
    ) -> None:
        with self._tx() as s:
            self._upsert_watchlist(s, _watch_tables(watchlist))
            for subscription in subscriptions:
                s.exec(self._subscription_upsert(subscription))

    def _upsert_watchlist(self, s: Session, tables: list[_WatchTable]) -> None:
        """INSERT … ON CONFLICT DO UPDATE per name, in key order (no deadlocks between replicas)."""
        for table, entries in tables:
            start = s.exec(select(func.coalesce(func.max(table.position), -1))).one() + 1
            ordered = sorted(enumerate(entries), key=lambda item: name_key(item[1]["name"]))
            for offset, values in ordered:
                s.exec(
                    self._insert(table)
                    .values(name_key=name_key(values["name"]), position=start + offset, **values)
                    .on_conflict_do_update(index_elements=["name_key"], set_=values)
                )

    def subscriptions(self) -> list[domain.Subscription]:
        with self._read() as s:
            rows = s.exec(select(SubscriptionRow).order_by(col(SubscriptionRow.id))).all()
            return [
                domain.Subscription(
                    channel=_channel(r),
                    agency=r.agency,
                    topic=r.topic,
                    min_score=r.min_score,
                )
                for r in rows
            ]

    def add_subscription(self, subscription: domain.Subscription) -> None:
        """Subscribe; the same channel and scope again only updates `min_score`."""
        with self._tx() as s:
            s.exec(self._subscription_upsert(subscription))

    def _subscription_upsert(self, subscription: domain.Subscription) -> Any:
        return (
            self._insert(SubscriptionRow)
            .values(
                **_channel_columns(subscription.channel),
                agency=subscription.agency,
                topic=subscription.topic,
                agency_key=name_key(subscription.agency),
                topic_key=name_key(subscription.topic),
                min_score=subscription.min_score,
            )
            .on_conflict_do_update(
                index_elements=["platform", "channel_id", "agency_key", "topic_key"],
                set_={"min_score": subscription.min_score},
            )
        )

    def remove_subscription(self, channel: domain.Channel, name: str) -> bool:
        """Drop this channel's subscriptions to the agency or topic `name`."""
        key = name_key(name)
        with self._tx() as s:
            result = s.exec(
                delete(SubscriptionRow).where(
                    col(SubscriptionRow.platform) == channel.platform,
                    col(SubscriptionRow.channel_id) == channel.id,
                    or_(
                        col(SubscriptionRow.agency_key) == key,
                        col(SubscriptionRow.topic_key) == key,
                    ),
                )
            )
            return bool(result.rowcount)

    # silences, feedback, audit

    def silences(self) -> list[domain.Silence]:
        with self._read() as s:
            rows = s.exec(select(SilenceRow).order_by(col(SilenceRow.id))).all()
            return [
                domain.Silence(target=r.target, until=_aware(r.until), created_by=r.created_by)
                for r in rows
            ]

    def add_silence(self, silence: domain.Silence) -> None:
        """Mute a target; muting it again replaces the earlier silence."""
        with self._tx() as s:
            s.exec(
                self._insert(SilenceRow)
                .values(
                    target=silence.target,
                    target_key=name_key(silence.target),
                    until=silence.until,
                    created_by=silence.created_by,
                )
                .on_conflict_do_update(
                    index_elements=["target_key"],
                    set_={
                        "target": silence.target,
                        "until": silence.until,
                        "created_by": silence.created_by,
                    },
                )
            )

    def remove_silence(self, target: str) -> bool:
        with self._tx() as s:
            result = s.exec(
                delete(SilenceRow).where(col(SilenceRow.target_key) == name_key(target))
            )
            return bool(result.rowcount)

    def add_feedback(self, feedback: records.FeedbackRecord) -> None:
        with self._tx() as s:
            s.add(
                FeedbackRow(
                    alert_key=feedback.alert_key,
                    **_channel_columns(feedback.channel),
                    user=feedback.user,
                    verdict=feedback.verdict.value,
                    at=feedback.at,
                )
            )

    def feedback(self) -> list[records.FeedbackRecord]:
        with self._tx() as s:
            rows = s.exec(select(FeedbackRow).order_by(col(FeedbackRow.id))).all()
            return [
                records.FeedbackRecord(
                    alert_key=domain.AlertKey(r.alert_key),
                    channel=_channel(r),
                    user=r.user,
                    verdict=records.Verdict(r.verdict),
                    at=_aware(r.at),
                )
                for r in rows
            ]

    def audit(self, event: records.AuditEvent) -> None:
        with self._tx() as s:
            s.add(
                AuditEventRow(
                    actor=event.actor, action=event.action, detail=event.detail, at=event.at
                )
            )

    def audit_events(self) -> list[records.AuditEvent]:
        with self._tx() as s:
            rows = s.exec(select(AuditEventRow).order_by(col(AuditEventRow.id))).all()
            return [
                records.AuditEvent(actor=r.actor, action=r.action, detail=r.detail, at=_aware(r.at))
                for r in rows
            ]

    # alerts and the outbox

    def alert(self, key: domain.AlertKey) -> records.AlertRecord | None:
        with self._read() as s:
            row = s.exec(select(AlertRow).where(AlertRow.key == key)).first()
            return None if row is None else _alert_record(s, row)

    def alert_leads(self, key: domain.AlertKey) -> records.AlertRecord | None:
        with self._read() as s:
            row = s.connection().execute(_ALERT, {"key": key}).first()
            return None if row is None else _alert_record(s, row, leads_only=True)

    def alerts_since(self, since: datetime | None) -> list[records.AlertRecord]:
        """Alerts opened at or after `since` (all when None), in the order they opened."""
        with self._read() as s:
            query = select(AlertRow).order_by(col(AlertRow.id))
            if since is not None:
                query = query.where(col(AlertRow.opened_at) >= since)
            return [_alert_record(s, row) for row in s.exec(query).all()]

    def due_deliveries(self, now: datetime, limit: int) -> list[records.Delivery]:
        """Claim the `pending` deliveries due at `now` for `delivery_lease`: leads first.

        A follow-up or source-list update waits while its lead (same alert and
        channel) is still pending, because it needs the lead's message. Until
        `update_delivery` records the outcome, or the lease runs out (a crashed
        worker), no other caller gets the row; on PostgreSQL concurrent callers
        skip the rows being claimed.
        """
        pending = records.DeliveryStatus.PENDING.value
        lead = aliased(DeliveryRow)
        lead_pending = exists().where(
            col(lead.alert_key) == col(DeliveryRow.alert_key),
            col(lead.platform) == col(DeliveryRow.platform),
            col(lead.channel_id) == col(DeliveryRow.channel_id),
            # Written `is_lead = 1` on SQLite, as its partial index `uq_deliveries_lead` is
            # (migration 0007); `IS 1` walked every delivery of the alert for each
            # follow-up: 1.4 s under the write lock at 5,000 pending.
            col(lead.is_lead),
            col(lead.status) == pending,
        )
        with self._tx() as s:
            query = (
                select(DeliveryRow)
                .where(
                    col(DeliveryRow.status) == pending,
                    or_(
                        col(DeliveryRow.next_attempt_at).is_(None),
                        col(DeliveryRow.next_attempt_at) <= now,
                    ),
                    _free_at(col(DeliveryRow.claimed_until), now),
                    or_(col(DeliveryRow.is_lead).is_(True), ~lead_pending),
                )
                .order_by(
                    col(DeliveryRow.is_lead).desc(),
                    col(DeliveryRow.created_at),
                    col(DeliveryRow.id),
                )
                .limit(limit)
            )
            if self._postgres:
                query = query.with_for_update(skip_locked=True, of=DeliveryRow)
            rows = s.exec(query).all()
            for row in rows:
                row.claimed_until = now + self.delivery_lease
            return [_delivery(r) for r in rows]

    def undelivered(self, limit: int) -> list[records.Delivery]:
        """Pending deliveries, oldest first, without claiming them (for the gauges)."""
        with self._read() as s:
            rows = s.exec(
                select(DeliveryRow)
                .where(col(DeliveryRow.status) == records.DeliveryStatus.PENDING.value)
                .order_by(col(DeliveryRow.created_at), col(DeliveryRow.id))
                .limit(limit)
            ).all()
            return [_delivery(r) for r in rows]

    def update_delivery(self, delivery: records.Delivery) -> None:
        """Record a delivery's outcome (by `key`) and release its claim."""
        with self._tx() as s:
            s.exec(
                update(DeliveryRow)
                .where(col(DeliveryRow.key) == delivery.key)
                .values(
                    status=delivery.status.value,
                    claimed_until=None,
                    **_fields(delivery, _DELIVERY_PROGRESS),
                )
            )

    def coalesce_deliveries(
        self, keys: Sequence[str], now: datetime, *, claimed: Collection[str] = ()
    ) -> list[str]:
        if not keys:
            return []
        with self._tx() as s:
            marked = s.connection().execute(
                update(DeliveryRow)
                .where(
                    col(DeliveryRow.key).in_(list(keys)),
                    col(DeliveryRow.status) == records.DeliveryStatus.PENDING.value,
                    or_(
                        _free_at(col(DeliveryRow.claimed_until), now),
                        col(DeliveryRow.key).in_(list(claimed)),
                    ),
                )
                .values(status=records.DeliveryStatus.COALESCED.value, claimed_until=None)
                .returning(col(DeliveryRow.key))
            )
            return [str(key) for key in marked.scalars()]

    # feeds

    def add_feed(self, url: str, every_minutes: int, channel: str = "") -> records.Feed:
        """Add a feed; the same URL for the same channel again only changes its interval."""
        with self._tx() as s:
            feed_id = s.exec(
                self._insert(FeedRow)
                .values(url=url, channel=channel, every_minutes=every_minutes)
                .on_conflict_do_update(
                    index_elements=["url", "channel"], set_={"every_minutes": every_minutes}
                )
                .returning(col(FeedRow.id))
            ).scalar_one()
            row = s.get_one(FeedRow, feed_id)
            return _feed(row)

    def feeds(self) -> list[records.Feed]:
        with self._tx() as s:
            return [_feed(r) for r in s.exec(select(FeedRow).order_by(col(FeedRow.id))).all()]

    def update_feed(self, feed: records.Feed) -> None:
        with self._tx() as s:
            s.exec(
                update(FeedRow)
                .where(col(FeedRow.id) == feed.id)
                .values(**_fields(feed, _FEED_FIELDS))
            )

    def remove_feed(self, feed_id: int) -> bool:
        with self._tx() as s:
            s.exec(delete(FetchRunRow).where(col(FetchRunRow.feed_id) == feed_id))
            return bool(s.exec(delete(FeedRow).where(col(FeedRow.id) == feed_id)).rowcount)

    # adapter state

    def get_state(self, key: str) -> str | None:
        with self._tx() as s:
            row = s.get(AdapterStateRow, key)
            return None if row is None else row.value

    def set_state(self, key: str, value: str) -> None:
        with self._tx() as s:
            s.exec(
                self._insert(AdapterStateRow)
                .values(key=key, value=value)
                .on_conflict_do_update(index_elements=["key"], set_={"value": value})
            )

    def claim_key(self, key: str, at: datetime) -> bool:
        """Record a key once across every replica; True only for the first caller."""
        with self._tx() as s:
            insert = (
                self._insert(AdapterStateRow)
                .values(key=key, value=records.claim_stamp(at))
                .on_conflict_do_nothing()
                .returning(col(AdapterStateRow.key))
            )
            return _inserted(s, insert)

    def prune_claims(self, prefix: str, before: datetime) -> int:
        """Forget claimed keys with this prefix claimed before `before`; return how many."""
        with self._tx() as s:
            result = s.exec(
                delete(AdapterStateRow).where(
                    col(AdapterStateRow.key).startswith(prefix, autoescape=True),
                    or_(
                        col(AdapterStateRow.value) < records.claim_stamp(before),
                        col(AdapterStateRow.value) == records.LEGACY_CLAIM,
                    ),
                )
            )
            return int(result.rowcount or 0)

    def ping(self) -> None:
        """Raise unless the database answers and commits a write (a full disk fails here)."""
        self.set_state(WRITE_PROBE_KEY, _claimed_at(self.clock.now()))


class _Entry:
    """One caller's report waiting in `_Batches`, and what became of it."""

    __slots__ = ("done", "error", "finished", "lead", "report", "stored")

    def __init__(self, report: domain.Report) -> None:
        self.report = report
        self.done = threading.Event()
        self.lead = False
        self.finished = False
        self.stored = False
        self.error: Exception | None = None


class _Batches:
    """Group commit: reports that threads store at the same time go in one transaction.

    The first caller with nobody writing writes every report waiting then (up to
    `limit`) in one transaction and hands the next batch to the first caller still
    waiting, so no caller writes for others longer than one batch. Alone, a caller
    writes its own report at once, as before.
    """

    def __init__(
        self, write: Callable[[Sequence[domain.Report]], list[bool | Exception]], limit: int = 64
    ) -> None:
        self._write = write
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: list[_Entry] = []
        self._busy = False

    def submit(self, report: domain.Report) -> bool:
        entry = _Entry(report)
        with self._lock:
            self._waiting.append(entry)
            lead = not self._busy
            self._busy = True
        if lead:
            self._write_batch()
        while not entry.finished:
            entry.done.wait()
            entry.done.clear()
            if entry.lead and not entry.finished:
                self._write_batch()
        if entry.error is not None:
            raise entry.error
        return entry.stored

    def _write_batch(self) -> None:
        with self._lock:
            batch = self._waiting[: self._limit]
            del self._waiting[: self._limit]
        try:
            outcomes = self._write([e.report for e in batch])
        except Exception as error:  # the transaction failed: every caller in it hears so
            outcomes = [error] * len(batch)
        with self._lock:
            if self._waiting:
                following = self._waiting[0]
                following.lead = True
                following.done.set()
            else:
                self._busy = False
        for entry, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                entry.error = outcome
            else:
                entry.stored = outcome
            entry.finished = True
            entry.done.set()


def _free_at(claimed_until: Any, now: datetime) -> ColumnElement[bool]:
    """No claim on the row at `now`: never claimed, or its lease has run out."""
    return or_(claimed_until.is_(None), claimed_until <= now)


def _inserted(s: Session, insert: Any) -> bool:
    """Run an INSERT ... ON CONFLICT DO NOTHING RETURNING; whether it added a row.

    RETURNING, not the row count: psycopg reports -1 for these statements.
    """
    return s.exec(insert).first() is not None


# mapping rows to domain values

# Columns that hold the value's field of the same name as it is, written and read by
# name: a field that a value and its row both gain is one more word here.
_REVISION_FIELDS = ("published", "source", "url", "title", "text")
_REPORT_FIELDS = (*_REVISION_FIELDS, "language")
_STATEMENT_FIELDS = (
    "quote",
    "published",
    "speaker",
    "source",
    "url",
    "confidence",
    "sequence",
    "proposition",
)
_DELIVERY_PROGRESS = ("attempts", "next_attempt_at", "message_id", "thread_id", "last_error")
"""What an attempt changes in an outbox row, beside its status."""
_DELIVERY_FIELDS = ("key", "contradiction_key", "is_lead", *_DELIVERY_PROGRESS)
_FEED_FIELDS = (
    "url",
    "channel",
    "every_minutes",
    "etag",
    "last_modified",
    "last_error",
    "last_polled_at",
)


def _fields(source: object, names: Iterable[str]) -> dict[str, Any]:
    """The attributes `names` of a value or a row, by name."""
    return {name: getattr(source, name) for name in names}


def _channel(row: DeliveryRow | FeedbackRow | SubscriptionRow | Row[Any]) -> domain.Channel:
    return domain.Channel(row.platform, domain.ChannelId(row.channel_id))


def _channel_columns(channel: domain.Channel) -> dict[str, Any]:
    return {"platform": channel.platform, "channel_id": channel.id}


def _claimed_at(at: datetime) -> str:
    """A claim's instant as text that sorts in time order (UTC, fixed width)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _aware(value: datetime | None) -> datetime:
    if value is None:
        raise ValueError("a required instant is missing")
    return value


def _report(row: ReportRow) -> domain.Report:
    return domain.Report(id=domain.ReportId(row.report_id), **_fields(row, _REPORT_FIELDS))


def _statement_order() -> tuple[Any, ...]:
    # Storage order, as the memory store keeps it: replay gives the same results on each.
    return (col(StatementRow.id),)


def _statement(row: StatementRow | Row[Any], prefix: str = "") -> domain.Statement:
    """The statement a row holds: an ORM row, or a Core row with every column of the
    statements table (named `prefix` + column where a query joins it twice)."""

    def value(name: str) -> Any:
        return getattr(row, prefix + name)

    return domain.Statement(
        report_id=domain.ReportId(value("report_id")),
        agency=domain.AgencyName(value("agency")),
        topic=domain.TopicName(value("topic")),
        polarity=domain.Polarity(value("polarity")),
        role=domain.StatementRole(value("role")),
        **{name: value(name) for name in _STATEMENT_FIELDS},
    )


def _group_ends(first: StatementRow | Row[Any], last: StatementRow | Row[Any]) -> dict[str, Any]:
    """A group row's columns that name its ends."""
    return {
        "first_statement": first.key,
        "first_published": first.published,
        "first_sequence": first.sequence,
        "first_report_id": first.report_id,
        "first_row": first.id or 0,
        "last_statement": last.key,
        "last_published": last.published,
        "last_sequence": last.sequence,
        "last_report_id": last.report_id,
    }


@dataclass(frozen=True)
class _Prepared:
    """The statements every analysis runs, built once per dialect.

    SQLAlchemy keys its compiled-statement cache by walking a statement's structure on
    each execution; a statement built anew per call pays that walk and the building,
    one reused with bound parameters mostly does not (the alike-groups read: 2x faster).
    """

    statement: Any
    """INSERT a statement unless its key is stored; RETURNING the new rows' keys and ids."""
    group_upsert: Any
    alike_groups: Any
    contradiction: Any
    """INSERT a contradiction unless its key is stored; RETURNING the new row's id."""
    count_one: Any
    """Add one to the counter named `counter` (created at 1); RETURNING the new value."""

    @classmethod
    def for_dialect(cls, postgres: bool) -> _Prepared:
        insert: Callable[[Any], Any] = postgresql.insert if postgres else sqlite.insert
        counters = CounterRow.__table__.c  # type: ignore[attr-defined]
        count_one = (
            insert(CounterRow.__table__)  # type: ignore[attr-defined]
            .values(name=bindparam("counter"), value=1)
            .on_conflict_do_update(index_elements=["name"], set_={"value": counters.value + 1})
            .returning(counters.value)
        )
        contradictions = ContradictionRow.__table__  # type: ignore[attr-defined]
        return cls(
            statement=insert(_STATEMENTS_TABLE)
            .on_conflict_do_nothing()
            .returning(_STATEMENTS.key, _STATEMENTS.id),
            group_upsert=_group_upsert(insert, postgres),
            alike_groups=_alike_groups(postgres),
            contradiction=insert(contradictions)
            .on_conflict_do_nothing()
            .returning(contradictions.c.id),
            count_one=count_one,
        )


_COUNTER = sa_select(CounterRow.__table__.c.value).where(  # type: ignore[attr-defined]
    CounterRow.__table__.c.name == bindparam("counter")  # type: ignore[attr-defined]
)
_MARK_ANALYSED = (
    update(ReportRow.__table__)  # type: ignore[attr-defined]
    .where(ReportRow.__table__.c.report_id == bindparam("report"))  # type: ignore[attr-defined]
    .values(analysed=True, claimed_until=None)
)


def _in_watch_order(table: Any) -> Any:
    """A watchlist table's names, countries and aliases in the order they were added."""
    columns = table.__table__.c
    wanted = [columns.name, columns.aliases] + ([columns.country] if "country" in columns else [])
    return sa_select(*wanted).order_by(columns.position, columns.id)


_AGENCIES = _in_watch_order(AgencyRow)
_TOPICS = _in_watch_order(TopicRow)


def _group_upsert(insert: Callable[[Any], Any], postgres: bool) -> Any:
    """Open a group with one member, or count one more and move its ends: one statement.

    The new member becomes the first when it comes earlier in record order, the last
    when it comes no earlier than the last (as a later insert into a sorted list).
    Every SET expression reads the row as it was, so all compare with the old ends.
    """
    groups = _GROUPS_TABLE
    upsert = insert(groups)
    new, old = upsert.excluded, groups.c

    def order(columns: Any, end: str) -> Any:
        report = columns[f"{end}_report_id"]
        if postgres:
            report = report.collate("C")  # Python's order of strings, as the memory store
        return tuple_(columns[f"{end}_published"], columns[f"{end}_sequence"], report)

    earlier = order(new, "first") < order(old, "first")
    later = order(new, "last") >= order(old, "last")
    moved: dict[str, Any] = {"count": old["count"] + 1}
    for name in ("statement", "published", "sequence", "report_id", "row"):
        column = f"first_{name}"
        moved[column] = case((earlier, new[column]), else_=old[column])
    for name in ("statement", "published", "sequence", "report_id"):
        column = f"last_{name}"
        moved[column] = case((later, new[column]), else_=old[column])
    return upsert.on_conflict_do_update(index_elements=["alike"], set_=moved)


def _alike_groups(postgres: bool) -> Any:
    """The groups of an agency block (`pattern`: its key prefix for LIKE, `low` and
    `high`: the same as a range), each with every column of its two end statements."""
    groups = _GROUPS
    first, last = _STATEMENTS_TABLE.alias("f"), _STATEMENTS_TABLE.alias("l")
    block = [groups.agency_key.like(bindparam("pattern"), escape="/")]
    if not postgres:
        # SQLite uses an index for a range, not for LIKE with an escape character.
        block += [groups.agency_key >= bindparam("low"), groups.agency_key < bindparam("high")]
    return (
        sa_select(
            groups.alike,
            groups.count.label("members"),  # `count` is a method of a row (a tuple)
            groups.wording,
            *(c.label(f"f_{c.name}") for c in first.c),
            *(c.label(f"l_{c.name}") for c in last.c),
        )
        .join_from(_GROUPS_TABLE, first, first.c.key == groups.first_statement)
        .join(last, last.c.key == groups.last_statement)
        .where(*block)
    )


_LEFT_OUT = (
    sa_select(_STATEMENTS.alike, func.count())
    .where(_STATEMENTS.report_id.in_(bindparam("reports", expanding=True)), _STATEMENTS.alike != "")
    .group_by(_STATEMENTS.alike)
)
"""How many members of each group the `reports` hold, found through their ids."""


def _like_escape(text: str) -> str:
    """`text` matched literally by LIKE … ESCAPE '/'."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def rebuild_statement_groups(connection: Connection) -> int:
    """Give every primary statement its wording and alike group, and count the groups anew.

    For rows stored before the groups existed (migration 0006) and rows put in by bulk
    (the benchmarks' synthetic stores); returns how many groups there are.
    """
    table = _STATEMENTS
    groups_table = _GROUPS_TABLE
    missing = (table.role == domain.StatementRole.PRIMARY.value) & (table.alike == "")
    reports = sa_select(table.report_id).where(missing).distinct()
    pending = connection.execute(
        sa_select(
            table.id,
            table.report_id,
            table.agency,
            table.topic,
            table.polarity,
            table.role,
            table.proposition,
            table.quote,
            table.published,
            table.sequence,
        )
        .where(table.report_id.in_(reports))
        .order_by(table.report_id, table.id)
    ).all()
    by_report: dict[str, list[tuple[int, domain.Statement]]] = {}
    for r in pending:
        statement = domain.Statement(
            report_id=domain.ReportId(r.report_id),
            agency=domain.AgencyName(r.agency),
            topic=domain.TopicName(r.topic),
            polarity=domain.Polarity(r.polarity),
            quote=r.quote,
            published=r.published,
            role=domain.StatementRole(r.role),
            sequence=r.sequence,
            proposition=r.proposition,
        )
        by_report.setdefault(r.report_id, []).append((r.id, statement))
    for found in by_report.values():
        wording = statement_wording(st for _, st in found)
        connection.execute(
            _STATEMENTS_TABLE.update()
            .where(table.id == bindparam("row"))
            .values(wording=bindparam("words"), alike=bindparam("group")),
            [
                {
                    "row": row,
                    "words": "\n".join(wording[st.id]),
                    "group": alike_digest(st, wording[st.id])
                    if st.role is domain.StatementRole.PRIMARY
                    else "",
                }
                for row, st in found
            ],
        )
    connection.execute(groups_table.delete())
    report = table.report_id
    if connection.dialect.name == "postgresql":
        report = report.collate("C")  # Python's order of strings, as the memory store
    ordered = connection.execute(
        sa_select(
            table.alike,
            table.agency_key,
            table.wording,
            table.key,
            table.published,
            table.sequence,
            table.report_id,
            table.id,
        )
        .where(table.alike != "")
        .order_by(table.alike, table.published, table.sequence, report, table.id)
    )
    rows: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for end in ordered:
        if current is None or current["alike"] != end.alike:
            if current is not None:
                rows.append(current)
            current = {
                "alike": end.alike,
                "agency_key": end.agency_key,
                "wording": end.wording,
                "count": 0,
                "first_statement": end.key,
                "first_published": end.published,
                "first_sequence": end.sequence,
                "first_report_id": end.report_id,
                "first_row": end.id,
            }
        current["count"] += 1
        current |= {
            "last_statement": end.key,
            "last_published": end.published,
            "last_sequence": end.sequence,
            "last_report_id": end.report_id,
        }
    if current is not None:
        rows.append(current)
    for start in range(0, len(rows), 5_000):
        connection.execute(groups_table.insert(), rows[start : start + 5_000])
    return len(rows)


def _with_contradiction_statements(
    statements: Sequence[domain.Statement], contradictions: Sequence[domain.Contradiction]
) -> list[domain.Statement]:
    """The statements plus both sides of each contradiction, each once, in order."""
    seen: dict[str, domain.Statement] = {}
    for st in (*statements, *(x for c in contradictions for x in (c.earlier, c.new))):
        seen.setdefault(st.id, st)
    return list(seen.values())


def _contradictions(s: Session, rows: Sequence[ContradictionRow]) -> list[domain.Contradiction]:
    keys = {k for r in rows for k in (r.new_statement, r.earlier_statement)}
    if not keys:
        return []
    statements = {
        r.key: _statement(r)
        for r in s.exec(select(StatementRow).where(col(StatementRow.key).in_(keys))).all()
    }
    return [
        domain.Contradiction(
            new=statements[r.new_statement],
            earlier=statements[r.earlier_statement],
            kind=domain.ContradictionKind(r.kind),
            score=r.score,
            why=r.why,
            others=r.others,
        )
        for r in rows
    ]


def _delivery(row: DeliveryRow | Row[Any]) -> records.Delivery:
    return records.Delivery(
        alert_key=domain.AlertKey(row.alert_key),
        channel=_channel(row),
        update=row.is_update,
        created_at=row.created_at,
        status=records.DeliveryStatus(row.status),
        **_fields(row, _DELIVERY_FIELDS),
    )


def _deliveries_of_alert(*only: Any) -> Any:
    """An alert's outbox rows (`alert`: its key), and `only` those, in the order written."""
    rows = DeliveryRow.__table__  # type: ignore[attr-defined]
    return sa_select(rows).where(rows.c.alert_key == bindparam("alert"), *only).order_by(rows.c.id)


_DELIVERIES = _deliveries_of_alert()
_LEAD_DELIVERIES = _deliveries_of_alert(DeliveryRow.__table__.c.is_lead)  # type: ignore[attr-defined]
"""Routing reads these for every contradiction: `uq_deliveries_lead` keeps them few."""
_ALERT = sa_select(AlertRow.__table__).where(  # type: ignore[attr-defined]
    AlertRow.__table__.c.key == bindparam("key")  # type: ignore[attr-defined]
)


def _alert_record(
    s: Session, row: AlertRow | Row[Any], leads_only: bool = False
) -> records.AlertRecord:
    """An alert with its contradictions and deliveries; `leads_only`, as routing needs
    it: its lead deliveries and no contradictions (however many it gathered)."""
    contradictions = (
        []
        if leads_only
        else s.exec(
            select(ContradictionRow)
            .where(ContradictionRow.alert_key == row.key)
            .order_by(col(ContradictionRow.id))
        ).all()
    )
    query = _LEAD_DELIVERIES if leads_only else _DELIVERIES
    deliveries = s.connection().execute(query, {"alert": row.key}).all()
    return records.AlertRecord(
        alert=domain.Alert(
            key=domain.AlertKey(row.key),
            agency=domain.AgencyName(row.agency),
            topic=domain.TopicName(row.topic),
            contradictions=tuple(_contradictions(s, contradictions)),
        ),
        opened_at=_aware(row.opened_at),
        deliveries=tuple(_delivery(d) for d in deliveries),
    )


def _feed(row: FeedRow) -> records.Feed:
    if row.id is None:
        raise ValueError("feed row without id")
    return records.Feed(id=row.id, **_fields(row, _FEED_FIELDS))


_WatchTable = tuple[type[AgencyRow] | type[TopicRow], list[dict[str, Any]]]
"""A watchlist table with the column values of its entries."""


def _watch_tables(watchlist: domain.Watchlist) -> list[_WatchTable]:
    """The agencies' and the topics' rows, one per name key, agencies first."""
    agencies = _unique_by_name(watchlist.agencies)
    topics = _unique_by_name(watchlist.topics)
    return [
        (
            AgencyRow,
            [{"name": a.name, "country": a.country, "aliases": list(a.aliases)} for a in agencies],
        ),
        (TopicRow, [{"name": t.name, "aliases": list(t.aliases)} for t in topics]),
    ]


def _unique_by_name(items: Iterable[_Named]) -> list[_Named]:
    """Keep the last entry for each name key, as `Watchlist.with_agency` does."""
    by_key: dict[str, _Named] = {}
    for item in items:
        by_key.pop(name_key(item.name), None)
        by_key[name_key(item.name)] = item
    return list(by_key.values())
