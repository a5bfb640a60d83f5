"""Contradictions between reports: kinds, order independence, no self-pairs."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from test_language_traps import AU_POL, DE_POL, EXTRACTOR, HU, LFR, MET, PEGASUS, PIMEYES, RFR

from bot.core.detection import contradictions_among, group_alike, why_line
from bot.core.domain import (
    AgencyName,
    Contradiction,
    ContradictionKind,
    Decision,
    Polarity,
    Reason,
    Report,
    ReportId,
    Statement,
    StatementRole,
    TopicName,
)

DC = ContradictionKind.DENIAL_CONTRADICTED
DDR = ContradictionKind.DENIAL_DISPUTES_RECORD

STREAM = (
    Report(
        ReportId("hu-deny-1"),
        date(2024, 1, 10),
        language="en",
        text="The Hungarian government on Monday denied that it had bought Pegasus.",
    ),
    Report(
        ReportId("hu-deny-2"),
        date(2024, 2, 1),
        language="de",
        text="Die ungarische Regierung bestreitet erneut, Pegasus gekauft zu haben.",
    ),
    Report(
        ReportId("hu-admit"),
        date(2024, 3, 5),
        language="fr",
        text="Le gouvernement hongrois, qui avait auparavant nié tout achat, a reconnu avoir "
        "acheté Pegasus en 2018.",
    ),
    Report(
        ReportId("hu-deny-3"),
        date(2024, 4, 1),
        language="nl",
        text="De Hongaarse regering ontkent opnieuw dat zij Pegasus heeft gekocht.",
    ),
    Report(
        ReportId("de-leak"),
        date(2024, 1, 15),
        language="en",
        text="Leaked records show that the German Federal Police ran thousands of PimEyes "
        "searches.",
    ),
    Report(
        ReportId("de-deny"),
        date(2024, 2, 20),
        language="de",
        text="Die Bundespolizei bestreitet, PimEyes genutzt zu haben.",
    ),
    Report(
        ReportId("au-admit"),
        date(2024, 3, 1),
        language="en",
        text="The Australian Federal Police admitted that officers had used PimEyes.",
    ),
    Report(
        ReportId("au-hedge"),
        date(2024, 3, 10),
        language="fr",
        text="La police fédérale australienne a refusé de commenter l'utilisation de PimEyes.",
    ),
    Report(
        ReportId("met-split"),
        date(2024, 4, 10),
        language="en",
        text="The Metropolitan Police denied using live facial recognition at the march, but "
        "confirmed that it had used retrospective facial recognition afterwards.",
    ),
    Report(
        ReportId("met-admit"),
        date(2024, 5, 1),
        language="nl",
        text="Scotland Yard erkent dat het live gezichtsherkenning heeft ingezet bij de mars.",
    ),
)

EXPECTED = {
    ("hu-admit", "hu-deny-1", DC, HU, PEGASUS),
    ("hu-admit", "hu-deny-2", DC, HU, PEGASUS),
    ("hu-deny-3", "hu-admit", DDR, HU, PEGASUS),
    ("de-deny", "de-leak", DDR, DE_POL, PIMEYES),
    ("met-admit", "met-split", DC, MET, LFR),
}

Pair = tuple[str, str, ContradictionKind, str, str]


def find_contradictions(
    new: list[Statement], stored: list[Statement]
) -> tuple[list[Contradiction], list[Decision]]:
    """Pair new statements with stored ones as the pipeline does: the stored grouped
    alike, those of the new statements' reports left out."""
    groups = group_alike(stored, excluding={s.report_id for s in new})
    return contradictions_among(new, groups)


def replay(reports: list[Report]) -> set[Pair]:
    """Process reports in the given order against one store, as the service does."""
    store: list[Statement] = []
    pairs: set[Pair] = set()
    for sequence, report in enumerate(reports):
        statements = EXTRACTOR.extract(report, sequence).statements
        found, _ = find_contradictions(statements, store)
        store.extend(statements)
        pairs |= {(c.new.report_id, c.earlier.report_id, c.kind, c.agency, c.topic) for c in found}
    return pairs


def by_date(reports: tuple[Report, ...]) -> list[Report]:
    return sorted(reports, key=lambda r: r.published)


def test_stream_in_date_order_gives_the_expected_pairs() -> None:
    assert replay(by_date(STREAM)) == EXPECTED


@pytest.mark.parametrize("seed", range(6))
def test_processing_order_does_not_change_the_pairs(seed: int) -> None:
    shuffled = list(STREAM)
    random.Random(seed).shuffle(shuffled)
    assert replay(shuffled) == replay(by_date(STREAM))


def test_reverse_order_gives_the_same_pairs() -> None:
    assert replay(by_date(STREAM)[::-1]) == EXPECTED


def test_a_report_is_never_paired_with_itself() -> None:
    twice = by_date(STREAM) + by_date(STREAM)
    pairs = replay(twice)
    assert all(new != earlier for new, earlier, *_ in pairs)
    assert pairs == EXPECTED


def test_kind_follows_the_earlier_statement() -> None:
    for new, earlier, kind, *_ in EXPECTED:
        first = next(r for r in STREAM if r.id == earlier)
        later = next(r for r in STREAM if r.id == new)
        assert first.published < later.published
        assert kind is (DC if "deny" in earlier or "split" in earlier else DDR)


def test_retold_denial_and_confirmation_in_one_report_pair_with_no_one() -> None:
    report = next(r for r in STREAM if r.id == "hu-admit")
    statements = EXTRACTOR.extract(report).statements
    roles = {(s.role, s.polarity) for s in statements}
    assert roles == {
        (StatementRole.PRIMARY, Polarity.AFFIRMS),
        (StatementRole.RETOLD, Polarity.DENIES),
    }
    found, _ = find_contradictions(statements, statements)
    assert found == []


def statement(report: str, polarity: Polarity, day: int, **other: Any) -> Statement:
    base = Statement(
        report_id=ReportId(report),
        agency=AgencyName(AU_POL),
        topic=TopicName(PIMEYES),
        polarity=polarity,
        quote=report,
        published=date(2024, 6, day),
    )
    return replace(base, **other)


def test_two_denials_raise_nothing_and_say_why() -> None:
    first = statement("a", Polarity.DENIES, 1)
    found, decisions = find_contradictions([statement("b", Polarity.DENIES, 2)], [first])
    assert found == []
    assert [d.reason for d in decisions] == [Reason.SAME_POLARITY]


def test_affirmation_without_earlier_denial_raises_nothing() -> None:
    found, decisions = find_contradictions([statement("a", Polarity.AFFIRMS, 1)], [])
    assert found == []
    assert [d.reason for d in decisions] == [Reason.NO_EARLIER]


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"agency": AgencyName(DE_POL)}, id="other-agency"),
        pytest.param({"topic": TopicName(RFR)}, id="other-topic"),
        pytest.param({"role": StatementRole.RETOLD}, id="retold-statement"),
        pytest.param({"role": StatementRole.MINOR}, id="minor-statement"),
    ],
)
def test_only_primaries_about_the_same_pair_contradict(other: dict[str, Any]) -> None:
    earlier = statement("a", Polarity.DENIES, 1, **other)
    found, _ = find_contradictions([statement("b", Polarity.AFFIRMS, 2)], [earlier])
    assert found == []


def test_an_older_report_arriving_late_is_still_the_earlier_side() -> None:
    late = statement("old", Polarity.DENIES, 1, sequence=5)
    stored = [statement("new", Polarity.AFFIRMS, 9, sequence=0)]
    (contradiction,), _ = find_contradictions([late], stored)
    assert (contradiction.new.report_id, contradiction.earlier.report_id) == ("new", "old")
    assert contradiction.kind is DC
    assert 0.0 <= contradiction.score <= 1.0


def test_a_new_statement_pairs_with_at_most_the_earliest_latest_and_best_of_its_history() -> None:
    from bot.core.detection import MAX_PAIRED

    history = [statement(f"d{i}", Polarity.DENIES, i + 1) for i in range(12)]
    confirmation = statement("c", Polarity.AFFIRMS, 30)
    found, _ = find_contradictions([confirmation], history)
    assert 2 <= len(found) <= MAX_PAIRED
    earlier = {c.earlier.report_id for c in found}
    assert {"d0", "d11"} <= earlier
    assert all(c.others == len(history) - len(found) for c in found)
    assert f"{len(history) - len(found)} more statement(s)" in why_line(found[0])


@pytest.mark.parametrize(
    ("earlier", "sentence", "headline", "pairs"),
    [
        # The earlier denial matches the later headline, not its long sentence: the
        # report's stance is one, so the pair is found through the headline.
        (
            "zephyr^ #drone",
            "#drone #protest #footage #journalist #lockdown #budget council evening",
            "zephyr^ #drone ~use",
            [("b", "a")],
        ),
        # A headline "Ferrox unlocks phones" shares "phones" with any phone tool: another
        # wording counts only when it shares two concepts or names.
        (
            "kestrel #phone ~use",
            "ferrox^ #device_extraction #phone #investigation #tax_evasion ~use societ",
            "ferrox^ #phone ~use",
            [],
        ),
    ],
    ids=["headline-matches", "one-shared-concept"],
)
def test_a_stance_said_twice_matches_on_its_closest_wording(
    earlier: str, sentence: str, headline: str, pairs: list[tuple[str, str]]
) -> None:
    denial = statement("a", Polarity.DENIES, 1, topic="x", proposition=earlier)
    admission = statement("b", Polarity.AFFIRMS, 2, topic="y", proposition=sentence)
    title = replace(admission, role=StatementRole.MINOR, proposition=headline, quote="title")
    alone, _ = find_contradictions([admission], [denial])
    assert alone == []
    found, _ = find_contradictions([admission, title], [denial])
    assert [(c.new.report_id, c.earlier.report_id) for c in found] == pairs


def test_a_report_naming_one_body_several_ways_contradicts_a_statement_once() -> None:
    denial = statement("a", Polarity.DENIES, 1, agency=AgencyName("BE federal police"))
    ways = [
        statement("b", Polarity.AFFIRMS, 2, agency=AgencyName(name), quote=name)
        for name in ("BE police", "BE federal police")
    ]
    found, _ = find_contradictions(ways, [denial])
    assert [(c.new.report_id, c.earlier.report_id) for c in found] == [("b", "a")]


def test_a_denial_retold_a_thousand_times_is_one_group_with_its_ends() -> None:
    denials = [statement(f"d{n}", Polarity.DENIES, 1, sequence=n) for n in range(1000)]

    (group,) = group_alike(denials, excluding={ReportId("d999")})

    assert (group.earliest, group.latest, group.count) == (denials[0], denials[998], 999)


def test_the_contradiction_counts_the_earlier_statements_it_is_not_paired_with() -> None:
    denials = [statement(f"d{n}", Polarity.DENIES, 1, sequence=n) for n in range(1000)]
    confirmation = statement("c", Polarity.AFFIRMS, 20, sequence=1000)

    found, _ = contradictions_among([confirmation], group_alike(denials))

    assert sorted(c.earlier.report_id for c in found) == ["d0", "d999"]
    assert {c.others for c in found} == {998}
    assert found == find_contradictions([confirmation], denials)[0]
    assert "998 more statement(s) alike on the record" in why_line(found[0])
