"""Analysis time is bounded whatever the input: no quadratic splitting, no endless sentence."""

from __future__ import annotations

import time
from datetime import date, timedelta

from bot.app.clock import FixedClock
from bot.app.pipeline import MAX_ATTEMPTS, Pipeline
from bot.core.domain import Report, ReportId
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.core.mentions import compound_parts
from storage.memory_store import MemoryStore
from tests.unit.test_pipeline import ADMISSION, DENIAL, WATCHLIST

VOCABULARY = load_vocabulary()


def test_compound_splitting_of_a_huge_word_is_instant() -> None:
    started = time.perf_counter()
    assert compound_parts("a" * 200_000, VOCABULARY) == ()
    assert time.perf_counter() - started < 0.5


def test_real_compounds_still_split() -> None:
    assert compound_parts("bundespolizei", VOCABULARY)


def make_pipeline(budget: timedelta = timedelta(seconds=30)) -> tuple[Pipeline, MemoryStore]:
    store = MemoryStore()
    store.save_watchlist(WATCHLIST)
    return Pipeline(store, FixedClock(), load_lexicons(), VOCABULARY, budget=budget), store


def test_a_sentence_of_forty_thousand_words_is_analysed_in_seconds() -> None:
    pipeline, store = make_pipeline()
    store.add_report(Report(ReportId("long"), date(2023, 1, 1), text="the police word " * 40_000))
    started = time.perf_counter()
    pipeline.process_pending()
    assert time.perf_counter() - started < 15


def test_a_report_over_its_budget_is_set_aside_as_too_costly_with_the_reason() -> None:
    pipeline, store = make_pipeline(budget=timedelta(0))
    store.add_report(DENIAL)
    assert pipeline.process_pending() == []
    stored = store.get_report(DENIAL.id)
    assert stored is not None
    assert stored.analysed
    assert stored.skip_reason.startswith("too_costly: analysis took")
    assert stored.statements == ()


class FlakyStore(MemoryStore):
    """Fails the first `failures` commits, as a dropped connection would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def save_analysis(self, write):  # type: ignore[no-untyped-def]  # test double
        if self.failures:
            self.failures -= 1
            raise ConnectionError("server closed the connection unexpectedly")
        return super().save_analysis(write)


def test_a_failed_analysis_gives_its_claim_back_at_once() -> None:
    store = FlakyStore(failures=1)
    store.save_watchlist(WATCHLIST)
    pipeline = Pipeline(store, FixedClock(), load_lexicons(), VOCABULARY)
    store.add_report(DENIAL)
    store.add_report(ADMISSION)
    first = pipeline.process_pending()
    assert [a.report.id for a in first] == ["r2"]
    # No lease to wait out: the next tick analyses the failed report.
    assert [a.report.id for a in pipeline.process_pending()] == ["r1"]


def test_a_report_that_always_fails_is_set_aside_and_does_not_block_the_rest() -> None:
    store = FlakyStore(failures=MAX_ATTEMPTS)
    store.save_watchlist(WATCHLIST)
    pipeline = Pipeline(store, FixedClock(), load_lexicons(), VOCABULARY)
    store.add_report(DENIAL)
    for _ in range(MAX_ATTEMPTS):
        pipeline.process_pending(limit=1)
    stored = store.get_report(DENIAL.id)
    assert stored is not None
    assert stored.skip_reason == "analysis_failed: ConnectionError"


def test_feed_items_and_articles_are_cut_to_the_caps_and_say_which_fields() -> None:
    from bot.inputs.reports import MAX_TEXT_CHARS, MAX_TITLE_CHARS, bounded_report

    huge = Report(ReportId("feed-1"), date(2023, 1, 1), title="T" * 900_000, text="x\x00" * 150_000)
    cut, fields = bounded_report(huge)
    assert fields == ("title",)
    assert len(cut.title) == MAX_TITLE_CHARS
    assert "\x00" not in cut.text and len(cut.text) <= MAX_TEXT_CHARS
    longer = Report(ReportId("feed-2"), date(2023, 1, 1), text="y" * (MAX_TEXT_CHARS + 5))
    assert bounded_report(longer)[1] == ("text",)
    assert bounded_report(DENIAL) == (DENIAL, ())


def test_a_feed_item_dated_in_the_far_future_is_dated_today() -> None:
    from bot.app.ingestion import Ingestion
    from bot.inputs.fetching import SafeFetcher

    clock = FixedClock()
    ingestion = Ingestion(MemoryStore(), SafeFetcher(), clock)
    item = Report(ReportId("f1"), date(9999, 12, 31), text="x")
    assert ingestion._dated(item).published == clock.now().date()
    tomorrow = Report(ReportId("f2"), clock.now().date() + timedelta(days=1), text="x")
    assert ingestion._dated(tomorrow) == tomorrow
