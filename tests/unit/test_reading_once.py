"""A text re-sent under a new id is read once, and each report still gets its own
statements (its id, date, source and order)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.core.domain import Report, ReportId, Watchlist
from bot.core.extraction import RECENT_TEXTS, Extractor
from bot.core.language.resources import load_lexicons, load_vocabulary

TEXT = "The Portville police denied that it flew drones over the march."


def _extractor(
    monkeypatch: pytest.MonkeyPatch, remember: int = RECENT_TEXTS
) -> tuple[Extractor, list[str]]:
    extractor = Extractor(Watchlist(), load_lexicons(), load_vocabulary(), remember=remember)
    read: list[str] = []
    real = extractor._read_text

    def counting(title: str, text: str, hint: str | None) -> object:
        read.append(text)
        return real(title, text, hint)

    monkeypatch.setattr(extractor, "_read_text", counting)
    return extractor, read


def test_the_same_text_under_a_new_id_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    extractor, read = _extractor(monkeypatch)
    first = Report(ReportId("a"), date(2024, 1, 1), source="Wire", language="en", text=TEXT)
    second = replace(first, id=ReportId("b"), published=date(2024, 1, 2), source="Paper")

    one = extractor.extract(first, sequence=1).statements
    two = extractor.extract(second, sequence=2).statements

    assert read == [TEXT]
    assert one and len(one) == len(two)
    assert {s.report_id for s in one} == {"a"} and {s.report_id for s in two} == {"b"}
    assert {(s.published, s.source, s.sequence) for s in two} == {(date(2024, 1, 2), "Paper", 2)}
    assert [(s.agency, s.topic, s.polarity) for s in one] == [
        (s.agency, s.topic, s.polarity) for s in two
    ]


def test_another_text_is_read_and_the_oldest_is_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extractor, read = _extractor(monkeypatch)
    texts = [f"{TEXT} Case {n}." for n in range(RECENT_TEXTS + 1)]
    for n, text in enumerate(texts):
        extractor.extract(Report(ReportId(str(n)), date(2024, 1, 1), language="en", text=text))
    extractor.extract(Report(ReportId("again"), date(2024, 1, 1), language="en", text=texts[0]))
    assert read == [*texts, texts[0]]


def test_an_extractor_that_remembers_nothing_reads_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the extraction benchmarks use: they time reading, not remembering."""
    extractor, read = _extractor(monkeypatch, remember=0)
    report = Report(ReportId("a"), date(2024, 1, 1), language="en", text=TEXT)
    extractor.extract(report)
    extractor.extract(replace(report, id=ReportId("b")))
    assert read == [TEXT, TEXT]
