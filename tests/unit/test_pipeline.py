"""The pipeline end to end on plain data: statements, contradictions, outbox rows."""

from __future__ import annotations

import random
from datetime import date

from bot.app.clock import FixedClock
from bot.app.pipeline import Pipeline
from bot.core.domain import (
    Agency,
    AgencyName,
    Channel,
    ChannelId,
    ContradictionKind,
    Report,
    ReportId,
    Silence,
    Subscription,
    Topic,
    TopicName,
    Watchlist,
)
from bot.core.language.resources import load_lexicons, load_vocabulary
from storage.memory_store import MemoryStore

WATCHLIST = Watchlist(
    agencies=(
        Agency(AgencyName("Danish Security and Intelligence Service"), "DK", ("PET",)),
        Agency(AgencyName("Metropolitan Police"), "GB", ("the Met",)),
    ),
    topics=(
        Topic(TopicName("Predator spyware"), ("Predator",)),
        Topic(TopicName("live facial recognition"), ()),
    ),
)
CHANNEL = Channel("memory", ChannelId("newsroom"))


def report(rid: str, day: str, text: str, source: str = "Wire") -> Report:
    return Report(ReportId(rid), date.fromisoformat(day), source=source, text=text)


DENIAL = report(
    "r1",
    "2023-01-10",
    "The Danish Security and Intelligence Service said it has never used Predator.",
)
ADMISSION = report(
    "r2",
    "2023-05-02",
    "The Danish Security and Intelligence Service admitted on Tuesday that it "
    "had used Predator in two investigations.",
)
COPY = report(
    "r3",
    "2023-05-02",
    "The Danish Security and Intelligence Service has confirmed that it used the "
    "Predator spyware, a spokesperson said.",
    source="Other wire",
)


def pipeline(clock: FixedClock | None = None) -> tuple[Pipeline, MemoryStore]:
    store = MemoryStore()
    store.save_watchlist(WATCHLIST)
    store.add_subscription(Subscription(CHANNEL))
    return Pipeline(store, clock or FixedClock(), load_lexicons(), load_vocabulary()), store


def test_admission_contradicts_earlier_denial_and_writes_one_delivery() -> None:
    pipe, store = pipeline()
    pipe.ingest(DENIAL)
    analysis = pipe.ingest(ADMISSION)
    assert analysis is not None
    [found] = analysis.contradictions
    assert found.kind is ContradictionKind.DENIAL_CONTRADICTED
    assert (found.new.report_id, found.earlier.report_id) == ("r2", "r1")
    assert 0.0 <= found.score <= 1.0
    [delivery] = store.deliveries()
    assert delivery.is_lead and delivery.channel == CHANNEL


def test_same_report_twice_is_stored_and_analysed_once() -> None:
    pipe, store = pipeline()
    assert pipe.ingest(DENIAL) is not None
    assert pipe.ingest(DENIAL) is None
    assert len(store.all_statements()) == 1


def test_result_depends_on_dates_not_on_arrival_order() -> None:
    def pairs(order: list[Report]) -> set[tuple[str, str, str]]:
        pipe, _ = pipeline()
        found: set[tuple[str, str, str]] = set()
        for item in order:
            analysis = pipe.ingest(item)
            assert analysis is not None
            found |= {
                (c.new.report_id, c.earlier.report_id, str(c.kind)) for c in analysis.contradictions
            }
        return found

    expected = pairs([DENIAL, ADMISSION, COPY])
    assert expected == {("r2", "r1", "denial_contradicted"), ("r3", "r1", "denial_contradicted")}
    shuffled = [DENIAL, ADMISSION, COPY]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert pairs(shuffled) == expected


def test_a_copy_of_the_story_updates_the_lead_instead_of_posting_again() -> None:
    pipe, store = pipeline()
    for item in (DENIAL, ADMISSION, COPY):
        pipe.ingest(item)
    deliveries = sorted(store.deliveries(), key=lambda d: d.key)
    assert [d.is_lead for d in deliveries] == [True, False]
    assert deliveries[1].update


def test_two_denials_raise_nothing() -> None:
    pipe, store = pipeline()
    pipe.ingest(DENIAL)
    analysis = pipe.ingest(
        report("r4", "2023-02-01", "PET insisted it did not use Predator at any point.")
    )
    assert analysis is not None and not analysis.contradictions
    assert not store.deliveries()


def test_a_muted_agency_is_stored_but_not_delivered() -> None:
    clock = FixedClock()
    pipe, store = pipeline(clock)
    from datetime import timedelta

    store.add_silence(
        Silence("Danish Security and Intelligence Service", clock.now() + timedelta(days=1))
    )
    pipe.ingest(DENIAL)
    analysis = pipe.ingest(ADMISSION)
    assert analysis is not None and analysis.contradictions
    from bot.core.records import DeliveryStatus

    assert {d.status for d in store.deliveries()} == {DeliveryStatus.SUPPRESSED}
    assert not store.due_deliveries(clock.now(), 10)
    assert any(d.reason == "muted" for d in analysis.decisions)


def test_check_reads_a_text_without_keeping_it() -> None:
    pipe, store = pipeline()
    pipe.ingest(DENIAL)
    analysis = pipe.check(ADMISSION)
    assert [c.earlier.report_id for c in analysis.contradictions] == ["r1"]
    assert store.get_report(ReportId("r2")) is None


class CountingStore(MemoryStore):
    """A memory store that counts reads of the watchlist (each a transaction on SQL)."""

    def __init__(self) -> None:
        super().__init__()
        self.watchlist_reads = 0

    def watchlist(self) -> Watchlist:
        self.watchlist_reads += 1
        return super().watchlist()


def test_an_analysis_reads_the_watchlist_once() -> None:
    store = CountingStore()
    store.save_watchlist(WATCHLIST)
    store.add_subscription(Subscription(CHANNEL))
    pipe = Pipeline(store, FixedClock(), load_lexicons(), load_vocabulary())
    pipe.ingest(DENIAL)
    store.watchlist_reads = 0
    analysis = pipe.ingest(ADMISSION)
    assert analysis is not None and len(analysis.contradictions) == 1
    # Extraction, detection and the look again after the commit share one read.
    assert store.watchlist_reads == 1
    store.watchlist_reads = 0
    checked = pipe.check(report("r9", "2023-06-01", ADMISSION.text))
    assert checked.contradictions and store.watchlist_reads == 1
