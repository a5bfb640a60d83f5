"""Open-world detection: any agency, any practice, matched by meaning in four languages.

Every sentence was written for this test, about invented agencies and events. Each
table row is one report pair (earlier, later) and says whether the later one must
contradict the earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.app.clock import FixedClock
from bot.app.pipeline import Pipeline
from bot.core.domain import (
    Agency,
    AgencyName,
    ContradictionKind,
    Polarity,
    Report,
    ReportId,
    StatementRole,
    Topic,
    TopicName,
    Watchlist,
    watch_mode,
)
from bot.core.extraction import Extractor
from bot.core.language.resources import load_lexicons, load_vocabulary
from storage.memory_store import MemoryStore

HAFEN = "Hafenstadt Police"
ZEE = "Zeestad Police"
BORDER = "Nordland Border Guard"
SIS = "Swiss Federal Intelligence Service"
DRONES = "Drone surveillance of protests"
LOCKDOWN = "Drone surveillance of lockdown compliance"
SHARING = "Sharing passenger data with foreign services"
TAPPING = "Tapping journalists' phones"

WATCHLIST = Watchlist(
    agencies=(
        Agency(AgencyName(HAFEN), "DE", ("Polizei Hafenstadt",)),
        Agency(AgencyName(ZEE), "NL", ("Politie Zeestad",)),
        Agency(AgencyName(BORDER), "NO", ()),
        Agency(AgencyName(SIS), "CH", ("Nachrichtendienst des Bundes",)),
    ),
    topics=(
        Topic(TopicName(DRONES)),
        Topic(TopicName(LOCKDOWN)),
        Topic(TopicName(SHARING)),
        Topic(TopicName(TAPPING)),
    ),
)


@dataclass(frozen=True)
class Pair:
    earlier: str
    later: str
    alert: bool
    language: str = ""


def _report(rid: str, day: int, text: str) -> Report:
    title, _, body = text.partition(" || ")
    return Report(ReportId(rid), date(2024, 1, day), source="Wire", title=title, text=body)


def _replay(pair: Pair, watchlist: Watchlist) -> list[tuple[str, str, ContradictionKind]]:
    store = MemoryStore()
    store.save_watchlist(watchlist)
    pipeline = Pipeline(store, FixedClock(), load_lexicons(), load_vocabulary())
    found = []
    for report in (_report("a", 1, pair.earlier), _report("b", 2, pair.later)):
        if store.add_report(report):
            analysis = pipeline.analyse(report)
            found += [
                (c.new.report_id, c.earlier.report_id, c.kind) for c in analysis.contradictions
            ]
    return found


# Practices in prose, matched across languages: the denial and the admission are
# written in different words, and often in different languages.
PROSE = {
    "en-de-drone-over-march": Pair(
        "Hafenstadt police deny drone flights || The Hafenstadt police have denied that "
        "a drone was flown over Saturday's protest march.",
        "Polizei räumt Drohnen ein || Die Polizei Hafenstadt hat eingeräumt, dass sie die "
        "Demonstration am Samstag mit einer Drohne gefilmt hat.",
        True,
    ),
    "nl-fr-drone-over-betoging": Pair(
        "Politie ontkent drone || De politie van Zeestad ontkent dat zij een drone boven de "
        "betoging heeft ingezet.",
        "Zeestad : la police reconnaît || La police de Zeestad a reconnu que des drones ont "
        "survolé la manifestation.",
        True,
    ),
    "en-nl-passenger-data": Pair(
        "Border guard denies sharing data || The Nordland Border Guard denied that it had "
        "passed passenger lists to foreign intelligence services.",
        "Grenswacht gaf gegevens door || De Noordlandse grenswacht heeft passagiersgegevens "
        "doorgegeven aan buitenlandse inlichtingendiensten, bevestigde de dienst.",
        True,
    ),
    "en-fr-government-speaks-for-its-service": Pair(
        "Switzerland denies tapping || The Swiss government denied that its intelligence "
        "service had tapped the phones of journalists.",
        "Écoutes en Suisse || Le Service de renseignement de la Confédération a admis avoir "
        "mis sur écoute les téléphones de journalistes.",
        True,
    ),
    "en-nl-negated-practice-then-first-admission": Pair(
        "Zeestad police not tapping phones || The Zeestad police is still not tapping the "
        "phones of journalists, the force said on Monday.",
        "Politie Zeestad tapt toch || Voor het eerst heeft de politie van Zeestad bevestigd "
        "dat zij telefoons van journalisten aftapt.",
        True,
    ),
    "fr-de-negated-practice-without-a-verb-of-use": Pair(
        "Zeestad : pas d'écoutes || La police de Zeestad n'a mis aucun journaliste sur "
        "écoute, assure un porte-parole.",
        "Zeestad hörte doch ab || Die Polizei Zeestad hat eingeräumt, Telefone von "
        "Journalisten abgehört zu haben.",
        True,
    ),
}

# A phrase names a practice and its words still name theirs: "bulk interception" is
# bulk collection and interception, "op afstand … geblokkeerd" a kill switch done remotely.
PHRASED = {
    "en-nl-bulk-interception": Pair(
        "Zeestad police deny bulk interception || The Zeestad police denied any bulk "
        "interception of telephone traffic.",
        "Politie Zeestad onderschept toch || De politie van Zeestad heeft bevestigd dat zij "
        "telefoonverkeer onderschept.",
        True,
    ),
    "en-de-a-name-german-does-not-show": Pair(
        "Zeestad police deny Korvin || The Zeestad police denied that it had ever used Korvin.",
        "Rechnungen belegen Korvin-Lizenzen || Die Polizei Zeestad hat Lizenzen der "
        "Software Korvin gekauft, wie Rechnungen zeigen.",
        True,
    ),
    "nl-fr-remote-blocking": Pair(
        "Politie Zeestad ontkent blokkade || De politie van Zeestad ontkent dat zij op "
        "afstand de toegang tot computers heeft geblokkeerd.",
        "Zeestad : accès coupé || La police de Zeestad a reconnu avoir bloqué à distance "
        "l'accès aux ordinateurs.",
        True,
    ),
}

# A different practice of the same agency, or the same practice of a different agency
# of the same country: no alert, in all four languages.
APART = {
    "en-other-practice": Pair(
        "Hafenstadt police deny drone flights || The Hafenstadt police denied flying drones "
        "over the protest march.",
        "Hafenstadt police admit social media checks || The Hafenstadt police admitted that "
        "officers monitored the social media accounts of climate activists.",
        False,
    ),
    "nl-other-practice": Pair(
        "Politie Zeestad ontkent drones || De politie van Zeestad ontkent drones boven de "
        "betoging te hebben ingezet.",
        "Politie Zeestad gebruikte drones in lockdown || De politie van Zeestad heeft "
        "toegegeven dat zij tijdens de lockdown met drones parken controleerde.",
        False,
    ),
    "fr-other-agency-same-country": Pair(
        "Zeestad : démenti || La police de Zeestad a démenti avoir utilisé des drones au-dessus "
        "de la manifestation.",
        "Pays-Bas : la maréchaussée reconnaît || La maréchaussée royale néerlandaise a "
        "reconnu avoir filmé la manifestation avec un drone.",
        False,
    ),
    "de-other-agency-same-country": Pair(
        "Polizei Hafenstadt dementiert || Die Polizei Hafenstadt hat bestritten, Drohnen über "
        "der Demonstration eingesetzt zu haben.",
        "Bundespolizei räumt Drohnen ein || Die deutsche Bundespolizei hat eingeräumt, die "
        "Demonstration mit Drohnen gefilmt zu haben.",
        False,
    ),
}

LONG_ADMISSION = (
    "Drone files || The city council met on Tuesday evening to discuss the budget for the "
    "coming year. Several councillors asked about the cost of the new tram line. A local "
    "business association complained about road works in the old town. Environmental "
    "groups called for more trees along the river. The mayor said the city would publish "
    "its transport plan in the spring. Residents of the northern district asked for better "
    "street lighting. A civil rights group said it had filed a complaint about police "
    "conduct during the climate march, accusing officers of filming the crowd. The group's "
    "lawyer said she expected an answer within weeks. Later in the meeting, the Hafenstadt "
    "police acknowledged that officers had flown a drone over the climate march and "
    "recorded the demonstrators. The force said the footage had since been deleted. "
    "Councillors then turned to the question of school buildings. A vote on the budget is "
    "expected next month."
)
LONG = {
    "en-decisive-sentence-deep-inside": Pair(
        "Police deny drone use || The Hafenstadt police said they had never used a drone "
        "over a demonstration.",
        LONG_ADMISSION,
        True,
    ),
}


@pytest.mark.parametrize("pair", list(PROSE.values()), ids=list(PROSE))
def test_practices_in_prose_contradict_across_languages(pair: Pair) -> None:
    assert [(n, e) for n, e, _ in _replay(pair, WATCHLIST)] == [("b", "a")]


@pytest.mark.parametrize("pair", list(APART.values()), ids=list(APART))
def test_other_practice_or_other_agency_raises_nothing(pair: Pair) -> None:
    assert _replay(pair, WATCHLIST) == []


@pytest.mark.parametrize("mode", ["both", "agencies", "topics"])
@pytest.mark.parametrize("pair", list(LONG.values()), ids=list(LONG))
def test_long_article_with_the_decisive_sentence_deep_inside(pair: Pair, mode: str) -> None:
    found = _replay(pair, watch_mode(WATCHLIST, mode))
    assert found == [("b", "a", ContradictionKind.DENIAL_CONTRADICTED)]


@pytest.mark.parametrize("mode", ["agencies", "topics"])
def test_a_reduced_watchlist_still_pairs_a_practice_in_prose(mode: str) -> None:
    pair = PROSE["en-de-drone-over-march"]
    assert [(n, e) for n, e, _ in _replay(pair, watch_mode(WATCHLIST, mode))] == [("b", "a")]


def test_unwatched_agency_gets_one_canonical_name_across_languages() -> None:
    extractor = Extractor(Watchlist(), load_lexicons(), load_vocabulary())
    texts = {
        "en": "Slovenia's police denied that drones filmed the protest.",
        "nl": "De Sloveense politie ontkent dat drones het protest filmden.",
        "fr": "La police slovène a démenti que des drones aient filmé la manifestation.",
        "de": "Die slowenische Polizei bestritt, dass Drohnen den Protest filmten.",
    }
    names = {
        language: {
            s.agency for s in extractor.extract(_report(language, 1, " || " + text)).statements
        }
        for language, text in texts.items()
    }
    assert all(found == {"SI police"} for found in names.values()), names


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "A court found that the Portville police used Stormnet to read the messages."),
        ("nl", "De rechter oordeelde dat de politie van Zeestad Stormnet heeft gebruikt."),
        ("fr", "Le tribunal a constaté que la police de Portville a utilisé Stormnet."),
        ("de", "Das Gericht stellte fest, dass die Polizei Lindholm Stormnet eingesetzt hat."),
    ],
)
def test_a_watched_tool_is_never_the_agency(language: str, text: str) -> None:
    topic = Topic(TopicName("Stormnet message interception"), ("Stormnet",))
    extractor = Extractor(Watchlist(topics=(topic,)), load_lexicons(), load_vocabulary())
    report = Report(ReportId("x"), date(2024, 1, 1), language=language, text=text)
    found = {s.agency for s in extractor.extract(report).statements}
    assert found and all(a.endswith("police") for a in found), found


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "en",
            "The Portville police admitted that it shared the files with the customs office "
            "in Lindholm.",
            "Portville police",
        ),
        (
            "nl",
            "De politie van Zeestad gaf toe dat zij de dossiers met de douane van Lindholm deelde.",
            "Zeestad police",
        ),
        (
            "fr",
            "La police de Portville a reconnu avoir partagé les dossiers avec la douane de "
            "Lindholm.",
            "Portville police",
        ),
    ],
)
def test_the_body_before_the_act_did_it_and_the_one_after_received_it(
    language: str, text: str, expected: str
) -> None:
    assert _agencies(text, language) == {expected}


PEOPLE = [
    ("en", "Councillor Jane Holt confirmed that the Harbourtown police had used drones."),
    (
        "nl",
        "Op een vraag van Kamerlid Wouter Desmet erkende de politie van Zeestad dat zij "
        "drones inzette.",
    ),
    (
        "fr",
        "Interrogée par la députée Claire Morel, la police de Portville a reconnu avoir "
        "utilisé des drones.",
    ),
    (
        "de",
        "Auf Nachfrage des Abgeordneten Jan Vogel räumte die Polizei Lindholm ein, Drohnen "
        "eingesetzt zu haben.",
    ),
]


@pytest.mark.parametrize(("language", "text"), PEOPLE, ids=[p[0] for p in PEOPLE])
def test_a_person_who_asks_or_answers_is_neither_the_agency_nor_the_practice(
    language: str, text: str
) -> None:
    """The MP who asked is no agency, and her name is no part of what was done: two
    reports quoting the same MP about different practices must not match on her."""
    extractor = Extractor(Watchlist(), load_lexicons(), load_vocabulary())
    report = Report(ReportId("x"), date(2024, 1, 1), language=language, text=text)
    (statement,) = extractor.extract(report).statements
    assert statement.agency.endswith("police")
    assert statement.proposition.split()[0] == "#drone", statement.proposition
    assert not any(k.endswith("^") for k in statement.proposition.split())


def test_a_title_naming_its_office_and_the_name_after_it_are_no_part_of_the_practice() -> None:
    text = (
        "Asked whether the Portville police flew drones over the march, Director of "
        "National Security Ellen Price replied that the police had never flown drones there."
    )
    extractor = Extractor(Watchlist(), load_lexicons(), load_vocabulary())
    report = Report(ReportId("x"), date(2024, 1, 1), language="en", text=text)
    keys = {k for s in extractor.extract(report).statements for k in s.proposition.split()}
    assert "#drone" in keys
    assert not keys & {"director^", "ellen^", "price^", "director", "ellen", "price"}, keys


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "The Portville police tapped the phones of activists, the ministry confirmed."),
        (
            "nl",
            "De politie van Zeestad tapte telefoons van activisten af, bevestigt het ministerie.",
        ),
        ("fr", "La police de Portville a mis des militants sur écoute, a confirmé le ministère."),
        (
            "de",
            "Die Polizei Lindholm hat Telefone von Aktivisten abgehört, bestätigte das "
            "Ministerium.",
        ),
    ],
)
def test_a_ministry_that_confirms_speaks_for_the_body_that_acted(language: str, text: str) -> None:
    found = _agencies(text, language)
    assert len(found) == 1 and next(iter(found)).endswith("police"), found


def test_a_compound_names_every_part_of_a_body_it_stands_for() -> None:
    """ "Bundeskriminalamt" is a federal criminal *police* office, as its English name
    says: one canonical name, and the report's bare "police" is that body."""
    texts = {
        "en": "The Austrian Federal Criminal Police Office denied flying drones.",
        "de": "Das österreichische Bundeskriminalamt bestreitet, Drohnen eingesetzt zu haben.",
    }
    found = {language: _agencies(text, language) for language, text in texts.items()}
    assert found["en"] == found["de"] == {"AT criminal federal office police"}
    article = (
        "Die österreichische Polizei bestreitet, Drohnen eingesetzt zu haben. "
        "Das Bundeskriminalamt habe keine Drohnen eingesetzt, sagte ein Sprecher."
    )
    assert _agencies(article, "de") == {"AT criminal federal office police"}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("SI police", "SI national police", True),
        ("AIVD", "Aivd security service", True),
        ("SI police", "HR police", False),
        # authority, service, office, agency: one body where the rest agrees
        ("NL tax authority", "NL tax service", True),
        ("NL tax authority", "NL tax authority customs", True),
        ("NL tax service", "NL customs service", False),
        ("PL service", "PL security service", True),
        ("Mainz police", "Mainz prosecutor", False),
        ("Belgian Federal Police", "belgian  federal police", True),
    ],
)
def test_open_agency_names_denote_one_body_only_when_they_can(a: str, b: str, same: bool) -> None:
    from bot.core.organisations import same_agency

    assert same_agency(a, b) is same
    assert same_agency(b, a) is same


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "The Zeestad police confirmed that it intercepts internet traffic on cables."),
        (
            "nl",
            "De politie van Zeestad bevestigde dat zij internetverkeer van de kabel onderschept.",
        ),
        ("fr", "La police de Zeestad a reconnu intercepter le trafic internet des câbles."),
        ("de", "Die Polizei Zeestad räumte ein, den Internetverkehr an Kabeln abzufangen."),
    ],
)
def test_a_watched_topic_is_known_by_its_description_beside_a_product_alias(
    language: str, text: str
) -> None:
    """The aliases name the programme by its code names; prose that never names them
    still describes the watched practice, as much as if the topic had no alias."""
    topic = "Interception of internet traffic on cables"
    watchlist = Watchlist(
        agencies=WATCHLIST.agencies, topics=(Topic(TopicName(topic), ("Stormnet", "Deep Harbour")),)
    )
    extractor = Extractor(watchlist, load_lexicons(), load_vocabulary())
    report = Report(ReportId("x"), date(2024, 1, 1), language=language, text=text)
    assert {s.topic for s in extractor.extract(report).statements} == {topic}


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "The Zeestad police confirmed it shared the report with two newsrooms."),
        ("nl", "De politie van Zeestad bevestigt dat zij het rapport met twee redacties deelde."),
        ("fr", "La police de Portville a confirmé avoir partagé le rapport avec deux rédactions."),
        (
            "de",
            "Die Polizei Lindholm bestätigte, den Bericht an zwei Redaktionen weitergegeben "
            "zu haben.",
        ),
    ],
)
def test_one_concept_of_a_watched_topic_is_not_the_topic(language: str, text: str) -> None:
    """Sharing a report is not "sharing anonymised assault-injury figures for violence
    prevention": a topic of several kinds of thing needs two of them named."""
    topic = "Sharing anonymised assault-injury figures for violence prevention"
    extractor = Extractor(
        Watchlist(topics=(Topic(TopicName(topic)),)), load_lexicons(), load_vocabulary()
    )
    report = Report(ReportId("x"), date(2024, 1, 1), language=language, text=text)
    assert topic not in {s.topic for s in extractor.extract(report).statements}


def test_a_report_that_says_both_takes_the_stance_it_gives_first() -> None:
    """News comes first: when a report's own statements weigh the same on both
    sides, the one it opens with is its stance."""
    extractor = Extractor(WATCHLIST, load_lexicons(), load_vocabulary())
    text = (
        "The Zeestad police admitted that it flew drones over the protest march. "
        "The Zeestad police denied that it flew drones over the protest march."
    )
    report = Report(ReportId("x"), date(2024, 1, 1), language="en", text=text)
    primaries = [
        s.polarity for s in extractor.extract(report).statements if s.role is StatementRole.PRIMARY
    ]
    assert primaries == [Polarity.AFFIRMS]


def _agencies(text: str, language: str) -> set[str]:
    extractor = Extractor(Watchlist(), load_lexicons(), load_vocabulary())
    report = Report(ReportId("x"), date(2024, 1, 1), language=language, text=text)
    return {s.agency for s in extractor.extract(report).statements}


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # an acronym is the institution the report spells out
        (
            "en",
            "The Harbour City Police Department denied buying the scanner. HCPD officers "
            "later said the HCPD had never used it.",
            {"Harbour city police"},
        ),
        # a company named like another language's function word ("über")
        (
            "nl",
            "Uber ontkent dat het bedrijf de computers op afstand heeft vergrendeld. Dat "
            "zegt een woordvoerder van Uber.",
            {"Uber"},
        ),
        # the town a sentence names as one places the force it speaks of
        (
            "en",
            "Prosecutors in the German city of Lindholm confirmed police had flown drones.",
            {"Lindholm police"},
        ),
        (
            "nl",
            "In de Duitse stad Lindholm heeft de politie drones ingezet, bevestigt zij.",
            {"Lindholm police"},
        ),
        (
            "fr",
            "Dans la ville de Portville, la police a reconnu avoir utilisé des drones.",
            {"Portville police"},
        ),
        (
            "de",
            "In der Stadt Lindholm hat die Polizei Drohnen eingesetzt, bestätigte sie.",
            {"Lindholm police"},
        ),
        # a police headquarters is the police
        (
            "de",
            "Das Polizeipräsidium Lindholm hat bestritten, Drohnen eingesetzt zu haben.",
            {"Lindholm police"},
        ),
        # a police department is a police force, not a ministry
        ("en", "The Portville Police Department denied that it bought the scanner.", None),
        ("fr", "Le département de police de Portville a démenti avoir acheté le scanner.", None),
        # a known city before the name places it: "Tokyo's Metropolitan Police"
        (
            "en",
            "Tokyo's Metropolitan Police Department confirmed that it used drones.",
            {"JP police"},
        ),
        ("nl", "De Londense Metropolitan Police heeft bevestigd dat zij drones gebruikte.", None),
    ],
)
def test_agencies_by_their_everyday_names(language: str, text: str, expected: object) -> None:
    found = _agencies(text, language)
    assert len(found) == 1, found
    assert not any("ministry" in name for name in found), found
    if expected is not None:
        assert found == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("nl", "De federale politie ontkent dat zij drones boven de betoging inzette.", "BE"),
        ("fr", "La police fédérale dément avoir utilisé des drones.", "BE"),
        # written in no watched body's own words: no country, no watched name
        ("en", "The federal police denied that it flew drones over the march.", None),
    ],
)
def test_an_institution_without_a_country_is_the_body_whose_own_name_it_writes(
    language: str, text: str, expected: str | None
) -> None:
    watchlist = Watchlist(
        agencies=(
            Agency(
                AgencyName("Belgian Federal Police"), "BE", ("Federale Politie", "Police fédérale")
            ),
            Agency(AgencyName("German Federal Police"), "DE", ("Bundespolizei",)),
        ),
    )
    extractor = Extractor(watchlist, load_lexicons(), load_vocabulary())
    report = Report(ReportId("x"), date(2024, 1, 1), language=language, text=text)
    found = {s.agency for s in extractor.extract(report).statements}
    watched = {"BE": "Belgian Federal Police"}
    assert found == ({watched[expected]} if expected else {"federal police"})


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("nl", "De Nationale Politie ontkent dat zij drones boven de optocht inzette.", "NL"),
        ("nl", "De federale politie ontkent dat zij drones boven de betoging inzette.", "BE"),
        ("fr", "La gendarmerie nationale dément avoir utilisé des drones.", "FR"),
        ("de", "Die Bundespolizei bestreitet, Drohnen über der Demo eingesetzt zu haben.", "DE"),
        # inflected: the genitive names the body too
        (
            "de",
            "Der Präsident des Bundesnachrichtendienstes bestreitet, Telefone abgehört zu haben.",
            "DE",
        ),
        # a compound ending in a three-letter head after concepts: "Bundes|kriminal|amt"
        ("de", "Das österreichische Bundeskriminalamt bestreitet, Drohnen einzusetzen.", "AT"),
        # a practice after the head is no name: "hat die Polizei Drohnen eingesetzt"
        ("de", "In Lindholm hat die Bundespolizei Drohnen eingesetzt, bestätigte sie.", "DE"),
        # a country the text names beside the body wins over the body's own name
        ("nl", "De Duitse federale politie ontkent dat zij drones inzette.", "DE"),
    ],
)
def test_a_national_body_written_in_its_own_words_is_placed_without_a_watchlist(
    language: str, text: str, expected: str
) -> None:
    found = _agencies(text, language)
    assert len(found) == 1 and next(iter(found)).startswith(f"{expected} "), found


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # a bare headline name and the lead's precise one are one force
        (
            "nl",
            "Politie ontkent gebruik van drones. De Nationale Politie ontkent dat zij drones "
            "boven de optocht heeft ingezet.",
            {"NL national police"},
        ),
        (
            "en",
            "Police deny flying drones. The Dutch National Police denied that it flew drones "
            "over the march, and the Dutch police said no footage was kept.",
            {"NL national police"},
        ),
        # two forces: a bare "police" could be either, so it is left as written
        (
            "en",
            "Police deny flying drones. The Dutch police denied flying drones over the march. "
            "The German police denied flying drones over the rally.",
            {"police", "NL police", "DE police"},
        ),
    ],
)
def test_a_report_names_one_body_by_its_most_precise_name(
    language: str, text: str, expected: set[str]
) -> None:
    assert _agencies(text, language) == expected


@pytest.mark.parametrize("pair", list(PHRASED.values()), ids=list(PHRASED))
def test_a_phrase_and_its_words_both_name_practices(pair: Pair) -> None:
    found = _replay(pair, watch_mode(WATCHLIST, "agencies"))
    assert [(n, e) for n, e, _ in found] == [("b", "a")]


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # a capitalised noun after a comma belongs to the next clause
        (
            "de",
            "Das Innenministerium, Bedenken hin oder her, bestritt den Einsatz von Drohnen.",
            "interior ministry",
        ),
        # ... but an acronym after a comma is the body's own name
        (
            "en",
            "The Nordland Security Service, NSS, is still not intercepting internet traffic.",
            "Nss security service",
        ),
    ],
)
def test_a_comma_parts_a_head_from_the_next_clause(
    language: str, text: str, expected: str | None
) -> None:
    found = _agencies(text, language)
    assert not any("Bedenken" in name for name in found), found
    if expected is not None:
        assert found == {expected}


def test_a_sentence_keeps_the_report_topic_it_fits_about_as_well() -> None:
    """A story about drones in the lockdown: its sentence on camera drones over streets
    spotting gatherings does not become drones over protests for want of "lockdown"."""
    extractor = Extractor(WATCHLIST, load_lexicons(), load_vocabulary())
    text = (
        "The Zeestad police confirmed that officers flew drones over parks to check that "
        "residents respected the lockdown. A court found that the force had flown "
        "camera drones over streets to spot gatherings and film the people there."
    )
    report = Report(ReportId("x"), date(2024, 1, 1), language="en", text=text)
    assert {s.topic for s in extractor.extract(report).statements} == {LOCKDOWN}


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "The Swiss Federal Office of Police denied that it used drones."),
        ("fr", "L'Office fédéral de la police suisse a démenti avoir utilisé des drones."),
        ("nl", "Het Zwitserse Federaal Bureau voor Politie ontkent dat het drones gebruikte."),
    ],
)
def test_a_name_joined_by_a_linking_word_is_one_name(language: str, text: str) -> None:
    """ "Office fédéral de la police": the parts on both sides of "de la" name one body,
    not a bare "Swiss police" that any Swiss force would match."""
    assert _agencies(text, language) == {"CH federal office police"}


@pytest.mark.parametrize(
    ("name", "block"),
    [
        ("SI police", "SI "),
        ("New York city police", "new york "),
        # a name made only of institution words has no qualifier to block by: the
        # store is asked for that name, not for every "national …" body
        ("National Security Agency", "National Security Agency"),
        ("federal police", "federal police"),
    ],
)
def test_the_store_is_asked_for_an_agency_by_its_qualifier_only_when_it_has_one(
    name: str, block: str
) -> None:
    from bot.core.organisations import agency_block

    assert agency_block(name).casefold() == block.casefold()


@pytest.mark.parametrize(
    ("word", "language", "concept"),
    [
        ("bericht", "nl", "messaging"),  # a Dutch message
        ("bericht", "de", None),  # a German report
        ("drohnen", "de", "drone"),
        ("drones", "nl", "drone"),
    ],
)
def test_a_word_names_what_it_means_in_the_text_s_own_language(
    word: str, language: str, concept: str | None
) -> None:
    assert load_vocabulary().practices.concept_of(word, language) == concept
