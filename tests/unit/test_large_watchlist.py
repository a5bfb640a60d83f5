"""A watchlist of a thousand names reads the same statements as a small one.

The sentences are written for this test in English, Dutch, French and German; the
thousand extra names are invented agencies, products and programmes
(`synthetic_watchlist`) that none of them mentions, by name or by the practice
they describe, so every statement must come out as with the small list. (Each
sentence names its agency: with dozens of German forces watched, "the force" can no
longer be taken for the German Federal Police, and a word of a watched name, such as
"port" of "… Port Authority", is no content word; both are rules, not the index.)
"""

from __future__ import annotations

from datetime import date

import pytest
from test_language_traps import WATCHLIST

from bot.core.domain import Report, ReportId, Statement, Watchlist
from bot.core.extraction import Extractor
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.tools.extraction_bench import synthetic_watchlist

LEXICONS = load_lexicons()
VOCABULARY = load_vocabulary()
EXTRA = synthetic_watchlist(1_000, seed=7, practices=False)
LARGE = Watchlist(WATCHLIST.agencies + EXTRA.agencies, WATCHLIST.topics + EXTRA.topics)
SMALL_EXTRACTOR = Extractor(WATCHLIST, LEXICONS, VOCABULARY)
LARGE_EXTRACTOR = Extractor(LARGE, LEXICONS, VOCABULARY)

REPORTS = {
    "en": (
        "German police deny using spyware",
        "The German Federal Police said on Monday that it had never used Pegasus. "
        "A spokesperson for the German Federal Police added that it does not work with PimEyes. "
        "Scotland Yard confirmed that officers used live facial recognition at two concerts.",
    ),
    "en-retold": (
        "Europol admits drone flights",
        "Despite its earlier denial, Europol has confirmed that it flew drones over the harbour. "
        "The Australian Federal Police rejected claims that it had bought Palantir licences.",
    ),
    "nl": (
        "Belgische politie ontkent gebruik van gezichtsherkenning",
        "De Belgische federale politie ontkent dat ze live gezichtsherkenning heeft gebruikt. "
        "Een woordvoerder van de Bundespolizei bevestigde dat de dienst Pegasus heeft ingezet. "
        "Het Franse ministerie van Binnenlandse Zaken zegt dat er nooit drones zijn ingezet.",
    ),
    "fr": (
        "La police fédérale belge reconnaît l'usage de drones",
        "La police fédérale belge a reconnu avoir utilisé des drones lors de la manifestation. "
        "Le ministère français de l'Intérieur dément avoir eu recours à Palantir. "
        "Le fedpol affirme n'avoir jamais utilisé la reconnaissance faciale en temps réel.",
    ),
    "de": (
        "Bundespolizei bestreitet Einsatz von Pegasus",
        "Die Bundespolizei bestreitet, jemals Pegasus eingesetzt zu haben. "
        "Das französische Innenministerium räumte ein, Drohnen über Paris eingesetzt zu haben. "
        "Die australische Bundespolizei bestätigte, dass sie PimEyes genutzt hat.",
    ),
}


def statements(extractor: Extractor, language: str) -> tuple[Statement, ...]:
    title, text = REPORTS[language]
    report = Report(ReportId(f"large-{language}"), date(2024, 5, 2), title=title, text=text)
    return extractor.extract(report).statements


@pytest.mark.parametrize("language", sorted(REPORTS))
def test_a_thousand_more_watched_names_change_no_statement(language: str) -> None:
    small = statements(SMALL_EXTRACTOR, language)
    assert small, "the sentences must make statements for the comparison to mean anything"
    assert statements(LARGE_EXTRACTOR, language) == small


def test_the_synthetic_watchlist_names_a_thousand_agencies_and_topics_in_four_languages() -> None:
    names = [a.name for a in EXTRA.agencies] + [t.name for t in EXTRA.topics]
    assert len(names) == len(set(names)) == 1_000
    assert len(EXTRA.agencies) == len(EXTRA.topics) == 500
    assert any(a.name.startswith("Politie ") for a in EXTRA.agencies)
    assert any(a.name.startswith("Polizei ") for a in EXTRA.agencies)
    assert any("de " in a.name for a in EXTRA.agencies)
    assert synthetic_watchlist(1_000, seed=7, practices=False) == EXTRA
