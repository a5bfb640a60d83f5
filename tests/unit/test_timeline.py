"""Timeline geometry: date order, stacking of near marks, ISO ticks, one mark a report."""

from __future__ import annotations

from datetime import date

from bot.core.domain import AgencyName, Polarity, ReportId, Statement, StatementRole, TopicName
from bot.core.timeline import TimelineEntry, lay_out_timeline, report_stances

DENIES, AFFIRMS = Polarity.DENIES, Polarity.AFFIRMS


def entry(anchor: str, on: str, polarity: Polarity = DENIES) -> TimelineEntry:
    return TimelineEntry(anchor, date.fromisoformat(on), polarity)


def statement(
    report: str, on: str, polarity: Polarity, role: StatementRole = StatementRole.PRIMARY
) -> Statement:
    return Statement(
        ReportId(report),
        AgencyName("Belgian Federal Police"),
        TopicName("Clearview AI"),
        polarity,
        f"quote of {report}",
        date.fromisoformat(on),
        role=role,
    )


def test_marks_run_left_to_right_in_date_order_whatever_the_input_order() -> None:
    timeline = lay_out_timeline(
        [entry("b", "2021-10-29", AFFIRMS), entry("a", "2020-02-28"), entry("c", "2021-01-01")]
    )
    assert [m.anchor for m in timeline.marks] == ["a", "c", "b"]
    xs = [m.x for m in timeline.marks]
    assert xs == sorted(xs)
    assert xs[0] == timeline.left and xs[-1] == timeline.right
    assert (timeline.denials, timeline.affirmations) == (2, 1)


def test_statements_on_the_same_day_are_stacked_not_drawn_on_top_of_each_other() -> None:
    timeline = lay_out_timeline(
        [entry("a", "2021-01-01"), entry("b", "2021-01-01", AFFIRMS), entry("c", "2022-06-01")]
    )
    a, b, c = timeline.marks
    assert a.x == b.x and a.y != b.y
    assert c.y == a.y
    assert timeline.height > lay_out_timeline([entry("a", "2021-01-01")]).height


def test_a_single_statement_sits_in_the_middle_with_its_date_as_the_tick() -> None:
    timeline = lay_out_timeline([entry("a", "2021-03-04")])
    assert timeline.marks[0].x == (timeline.left + timeline.right) / 2
    assert [t.label for t in timeline.ticks] == ["2021-03-04"]


def test_ticks_are_iso_years_months_or_days_and_never_crowd() -> None:
    years = lay_out_timeline([entry("a", "2001-05-01"), entry("b", "2024-01-01")]).ticks
    assert len(years) <= 8 and all(len(t.label) == 4 for t in years)
    months = lay_out_timeline([entry("a", "2020-02-28"), entry("b", "2021-10-29")]).ticks
    assert months[0].label == "2020-03" and all(len(t.label) == 7 for t in months)
    days = lay_out_timeline([entry("a", "2021-01-01"), entry("b", "2021-01-20")]).ticks
    assert [t.label for t in days] == ["2021-01-01", "2021-01-20"]


def test_an_empty_timeline_has_no_marks() -> None:
    assert lay_out_timeline([]).marks == ()


def test_each_report_counts_once_with_its_own_stance_and_retellings_are_no_mark() -> None:
    stances = report_stances(
        [
            statement("dev-06", "2021-10-29", DENIES, StatementRole.RETOLD),
            statement("dev-06", "2021-10-29", AFFIRMS, StatementRole.MINOR),
            statement("dev-06", "2021-10-29", AFFIRMS, StatementRole.PRIMARY),
            statement("dev-01", "2020-02-28", DENIES),
            statement("old", "2019-01-01", DENIES, StatementRole.RETOLD),
        ]
    )
    assert [(s.report_id, s.polarity, s.role) for s in stances] == [
        ("dev-01", DENIES, StatementRole.PRIMARY),
        ("dev-06", AFFIRMS, StatementRole.PRIMARY),
    ]
