"""Agency and topic mentions: same-named agencies, news agencies, local forces, topics."""

from __future__ import annotations

from datetime import date

import pytest
from test_language_traps import (
    AU_POL,
    BE_POL,
    CH_POL,
    DE_POL,
    EXTRACTOR,
    FR_INT,
    LFR,
    MET,
    PIMEYES,
    RFR,
    WATCHLIST,
)

from bot.core.domain import Polarity, Report, ReportId, StatementRole
from bot.core.extraction import Extractor
from bot.core.language.resources import load_vocabulary
from bot.core.mentions import AgencyFinder, TopicFinder, Words

VOCABULARY = load_vocabulary()
AGENCIES = AgencyFinder(WATCHLIST.agencies, VOCABULARY)
TOPICS = TopicFinder(WATCHLIST.topics, VOCABULARY)


def agencies_in(text: str) -> set[str]:
    words = Words.of(text, VOCABULARY)
    countries = frozenset(code for _, code in words.countries)
    return {m.name for m in AGENCIES.find(words, countries)}


def topics_in(text: str) -> set[str]:
    return {m.name for m in TOPICS.find(Words.of(text, VOCABULARY))}


def statements(text: str, extractor: Extractor = EXTRACTOR) -> set[tuple[str, str, Polarity]]:
    """Return the statements of a one-text report by watched agencies, checking roles.

    Agencies the watchlist does not name get statements of their own (open world);
    what matters here is that none of theirs is given to a watched agency.
    """
    report = Report(ReportId("m-1"), date(2024, 3, 1), text=text)
    watched = {a.name for a in WATCHLIST.agencies}
    found = [s for s in extractor.extract(report).statements if s.agency in watched]
    assert all(s.role is StatementRole.PRIMARY for s in found), found
    return {(s.agency, s.topic, s.polarity) for s in found}


AGENCY_CASES = {
    "en-australian-federal-police": ("The Australian Federal Police said so.", {AU_POL}),
    "en-german-federal-police": ("Germany's federal police said so.", {DE_POL}),
    "en-federal-police-in-belgium": ("The federal police in Belgium said so.", {BE_POL}),
    "en-afp-acronym-in-australia": ("In Canberra, the AFP told Australian media so.", {AU_POL}),
    "en-met-alias": ("Scotland Yard said so.", {MET}),
    "en-city-police-is-not-national": ("The Zurich city police said so.", set()),
    "nl-duitse-federale-politie": ("De Duitse federale politie zei dat.", {DE_POL}),
    "nl-australische-federale-politie": ("De Australische federale politie zei dat.", {AU_POL}),
    "nl-belgische-federale-politie": ("De Belgische federale politie zei dat.", {BE_POL}),
    "nl-kantonale-politie": ("De kantonale politie van Zürich zei dat.", set()),
    "fr-police-federale-allemande": ("La police fédérale allemande l'a dit.", {DE_POL}),
    "fr-police-federale-australienne": ("La police fédérale australienne l'a dit.", {AU_POL}),
    "fr-police-federale-belge": ("La police fédérale belge l'a dit.", {BE_POL}),
    "fr-police-cantonale": ("La police cantonale vaudoise l'a dit.", set()),
    "fr-ministere-interieur": ("Le ministère français de l'Intérieur l'a dit.", {FR_INT}),
    "de-bundespolizei": ("Die Bundespolizei sagte das.", {DE_POL}),
    "de-australische-bundespolizei": ("Die australische Bundespolizei sagte das.", {AU_POL}),
    "de-belgische-bundespolizei": ("Die belgische Bundespolizei sagte das.", {BE_POL}),
    "de-kantonspolizei": ("Die Kantonspolizei Zürich sagte das.", set()),
    "de-stadtpolizei": ("Die Stadtpolizei Zürich sagte das.", set()),
    "de-fedpol": ("Das fedpol sagte das.", {CH_POL}),
    "de-innenministerium": ("Das französische Innenministerium sagte das.", {FR_INT}),
}


@pytest.mark.parametrize(("text", "expected"), AGENCY_CASES.values(), ids=AGENCY_CASES)
def test_agency_mentions_keep_same_named_agencies_apart(text: str, expected: set[str]) -> None:
    assert agencies_in(text) == expected


TOPIC_CASES = {
    "en-live": ("officers used live facial recognition", {LFR}),
    "en-real-time-alias": ("officers used real-time facial recognition", {LFR}),
    "en-retrospective": ("officers used retrospective facial recognition", {RFR}),
    "en-generic-system-is-neither": ("officers used a facial recognition system", set()),
    "nl-live": ("agenten gebruikten live gezichtsherkenning", {LFR}),
    "nl-generic": ("agenten gebruikten een systeem voor gezichtsherkenning", set()),
    "fr-temps-reel": ("les agents ont utilisé la reconnaissance faciale en temps réel", {LFR}),
    "fr-generic": ("les agents ont utilisé un système de reconnaissance faciale", set()),
    "de-live": ("Beamte nutzten Live-Gesichtserkennung", {LFR}),
    "de-generic": ("Beamte nutzten ein Gesichtserkennungssystem", set()),
    "en-inflected": ("officers ran PimEyes searches", {PIMEYES}),
}


@pytest.mark.parametrize(("text", "expected"), TOPIC_CASES.values(), ids=TOPIC_CASES)
def test_topic_mentions_do_not_confuse_generic_words(text: str, expected: set[str]) -> None:
    assert topics_in(text) == expected


REPORT_CASES = {
    "en-afp-dateline-is-the-news-agency": (
        "BERLIN (AFP) - The German Federal Police denied that officers used PimEyes.",
        {(DE_POL, PIMEYES, Polarity.DENIES)},
    ),
    "en-afp-byline-alone-is-no-agency": (
        "PARIS (AFP) - Officers in several countries have used PimEyes, a study showed.",
        set(),
    ),
    "en-australian-not-german": (
        "The Australian Federal Police admitted that officers used PimEyes.",
        {(AU_POL, PIMEYES, Polarity.AFFIRMS)},
    ),
    "en-cantonal-police-is-not-fedpol": (
        "Fedpol denied that its staff used PimEyes. The Zurich cantonal police, however, "
        "confirmed that its officers had tested the app.",
        {(CH_POL, PIMEYES, Polarity.DENIES)},
    ),
    "nl-kantonale-politie-is-niet-fedpol": (
        "Fedpol ontkent dat medewerkers PimEyes hebben gebruikt. De kantonale politie van "
        "Zürich bevestigde wel dat agenten de app hebben getest.",
        {(CH_POL, PIMEYES, Polarity.DENIES)},
    ),
    "fr-police-cantonale-n-est-pas-fedpol": (
        "Fedpol dément avoir utilisé PimEyes. La police cantonale vaudoise a en revanche "
        "reconnu avoir testé l'application.",
        {(CH_POL, PIMEYES, Polarity.DENIES)},
    ),
    "de-kantonspolizei-ist-nicht-fedpol": (
        "Fedpol bestreitet, PimEyes genutzt zu haben. Die Kantonspolizei Zürich räumte "
        "dagegen ein, die App getestet zu haben.",
        {(CH_POL, PIMEYES, Polarity.DENIES)},
    ),
    "en-other-country-police-is-not-anaphora": (
        "The German Federal Police denied using PimEyes. Dutch police, by contrast, admitted "
        "that officers had used the app.",
        {(DE_POL, PIMEYES, Polarity.DENIES)},
    ),
    "en-live-denied-retrospective-admitted": (
        "The Metropolitan Police denied using live facial recognition at the march, but "
        "confirmed that it had used retrospective facial recognition afterwards.",
        {(MET, LFR, Polarity.DENIES), (MET, RFR, Polarity.AFFIRMS)},
    ),
}


@pytest.mark.parametrize(("text", "expected"), REPORT_CASES.values(), ids=REPORT_CASES)
def test_statements_are_attributed_to_the_right_agency_and_topic(
    text: str, expected: set[tuple[str, str, Polarity]]
) -> None:
    assert statements(text) == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Die Polizei wollte sich über den Einsatz nicht äußern.", set()),
        ("Uber bestritt den Einsatz der Software.", {"Uber"}),
        ("Le service fedpol a démenti.", {"Swiss Federal Office of Police"}),
    ],
)
def test_a_capitalised_one_word_name_is_not_a_lower_case_word(text: str, found: set[str]) -> None:
    """A watched "Uber" is not the German "über"; a name the watchlist writes in lower
    case ("fedpol") still matches in lower case."""
    from bot.core.domain import Agency, AgencyName

    agencies = (
        Agency(AgencyName("Uber"), "US", ()),
        Agency(AgencyName("Swiss Federal Office of Police"), "CH", ("fedpol",)),
    )
    finder = AgencyFinder(agencies, VOCABULARY)
    assert {m.name for m in finder.find(Words.of(text, VOCABULARY), frozenset())} == found
