"""The `Store` contract: every implementation (memory, SQLite, PostgreSQL) behaves alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.app.clock import FixedClock
from bot.app.command_service import claim_report, record_claim
from bot.app.pipeline import Pipeline
from bot.app.ports import Backlog, Store
from bot.core.detection import group_alike, why_line
from bot.core.domain import (
    Agency,
    AgencyName,
    Alert,
    AlertKey,
    Channel,
    ChannelId,
    Contradiction,
    Polarity,
    Report,
    ReportId,
    Silence,
    Statement,
    StatementId,
    StatementRole,
    Subscription,
    Topic,
    TopicName,
    Watchlist,
)
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.core.records import (
    AlikeStatements,
    AnalysisWrite,
    AuditEvent,
    DeliveryStatus,
    FeedbackRecord,
    Verdict,
)
from tests.storage.samples import (
    CLEARVIEW,
    CONFIRMATION,
    CONTRADICTION,
    DENIAL,
    KEY,
    MATRIX,
    POLICE,
    SLACK,
    delivery,
    denial_then_confirmation,
    report,
    statement,
)

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def store_both_reports(store: Store) -> None:
    assert store.add_report(report(1, date(2020, 2, 28)))
    assert store.add_report(report(2, date(2021, 10, 27)))


def analyse_both_reports(store: Store) -> None:
    """Store the denial and the confirmation and commit both analyses: one alert, one lead."""
    store_both_reports(store)
    first, second = denial_then_confirmation()
    store.save_analysis(first)
    store.save_analysis(second)


class TestReportRepository:
    """ReportRepository: reports stored once (by id and by URL key), claimed for analysis."""

    def test_a_report_is_stored_once_per_id(self, store: Store) -> None:
        assert store.add_report(report(1)) is True
        assert store.add_report(report(1)) is False
        stored = store.get_report(ReportId("r1"))
        assert stored is not None
        assert stored.report == report(1)
        assert stored.analysed is False
        assert stored.statements == ()

    def test_a_report_is_stored_once_per_url(self, store: Store) -> None:
        assert store.add_report(report(1, url="https://example.org/a"))
        assert not store.add_report(report(2, url="https://example.org/a"))
        assert store.get_report(ReportId("r2")) is None

    def test_the_same_url_with_a_fragment_is_the_same_report(self, store: Store) -> None:
        assert store.add_report(report(1, url="https://example.org/a"))
        assert not store.add_report(report(2, url="https://example.org/a#top"))
        assert store.get_report(ReportId("r2")) is None

    def test_reports_without_url_do_not_collide(self, store: Store) -> None:
        assert store.add_report(report(1))
        assert store.add_report(report(2))

    def test_unknown_report_is_none(self, store: Store) -> None:
        assert store.get_report(ReportId("nope")) is None

    def test_unanalysed_reports_are_claimed_in_arrival_order(self, store: Store) -> None:
        store.add_report(report(1, date(2021, 1, 3)))
        store.add_report(report(2, date(2021, 1, 1)))
        store.add_report(report(3, date(2021, 1, 2)))
        assert [r.id for r in store.claim_unanalysed(2)] == ["r1", "r2"]

    def test_analysed_reports_are_not_claimed_again(self, store: Store) -> None:
        analyse_both_reports(store)
        assert store.claim_unanalysed(10) == []

    def test_the_backlog_counts_reports_awaiting_analysis_claimed_or_not(
        self, store: Store, clock: FixedClock
    ) -> None:
        assert store.backlog() == Backlog(0, None)
        first_stored = clock.now()
        store_both_reports(store)
        clock.advance(timedelta(seconds=5))
        store.add_report(report(3))
        assert store.backlog() == Backlog(3, first_stored)
        assert len(store.claim_unanalysed(1)) == 1
        assert store.backlog().reports == 3  # claimed is not analysed yet
        first, _ = denial_then_confirmation()
        store.save_analysis(first)
        store.skip_report(ReportId("r2"), "too_costly: test")
        assert store.backlog() == Backlog(1, first_stored + timedelta(seconds=5))

    def test_sequence_increases(self, store: Store) -> None:
        numbers = [store.next_sequence() for _ in range(5)]
        assert numbers == sorted(numbers)
        assert len(set(numbers)) == 5


class TestStatementRepository:
    """StatementRepository: statements and contradictions, found by name key."""

    def test_statements_are_read_after_a_row_in_row_order_and_never_renumbered(
        self, store: Store
    ) -> None:
        analyse_both_reports(store)
        first, _ = denial_then_confirmation()
        rows = store.statement_texts_after(0, 10)
        assert [r.id for r in rows] == [DENIAL.id, CONFIRMATION.id]
        assert rows[0].row < rows[1].row
        assert rows[0].quote == DENIAL.quote and rows[0].agency == DENIAL.agency
        assert store.statement_texts_after(rows[0].row, 10) == rows[1:]
        assert store.statement_texts_after(0, 1) == rows[:1]
        assert store.count_statements(rows[0].row) == 1
        assert store.count_statements(rows[1].row) == 2
        # A revision deletes the uncited statements of the report; a new one never
        # takes a row number at or below one already handed out.
        third = replace(report(3), text="First version.")
        store.add_report(third)
        extra = replace(DENIAL, report_id=ReportId("r3"))
        store.save_analysis(replace(first, report_id=ReportId("r3"), statements=(extra,)))
        deleted_row = store.statement_texts_after(rows[1].row, 10)[0].row
        store.add_report(replace(third, text="Second version."))
        assert store.statement_texts_after(rows[1].row, 10) == []
        store.save_analysis(replace(first, report_id=ReportId("r3"), statements=(extra,)))
        (again,) = store.statement_texts_after(rows[1].row, 10)
        assert again.id == extra.id and again.row > deleted_row

    def test_statements_are_read_back_by_id_in_the_order_asked(self, store: Store) -> None:
        analyse_both_reports(store)
        wanted = [CONFIRMATION.id, StatementId("gone"), DENIAL.id]
        assert store.statements_with_ids(wanted) == [CONFIRMATION, DENIAL]
        assert store.statements_with_ids([]) == []

    def test_statements_are_found_by_agency_and_topic_in_any_case(self, store: Store) -> None:
        store_both_reports(store)
        store.save_analysis(denial_then_confirmation()[0])
        found = store.statements_about(AgencyName("federal police"), TopicName("clearview ai"))
        assert found == [DENIAL]

    def test_a_claim_typed_in_lower_case_contradicts_the_extracted_statement(
        self, store: Store
    ) -> None:
        clock = FixedClock()
        pipeline = Pipeline(store, clock, load_lexicons(), load_vocabulary())
        store.add_subscription(Subscription(SLACK, agency=POLICE))
        store_both_reports(store)
        store.save_analysis(denial_then_confirmation()[0])
        claim = claim_report(
            "federal police",
            "clearview ai",
            Polarity.AFFIRMS,
            "The minister confirmed the police used it.",
            date(2021, 10, 27),
            source="desk",
        )
        statement, found = record_claim(
            store, pipeline, claim, "federal police", "clearview ai", Polarity.AFFIRMS
        )
        assert found == 1
        assert (statement.agency, statement.topic) == (POLICE, CLEARVIEW)
        [alert] = store.alerts_since(None)
        assert (alert.alert.agency, alert.alert.topic) == (POLICE, CLEARVIEW)

    def test_saved_analysis_is_read_back(self, store: Store) -> None:
        store_both_reports(store)
        first, second = denial_then_confirmation()
        assert store.save_analysis(first) == []
        assert store.statements_about(POLICE, CLEARVIEW) == [DENIAL]
        assert store.save_analysis(second) == [CONTRADICTION]

        assert store.statements_about(POLICE, CLEARVIEW) == [DENIAL, CONFIRMATION]
        assert store.statements_about(POLICE, TopicName("Pegasus")) == []
        assert store.all_statements() == [DENIAL, CONFIRMATION]
        stored = store.get_report(ReportId("r2"))
        assert stored is not None
        assert stored.analysed
        assert stored.statements == (CONFIRMATION,)
        assert stored.contradictions == (CONTRADICTION,)
        earlier = store.get_report(ReportId("r1"))
        assert earlier is not None
        assert earlier.contradictions == (CONTRADICTION,)

    def test_saving_an_analysis_twice_adds_nothing(self, store: Store) -> None:
        store_both_reports(store)
        first, second = denial_then_confirmation()
        store.save_analysis(first)
        assert store.save_analysis(second) == [CONTRADICTION]
        assert store.save_analysis(second) == []
        assert store.all_statements() == [DENIAL, CONFIRMATION]
        assert len(store.due_deliveries(AT, 10)) == 1

    def test_each_committed_analysis_takes_a_sequence_number(self, store: Store) -> None:
        assert store.last_sequence() == 0
        store_both_reports(store)
        first, second = denial_then_confirmation()
        store.save_analysis(first)
        assert store.last_sequence() == 1
        assert store.next_sequence() == 2
        store.save_analysis(second)
        store.save_analysis(second)  # a second run adds nothing, but it did commit
        assert store.last_sequence() == 4

    def test_two_analyses_that_overlap_still_find_their_contradiction(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Each looks for stored statements before the other has committed: neither sees
        # the other then, so the one committed second must look again after its commit.
        store.save_watchlist(
            Watchlist(agencies=(Agency(POLICE, "BE", ()),), topics=(Topic(CLEARVIEW, ()),))
        )
        store.add_subscription(Subscription(SLACK))
        denial = Report(
            ReportId("deny"),
            date(2020, 2, 28),
            source="Wire",
            text="The Federal Police said it has never used Clearview AI.",
        )
        admission = Report(
            ReportId("admit"),
            date(2021, 10, 27),
            source="Paper",
            text="The minister confirmed that the Federal Police had used Clearview AI.",
        )
        first = Pipeline(store, FixedClock(), load_lexicons(), load_vocabulary())
        second = Pipeline(store, FixedClock(), load_lexicons(), load_vocabulary())
        save = store.save_analysis

        def admission_commits_first(write: AnalysisWrite) -> list[Contradiction]:
            if write.report_id == denial.id and store.get_report(admission.id) is None:
                alone = second.ingest(admission)  # it cannot see the denial yet
                assert alone is not None and alone.statements and not alone.contradictions
            return save(write)

        monkeypatch.setattr(store, "save_analysis", admission_commits_first)
        analysis = first.ingest(denial)

        assert analysis is not None
        assert [{c.earlier.report_id, c.new.report_id} for c in analysis.contradictions] == [
            {denial.id, admission.id}
        ]
        assert len(store.due_deliveries(AT + timedelta(days=3650), 10)) == 1


class TestOutboxRepository:
    """OutboxRepository: alerts and their deliveries, due until settled."""

    def test_outbox_rows_are_due_until_sent(self, store: Store) -> None:
        analyse_both_reports(store)

        (due,) = store.due_deliveries(AT, 10)
        assert due == delivery()
        sent = replace(
            due, status=DeliveryStatus.SENT, attempts=1, message_id="1700.1", thread_id=""
        )
        store.update_delivery(sent)
        assert store.due_deliveries(AT + timedelta(hours=1), 10) == []

    def test_coalescing_marks_pending_rows_but_not_rows_another_caller_claimed(
        self, store: Store
    ) -> None:
        analyse_both_reports(store)
        (due,) = store.due_deliveries(AT, 10)  # claimed for a lease
        assert store.coalesce_deliveries([due.key], AT) == []
        assert store.coalesce_deliveries([due.key, "no-such-row"], AT, claimed={due.key}) == [
            due.key
        ]
        assert store.coalesce_deliveries([due.key], AT, claimed={due.key}) == []  # done once
        assert store.due_deliveries(AT + timedelta(hours=1), 10) == []
        record = store.alert(due.alert_key)
        assert record is not None
        assert [d.status for d in record.deliveries] == [DeliveryStatus.COALESCED]

    def test_a_delivery_retried_later_is_due_again_then(self, store: Store) -> None:
        analyse_both_reports(store)
        (due,) = store.due_deliveries(AT, 10)
        retry_at = AT + timedelta(minutes=5)
        store.update_delivery(
            replace(due, attempts=1, next_attempt_at=retry_at, last_error="ratelimited")
        )
        assert store.due_deliveries(AT + timedelta(minutes=1), 10) == []
        (again,) = store.due_deliveries(retry_at, 10)
        assert again.attempts == 1
        assert again.last_error == "ratelimited"
        assert again.next_attempt_at == retry_at

    def test_opened_alert_holds_its_contradictions_and_deliveries(self, store: Store) -> None:
        store_both_reports(store)
        first, second = denial_then_confirmation()
        alert = Alert(key=KEY, agency=POLICE, topic=CLEARVIEW, contradictions=(CONTRADICTION,))
        store.save_analysis(first)
        store.save_analysis(replace(second, alerts=(alert,), at=AT))

        record = store.alert(KEY)
        assert record is not None
        assert record.alert == alert
        assert [d.channel for d in record.deliveries if d.is_lead] == [SLACK]
        assert store.alert(AlertKey("nobody|nothing")) is None
        assert [r.alert.key for r in store.alerts_since(None)] == [KEY]
        assert [r.alert.key for r in store.alerts_since(AT - timedelta(days=1))] == [KEY]
        assert store.alerts_since(AT + timedelta(days=1)) == []

    def test_alert_leads_read_the_opening_and_the_leads_only(self, store: Store) -> None:
        store_both_reports(store)
        first, second = denial_then_confirmation()
        alert = Alert(key=KEY, agency=POLICE, topic=CLEARVIEW, contradictions=(CONTRADICTION,))
        store.save_analysis(first)
        store.save_analysis(replace(second, alerts=(alert,), at=AT))

        full, leads = store.alert(KEY), store.alert_leads(KEY)
        assert full is not None and leads is not None
        assert leads.opened_at == full.opened_at
        assert leads.alert.contradictions == ()
        assert (leads.alert.key, leads.alert.agency, leads.alert.topic) == (KEY, POLICE, CLEARVIEW)
        assert leads.deliveries == tuple(d for d in full.deliveries if d.is_lead)
        assert store.alert_leads(AlertKey("nobody|nothing")) is None


class TestWatchRepository:
    """WatchRepository: the watchlist and each channel's subscriptions."""

    def test_watchlist_round_trips(self, store: Store) -> None:
        assert store.watchlist() == Watchlist()
        watchlist = Watchlist(
            agencies=(
                Agency(AgencyName("Federal Police"), "BE", ("federale politie", "police fédérale")),
                Agency(AgencyName("Politie"), "NL", ()),
            ),
            topics=(Topic(TopicName("Clearview AI"), ("Clearview",)),),
        )
        store.save_watchlist(watchlist)
        assert store.watchlist() == watchlist
        smaller = watchlist.without("Politie")
        store.save_watchlist(smaller)
        assert store.watchlist() == smaller

    def test_subscriptions_are_added_once_and_removed_by_name(self, store: Store) -> None:
        police = Subscription(channel=SLACK, agency="Federal Police")
        clearview = Subscription(channel=SLACK, topic="Clearview AI")
        store.add_subscription(police)
        store.add_subscription(police)
        store.add_subscription(clearview)
        store.add_subscription(Subscription(channel=MATRIX, agency="Federal Police"))
        assert store.subscriptions().count(police) == 1
        assert len(store.subscriptions()) == 3

        assert store.remove_subscription(SLACK, "federal police")
        assert not store.remove_subscription(SLACK, "federal police")
        assert store.remove_subscription(Channel("slack", ChannelId("C123")), "Clearview AI")
        assert store.subscriptions() == [Subscription(channel=MATRIX, agency="Federal Police")]


class TestSilenceRepository:
    """SilenceRepository: mutes."""

    def test_silences_are_added_and_removed(self, store: Store) -> None:
        silence = Silence(target="Federal Police", until=AT + timedelta(days=7), created_by="U1")
        store.add_silence(silence)
        assert store.silences() == [silence]
        assert store.remove_silence("Federal Police")
        assert not store.remove_silence("Federal Police")
        assert store.silences() == []


class TestAuditRepository:
    """AuditRepository: editors' feedback and the audit log."""

    def test_feedback_and_audit_events_are_kept_in_order(self, store: Store) -> None:
        one = FeedbackRecord(
            alert_key=KEY, channel=SLACK, user="U1", verdict=Verdict.CONFIRMED, at=AT
        )
        two = replace(one, user="U2", verdict=Verdict.FALSE_ALARM, at=AT + timedelta(minutes=1))
        store.add_feedback(one)
        store.add_feedback(two)
        assert store.feedback() == [one, two]

        first = AuditEvent(actor="U1", action="watch", detail="agency Federal Police", at=AT)
        second = AuditEvent(actor="U2", action="mute", detail="Clearview AI", at=AT)
        store.audit(first)
        store.audit(second)
        assert store.audit_events() == [first, second]


class TestFeedRepository:
    """FeedRepository: the feeds the service polls."""

    def test_feeds_are_added_updated_and_removed(self, store: Store) -> None:
        feed = store.add_feed("https://example.org/rss", 15, channel="slack:C123")
        assert feed.url == "https://example.org/rss"
        assert feed.every_minutes == 15
        assert feed.channel == "slack:C123"
        other = store.add_feed("https://example.org/other", 60)
        assert other.id != feed.id
        polled = replace(
            feed,
            etag='"abc"',
            last_modified="Mon, 01 Mar 2026 12:00:00 GMT",
            last_polled_at=AT,
            last_error="",
        )
        store.update_feed(polled)
        assert store.feeds() == [polled, other]
        assert store.remove_feed(feed.id)
        assert not store.remove_feed(feed.id)
        assert store.feeds() == [other]


class TestKeyValueStore:
    """KeyValueStore: adapter state and keys claimed once."""

    def test_adapter_state_is_overwritten(self, store: Store) -> None:
        assert store.get_state("matrix.next_batch") is None
        store.set_state("matrix.next_batch", "s1")
        store.set_state("matrix.next_batch", "s2")
        assert store.get_state("matrix.next_batch") == "s2"

    def test_a_key_is_claimed_once(self, store: Store) -> None:
        assert store.claim_key("slack-inbound:Ev01", AT)
        assert not store.claim_key("slack-inbound:Ev01", AT)
        assert store.claim_key("slack-inbound:Ev02", AT)

    def test_old_claims_are_pruned_by_prefix_and_age(self, store: Store) -> None:
        store.claim_key("slack-inbound:old", AT - timedelta(days=2))
        store.claim_key("slack-inbound:new", AT)
        store.claim_key("other:old", AT - timedelta(days=2))
        store.set_state("matrix.next_batch", "s1")

        assert store.prune_claims("slack-inbound:", AT - timedelta(days=1)) == 1

        assert store.claim_key("slack-inbound:old", AT)
        assert not store.claim_key("slack-inbound:new", AT)
        assert not store.claim_key("other:old", AT)
        assert store.get_state("matrix.next_batch") == "s1"


class TestStore:
    """Store: the database as a whole."""

    def test_ping_answers(self, store: Store) -> None:
        store.ping()


def retold_denials(store: Store, count: int) -> list[Statement]:
    """The denial re-sent `count` times under new ids, each report analysed and stored."""
    denials = []
    for n in range(1, count + 1):
        denial = statement(f"d{n}", Polarity.DENIES, date(2020, 1, 1) + timedelta(days=n))
        denial = replace(denial, sequence=n, proposition="use^ clearview^ ai")
        store.save_analysis(AnalysisWrite(report_id=denial.report_id, statements=(denial,)))
        denials.append(denial)
    return denials


class TestAlikeStatements:
    """StatementRepository.alike_statements: a row per group of alike statements."""

    def test_a_denial_retold_many_times_comes_back_as_its_ends_and_count(
        self, store: Store
    ) -> None:
        denials = retold_denials(store, 40)
        other = statement("x", Polarity.AFFIRMS, date(2019, 5, 1), agency="Federal Police Ghent")
        store.save_analysis(AnalysisWrite(report_id=other.report_id, statements=(other,)))
        elsewhere = statement("y", Polarity.DENIES, date(2019, 5, 1), agency="Customs")
        store.save_analysis(AnalysisWrite(report_id=elsewhere.report_id, statements=(elsewhere,)))

        groups = store.alike_statements(POLICE)

        # The block is a key prefix ("federal police …"); groups come by their earliest.
        assert groups == [
            AlikeStatements(other, other, 1, ()),
            AlikeStatements(denials[0], denials[-1], 40, ("use^ clearview^ ai",)),
        ]

    def test_left_out_reports_are_not_counted_and_their_neighbours_become_the_ends(
        self, store: Store
    ) -> None:
        denials = retold_denials(store, 10)
        left_out = {denials[0].report_id, denials[4].report_id, denials[-1].report_id}

        (group,) = store.alike_statements(POLICE, left_out)

        assert (group.earliest, group.latest, group.count) == (denials[1], denials[-2], 7)
        all_of_them = {d.report_id for d in denials}
        assert store.alike_statements(POLICE, all_of_them) == []

    def test_ends_follow_record_order_whatever_order_statements_are_stored_in(
        self, store: Store
    ) -> None:
        # Record order: date, then sequence, then report id by code point ("Z" < "a" < "é",
        # which a database's locale collation would order otherwise).
        day = date(2020, 6, 1)
        arrivals = [
            ("m", day, 5),
            ("late", day + timedelta(days=9), 1),
            ("é", day - timedelta(days=3), 2),
            ("a", day - timedelta(days=3), 2),
            ("Z", day - timedelta(days=3), 2),
            ("later-seq", day - timedelta(days=3), 3),
            ("last-tie", day + timedelta(days=9), 1),
        ]
        for report_id, published, sequence in arrivals:
            denial = replace(
                statement(report_id, Polarity.DENIES, published, sequence=sequence),
                proposition="use^ clearview^ ai",
            )
            store.save_analysis(AnalysisWrite(report_id=denial.report_id, statements=(denial,)))

            (group,) = store.alike_statements(POLICE)
            (expected,) = group_alike(store.statements_by(POLICE))
            assert group == expected

        assert (group.earliest.report_id, group.latest.report_id) == ("Z", "late")
        assert group.count == len(arrivals)

    def test_statements_alike_but_in_other_wordings_are_other_groups(self, store: Store) -> None:
        (denial,) = retold_denials(store, 1)
        headline = replace(
            statement("h", Polarity.DENIES, date(2020, 3, 1), sequence=50),
            proposition="use^ clearview^ ai",
        )
        minor = replace(headline, role=StatementRole.MINOR, proposition="run^ clearview^ search")
        store.save_analysis(
            AnalysisWrite(report_id=headline.report_id, statements=(headline, minor))
        )

        groups = store.alike_statements(POLICE)

        assert [(g.earliest, g.count, g.wording) for g in groups] == [
            (denial, 1, ("use^ clearview^ ai",)),
            (headline, 1, ("use^ clearview^ ai", "run^ clearview^ search")),
        ]
        assert groups == group_alike(store.statements_by(POLICE))

    def test_a_revised_report_leaves_its_group(self, store: Store) -> None:
        denials = retold_denials(store, 3)
        for n in (1, 2, 3):
            store.add_report(replace(report(n), id=ReportId(f"d{n}")))
        store.add_report(replace(report(3), id=ReportId("d3"), text="Corrected."))

        (group,) = store.alike_statements(POLICE)
        assert (group.earliest, group.latest, group.count) == (denials[0], denials[1], 2)

        store.add_report(replace(report(1), id=ReportId("d1"), text="Corrected."))
        store.add_report(replace(report(2), id=ReportId("d2"), text="Corrected."))
        assert store.alike_statements(POLICE) == []

    def test_a_confirmation_after_many_denials_counts_the_ones_it_is_not_paired_with(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        retold_denials(store, 25)

        def every_statement(agency: AgencyName) -> list[Statement]:
            raise AssertionError("analysis read every statement of the agency")

        monkeypatch.setattr(store, "statements_by", every_statement)
        pipeline = Pipeline(store, FixedClock(), load_lexicons(), load_vocabulary())
        confirmation = replace(
            statement("c", Polarity.AFFIRMS, date(2021, 10, 27), sequence=99),
            proposition="use^ clearview^ ai",
        )

        found, _ = pipeline.detect((confirmation,), watched_only=False)

        assert sorted(c.earlier.report_id for c in found) == ["d1", "d25"]
        assert {c.others for c in found} == {23}
        assert "23 more statement(s) alike on the record" in why_line(found[0])
