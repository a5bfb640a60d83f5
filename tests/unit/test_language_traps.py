"""The label rules of data/dev/README.md, as a table of traps in four languages.

Every sentence here was written for this test; the agencies and topics are invented
for it too, so that the rules are checked, not the development stream's names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.core.domain import (
    Agency,
    AgencyName,
    Polarity,
    Reason,
    Report,
    ReportId,
    StatementRole,
    Topic,
    TopicName,
    Watchlist,
)
from bot.core.extraction import Extraction, Extractor
from bot.core.language.resources import load_lexicons, load_vocabulary

DK = "Danish Security and Intelligence Service"
DE_POL = "German Federal Police"
AU_POL = "Australian Federal Police"
BE_POL = "Belgian Federal Police"
CH_POL = "Federal Office of Police"
HU = "Hungarian government"
MET = "Metropolitan Police"
FR_INT = "French Interior Ministry"
EUROPOL = "Europol"

PEGASUS = "Pegasus"
LFR = "live facial recognition"
RFR = "retrospective facial recognition"
DRONES = "drones"
PALANTIR = "Palantir"
PIMEYES = "PimEyes"
RETENTION = "data retention"

WATCHLIST = Watchlist(
    agencies=(
        Agency(AgencyName(DK), "DK", ("PET",)),
        Agency(AgencyName(DE_POL), "DE", ("Bundespolizei",)),
        Agency(AgencyName(AU_POL), "AU", ("AFP",)),
        Agency(AgencyName(BE_POL), "BE", ()),
        Agency(AgencyName(CH_POL), "CH", ("fedpol",)),
        Agency(AgencyName(HU), "HU", ()),
        Agency(AgencyName(MET), "GB", ("Met Police", "Scotland Yard")),
        Agency(AgencyName(FR_INT), "FR", ()),
        Agency(AgencyName(EUROPOL), "", ()),
    ),
    topics=(
        Topic(TopicName(PEGASUS), ("Pegasus spyware",)),
        Topic(
            TopicName(LFR),
            (
                "real-time facial recognition",
                "live gezichtsherkenning",
                "reconnaissance faciale en temps réel",
                "Live-Gesichtserkennung",
            ),
        ),
        Topic(TopicName(RFR), ("retrospectieve gezichtsherkenning",)),
        Topic(TopicName(DRONES), ("Drohnen",)),
        Topic(TopicName(PALANTIR), ()),
        Topic(TopicName(PIMEYES), ()),
        Topic(
            TopicName(RETENTION),
            ("Vorratsdatenspeicherung", "bewaarplicht", "conservation des données"),
        ),
    ),
)

EXTRACTOR = Extractor(WATCHLIST, load_lexicons(), load_vocabulary())
WATCHED_AGENCIES = {a.name for a in WATCHLIST.agencies}
WATCHED_TOPICS = {t.name for t in WATCHLIST.topics}

DENIES = Polarity.DENIES
AFFIRMS = Polarity.AFFIRMS


@dataclass(frozen=True)
class Case:
    """One report and what its primary statement about (agency, topic) must be."""

    text: str
    agency: str
    topic: str
    expect: Polarity | None
    language: str | None = None
    title: str = ""
    reason: Reason | None = None
    retold: Polarity | None = None
    """The polarity of a retold earlier statement that the report must also carry."""


def extract(case: Case, language: str | None = "") -> Extraction:
    report = Report(
        id=ReportId("t-1"),
        published=date(2024, 5, 2),
        language=case.language if language == "" else language,
        title=case.title,
        text=case.text,
    )
    return EXTRACTOR.extract(report)


def hedge(text: str, agency: str, topic: str, language: str) -> Case:
    return Case(text, agency, topic, None, language, reason=Reason.HEDGE)


def retold(text: str, agency: str, topic: str, language: str, title: str = "") -> Case:
    return Case(text, agency, topic, AFFIRMS, language, title=title, retold=DENIES)


CASES = {
    # ---------------------------------------------------------------- English
    "en-denied-using": Case(
        "The Danish Security and Intelligence Service on Tuesday denied using Pegasus.",
        DK,
        PEGASUS,
        DENIES,
        "en",
    ),
    "en-said-never-deployed": Case(
        "A spokesperson for the Metropolitan Police said the force had never deployed live "
        "facial recognition at a protest.",
        MET,
        LFR,
        DENIES,
        "en",
    ),
    "en-confirmed-never-used": Case(
        "The French Interior Ministry confirmed on Wednesday that it has never used drones "
        "to watch demonstrations.",
        FR_INT,
        DRONES,
        DENIES,
        "en",
    ),
    "en-did-not-want-to-confirm": hedge(
        "Europol did not want to confirm whether it had bought Palantir licences.",
        EUROPOL,
        PALANTIR,
        "en",
    ),
    "en-cannot-be-ruled-out": hedge(
        "The German Federal Police said it cannot be ruled out that individual officers "
        "tested PimEyes.",
        DE_POL,
        PIMEYES,
        "en",
    ),
    "en-declined-to-comment": hedge(
        "Asked about Pegasus, the Hungarian government declined to comment.",
        HU,
        PEGASUS,
        "en",
    ),
    "en-has-no-knowledge": hedge(
        "The Danish Security and Intelligence Service said it has no knowledge of any use of "
        "Pegasus by its staff.",
        DK,
        PEGASUS,
        "en",
    ),
    "en-opened-investigation": hedge(
        "The Australian Federal Police has opened an investigation into whether officers used "
        "PimEyes.",
        AU_POL,
        PIMEYES,
        "en",
    ),
    "en-not-true-never": Case(
        "It is not true that the Metropolitan Police never used live facial recognition, the "
        "regulator said.",
        MET,
        LFR,
        AFFIRMS,
        "en",
    ),
    "en-admitted": Case(
        "The Hungarian government admitted on Thursday that it had bought Pegasus.",
        HU,
        PEGASUS,
        AFFIRMS,
        "en",
    ),
    "en-confirmed-use": Case(
        "The German Federal Police confirmed that officers used PimEyes during a pilot.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "en",
    ),
    "en-regulator-found": Case(
        "The data protection authority found that the French Interior Ministry had flown drones "
        "over protests without any legal basis.",
        FR_INT,
        DRONES,
        AFFIRMS,
        "en",
    ),
    "en-regulator-fined": Case(
        "The privacy watchdog fined the Australian Federal Police over its use of PimEyes.",
        AU_POL,
        PIMEYES,
        AFFIRMS,
        "en",
    ),
    "en-leaked-records": Case(
        "Leaked invoices show that Europol paid for Palantir licences for three years.",
        EUROPOL,
        PALANTIR,
        AFFIRMS,
        "en",
    ),
    "en-stopped-using": Case(
        "The Metropolitan Police has stopped using live facial recognition at football matches.",
        MET,
        LFR,
        AFFIRMS,
        "en",
    ),
    "en-retold-denial-relative-clause": retold(
        "The Danish Security and Intelligence Service, which had previously denied using "
        "Pegasus, confirmed on Friday that it bought the spyware in 2019.",
        DK,
        PEGASUS,
        "en",
    ),
    "en-retold-denial-own-sentence": retold(
        "The German Federal Police has admitted that officers used PimEyes in 2022. Last year "
        "a spokesperson had denied that the force ever used the app.",
        DE_POL,
        PIMEYES,
        "en",
    ),
    "en-despite-denial": retold(
        "Despite its earlier denial, the Hungarian government did buy Pegasus, the minister "
        "told parliament.",
        HU,
        PEGASUS,
        "en",
    ),
    "en-anaphora-spokesperson-technology": Case(
        "The Metropolitan Police faces questions over live facial recognition. A spokesperson "
        "said the force had never used the technology at protests.",
        MET,
        LFR,
        DENIES,
        "en",
    ),
    "en-anaphora-the-software": Case(
        "Pegasus has been sold to dozens of governments. The Hungarian government admitted on "
        "Thursday that it had bought the software.",
        HU,
        PEGASUS,
        AFFIRMS,
        "en",
    ),
    "en-missing-language": Case(
        "The German Federal Police denied that officers had used PimEyes.",
        DE_POL,
        PIMEYES,
        DENIES,
        None,
    ),
    "en-wrong-language": Case(
        "The Hungarian government admitted that its services had bought Pegasus.",
        HU,
        PEGASUS,
        AFFIRMS,
        "de",
    ),
    # ------------------------------------------------------------------ Dutch
    "nl-ontkent": Case(
        "De Duitse federale politie ontkent dat zij PimEyes heeft gebruikt.",
        DE_POL,
        PIMEYES,
        DENIES,
        "nl",
    ),
    "nl-nooit-gekocht": Case(
        "Een woordvoerder van de Hongaarse regering zei dat Hongarije Pegasus nooit heeft gekocht.",
        HU,
        PEGASUS,
        DENIES,
        "nl",
    ),
    "nl-bevestigt-nooit": Case(
        "Het Franse ministerie van Binnenlandse Zaken bevestigde dat het nooit drones heeft "
        "ingezet bij betogingen.",
        FR_INT,
        DRONES,
        DENIES,
        "nl",
    ),
    "nl-wilde-niet-bevestigen": hedge(
        "Europol wilde niet bevestigen dat het Palantir gebruikt.",
        EUROPOL,
        PALANTIR,
        "nl",
    ),
    "nl-niet-uit-te-sluiten": hedge(
        "Volgens de Duitse federale politie kan niet worden uitgesloten dat agenten PimEyes "
        "hebben getest.",
        DE_POL,
        PIMEYES,
        "nl",
    ),
    "nl-wil-niet-reageren": hedge(
        "De Hongaarse regering wilde niet reageren op vragen over Pegasus.",
        HU,
        PEGASUS,
        "nl",
    ),
    "nl-geen-weet": hedge(
        "De Deense inlichtingendienst PET zegt geen weet te hebben van het gebruik van Pegasus.",
        DK,
        PEGASUS,
        "nl",
    ),
    "nl-onderzoek-ingesteld": hedge(
        "De Australische federale politie heeft een onderzoek ingesteld naar het gebruik van "
        "PimEyes door agenten.",
        AU_POL,
        PIMEYES,
        "nl",
    ),
    "nl-niet-waar-nooit": Case(
        "Het is niet waar dat de Metropolitan Police nooit live gezichtsherkenning heeft "
        "gebruikt, aldus de toezichthouder.",
        MET,
        LFR,
        AFFIRMS,
        "nl",
    ),
    "nl-geeft-toe": Case(
        "De Hongaarse regering geeft toe dat zij Pegasus heeft aangeschaft.",
        HU,
        PEGASUS,
        AFFIRMS,
        "nl",
    ),
    "nl-bevestigt-gebruik": Case(
        "De Duitse federale politie bevestigt dat agenten PimEyes hebben gebruikt tijdens een "
        "proef.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "nl",
    ),
    "nl-toezichthouder-stelt-vast": Case(
        "De Franse privacytoezichthouder stelde vast dat het ministerie van Binnenlandse Zaken "
        "drones heeft ingezet zonder wettelijke basis.",
        FR_INT,
        DRONES,
        AFFIRMS,
        "nl",
    ),
    "nl-gelekte-documenten": Case(
        "Uit gelekte documenten blijkt dat Europol jarenlang Palantir heeft gebruikt.",
        EUROPOL,
        PALANTIR,
        AFFIRMS,
        "nl",
    ),
    "nl-gestopt-met": Case(
        "Scotland Yard is gestopt met het gebruik van live gezichtsherkenning.",
        MET,
        LFR,
        AFFIRMS,
        "nl",
    ),
    "nl-retold-bijzin": retold(
        "De Deense inlichtingendienst PET, die eerder ontkende Pegasus te gebruiken, heeft nu "
        "bevestigd dat zij de spyware in 2019 kocht.",
        DK,
        PEGASUS,
        "nl",
    ),
    "nl-retold-eigen-zin": retold(
        "De Duitse federale politie erkent dat agenten PimEyes hebben gebruikt. Eerder had een "
        "woordvoerder nog ontkend dat het korps de app ooit gebruikte.",
        DE_POL,
        PIMEYES,
        "nl",
    ),
    "nl-anafoor-de-software": Case(
        "Pegasus is aan tientallen regeringen verkocht. De Hongaarse regering erkende donderdag "
        "dat zij de software heeft gekocht.",
        HU,
        PEGASUS,
        AFFIRMS,
        "nl",
    ),
    "nl-anafoor-woordvoerder": Case(
        "De Duitse federale politie ligt onder vuur vanwege PimEyes. Een woordvoerder zei dat "
        "de agenten de app nooit hebben gebruikt.",
        DE_POL,
        PIMEYES,
        DENIES,
        "nl",
    ),
    "nl-zonder-taal": Case(
        "De Hongaarse regering ontkent dat haar diensten Pegasus hebben gekocht.",
        HU,
        PEGASUS,
        DENIES,
        None,
    ),
    "nl-verkeerde-taal": Case(
        "Het Franse ministerie van Binnenlandse Zaken erkent dat het drones heeft ingezet.",
        FR_INT,
        DRONES,
        AFFIRMS,
        "en",
    ),
    # ----------------------------------------------------------------- French
    "fr-dement": Case(
        "La police fédérale allemande dément avoir utilisé PimEyes.",
        DE_POL,
        PIMEYES,
        DENIES,
        "fr",
    ),
    "fr-jamais-achete": Case(
        "Le gouvernement hongrois a assuré qu'il n'avait jamais acheté Pegasus.",
        HU,
        PEGASUS,
        DENIES,
        "fr",
    ),
    "fr-confirme-jamais": Case(
        "Le ministère de l'Intérieur a confirmé qu'il n'a jamais utilisé de drones lors des "
        "manifestations.",
        FR_INT,
        DRONES,
        DENIES,
        "fr",
    ),
    "fr-pas-voulu-confirmer": hedge(
        "Europol n'a pas voulu confirmer l'utilisation de Palantir.",
        EUROPOL,
        PALANTIR,
        "fr",
    ),
    "fr-pas-exclu": hedge(
        "Selon la police fédérale australienne, il n'est pas exclu que des agents aient testé "
        "PimEyes.",
        AU_POL,
        PIMEYES,
        "fr",
    ),
    "fr-refuse-de-commenter": hedge(
        "Le gouvernement hongrois a refusé de commenter les informations sur Pegasus.",
        HU,
        PEGASUS,
        "fr",
    ),
    "fr-pas-connaissance": hedge(
        "Le service danois de renseignement PET affirme ne pas avoir connaissance d'une "
        "utilisation de Pegasus.",
        DK,
        PEGASUS,
        "fr",
    ),
    "fr-ouvert-enquete": hedge(
        "La police fédérale australienne a ouvert une enquête sur l'utilisation de PimEyes par "
        "ses agents.",
        AU_POL,
        PIMEYES,
        "fr",
    ),
    "fr-pas-vrai-jamais": Case(
        "Il n'est pas vrai que la Metropolitan Police n'a jamais utilisé la reconnaissance "
        "faciale en temps réel, a déclaré le régulateur.",
        MET,
        LFR,
        AFFIRMS,
        "fr",
    ),
    "fr-reconnu": Case(
        "Le gouvernement hongrois a reconnu avoir acheté Pegasus.",
        HU,
        PEGASUS,
        AFFIRMS,
        "fr",
    ),
    "fr-confirme-utilisation": Case(
        "La police fédérale allemande a confirmé que des agents avaient utilisé PimEyes.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "fr",
    ),
    "fr-cnil-constate": Case(
        "La CNIL a constaté que le ministère de l'Intérieur avait utilisé des drones sans base "
        "légale.",
        FR_INT,
        DRONES,
        AFFIRMS,
        "fr",
    ),
    "fr-documents-fuite": Case(
        "Des documents ayant fuité montrent qu'Europol a utilisé Palantir pendant des années.",
        EUROPOL,
        PALANTIR,
        AFFIRMS,
        "fr",
    ),
    "fr-cesse": Case(
        "La Metropolitan Police a cessé d'utiliser la reconnaissance faciale en temps réel.",
        MET,
        LFR,
        AFFIRMS,
        "fr",
    ),
    "fr-retold-relative": retold(
        "Le service danois de renseignement PET, qui avait auparavant nié utiliser Pegasus, a "
        "confirmé vendredi avoir acheté le logiciel espion en 2019.",
        DK,
        PEGASUS,
        "fr",
    ),
    "fr-retold-phrase": retold(
        "La police fédérale allemande reconnaît que des agents ont utilisé PimEyes. Un "
        "porte-parole avait auparavant nié toute utilisation de l'application.",
        DE_POL,
        PIMEYES,
        "fr",
    ),
    "fr-anaphore-le-logiciel": Case(
        "Pegasus a été vendu à des dizaines de gouvernements. Le gouvernement hongrois a "
        "reconnu jeudi avoir acheté le logiciel.",
        HU,
        PEGASUS,
        AFFIRMS,
        "fr",
    ),
    "fr-anaphore-porte-parole": Case(
        "La police fédérale allemande est critiquée pour PimEyes. Un porte-parole a déclaré que "
        "les policiers n'avaient jamais utilisé l'application.",
        DE_POL,
        PIMEYES,
        DENIES,
        "fr",
    ),
    "fr-sans-langue": Case(
        "Le gouvernement hongrois dément que ses services aient acheté Pegasus.",
        HU,
        PEGASUS,
        DENIES,
        None,
    ),
    "fr-mauvaise-langue": Case(
        "La police fédérale allemande a reconnu avoir utilisé PimEyes.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "nl",
    ),
    # ----------------------------------------------------------------- German
    "de-bestreitet": Case(
        "Die Bundespolizei bestreitet, PimEyes eingesetzt zu haben.",
        DE_POL,
        PIMEYES,
        DENIES,
        "de",
    ),
    "de-nie-gekauft": Case(
        "Die ungarische Regierung erklärte, sie habe Pegasus nie gekauft.",
        HU,
        PEGASUS,
        DENIES,
        "de",
    ),
    "de-bestaetigt-nie": Case(
        "Das französische Innenministerium bestätigte, dass es nie Drohnen bei Demonstrationen "
        "eingesetzt habe.",
        FR_INT,
        DRONES,
        DENIES,
        "de",
    ),
    "de-wollte-nicht-bestaetigen": hedge(
        "Europol wollte die Nutzung von Palantir nicht bestätigen.",
        EUROPOL,
        PALANTIR,
        "de",
    ),
    "de-nicht-ausgeschlossen": hedge(
        "Nach Angaben der australischen Bundespolizei kann nicht ausgeschlossen werden, dass "
        "Beamte PimEyes getestet haben.",
        AU_POL,
        PIMEYES,
        "de",
    ),
    "de-nicht-aeussern": hedge(
        "Die ungarische Regierung wollte sich zu Pegasus nicht äußern.",
        HU,
        PEGASUS,
        "de",
    ),
    "de-keine-kenntnis": hedge(
        "Der dänische Nachrichtendienst PET hat nach eigenen Angaben keine Kenntnis von einem "
        "Einsatz von Pegasus.",
        DK,
        PEGASUS,
        "de",
    ),
    "de-untersuchung-eingeleitet": hedge(
        "Die australische Bundespolizei hat eine Untersuchung zur Nutzung von PimEyes eingeleitet.",
        AU_POL,
        PIMEYES,
        "de",
    ),
    "de-stimmt-nicht-nie": Case(
        "Es stimmt nicht, dass die Metropolitan Police nie Live-Gesichtserkennung eingesetzt "
        "hat, sagte die Aufsichtsbehörde.",
        MET,
        LFR,
        AFFIRMS,
        "de",
    ),
    "de-raeumt-ein": Case(
        "Die ungarische Regierung räumte ein, Pegasus gekauft zu haben.",
        HU,
        PEGASUS,
        AFFIRMS,
        "de",
    ),
    "de-bestaetigt-nutzung": Case(
        "Die Bundespolizei bestätigte, dass Beamte PimEyes bei einem Test genutzt haben.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "de",
    ),
    "de-behoerde-stellt-fest": Case(
        "Die Datenschutzbehörde stellte fest, dass das französische Innenministerium Drohnen "
        "ohne Rechtsgrundlage eingesetzt hat.",
        FR_INT,
        DRONES,
        AFFIRMS,
        "de",
    ),
    "de-geleakte-rechnungen": Case(
        "Geleakte Rechnungen belegen, dass Europol jahrelang Palantir genutzt hat.",
        EUROPOL,
        PALANTIR,
        AFFIRMS,
        "de",
    ),
    "de-eingestellt": Case(
        "Die Metropolitan Police hat den Einsatz von Live-Gesichtserkennung eingestellt.",
        MET,
        LFR,
        AFFIRMS,
        "de",
    ),
    "de-retold-relativsatz": retold(
        "Der dänische Nachrichtendienst PET, der zuvor bestritten hatte, Pegasus zu nutzen, "
        "bestätigte am Freitag den Kauf der Spähsoftware.",
        DK,
        PEGASUS,
        "de",
    ),
    "de-retold-eigener-satz": retold(
        "Die Bundespolizei räumt ein, dass Beamte PimEyes genutzt haben. Ein Sprecher hatte "
        "zuvor bestritten, dass die App je genutzt wurde.",
        DE_POL,
        PIMEYES,
        "de",
    ),
    "de-anapher-die-software": Case(
        "Pegasus wurde an Dutzende Regierungen verkauft. Die ungarische Regierung räumte am "
        "Donnerstag ein, die Software gekauft zu haben.",
        HU,
        PEGASUS,
        AFFIRMS,
        "de",
    ),
    "de-anapher-sprecher": Case(
        "Die Bundespolizei steht wegen PimEyes in der Kritik. Ein Sprecher sagte, die Beamten "
        "hätten die App nie genutzt.",
        DE_POL,
        PIMEYES,
        DENIES,
        "de",
    ),
    "de-ohne-sprache": Case(
        "Die ungarische Regierung bestreitet, dass ihre Dienste Pegasus gekauft haben.",
        HU,
        PEGASUS,
        DENIES,
        None,
    ),
    "de-falsche-sprache": Case(
        "Die Bundespolizei räumte ein, PimEyes eingesetzt zu haben.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "fr",
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_primary_statement_follows_the_label_rules(case: Case) -> None:
    extraction = extract(case)
    about = [s for s in extraction.statements if (s.agency, s.topic) == (case.agency, case.topic)]
    primary = [s for s in about if s.role is StatementRole.PRIMARY]
    # Open world: statements by agencies and on practices nobody watches may exist;
    # none may put words in the mouth of a watched agency about a watched practice.
    others = [
        s
        for s in extraction.statements
        if (s.agency, s.topic) != (case.agency, case.topic)
        and s.agency in WATCHED_AGENCIES
        and s.topic in WATCHED_TOPICS
    ]
    assert not others, f"statements about something else: {others}"
    if case.expect is None:
        assert not about, f"expected no statement, got {about}"
        if case.reason is not None:
            assert case.reason in {d.reason for d in extraction.decisions}
        return
    assert [s.polarity for s in primary] == [case.expect]
    if case.retold is not None:
        assert case.retold in {s.polarity for s in about if s.role is StatementRole.RETOLD}


@pytest.mark.parametrize("language", [None, "en", "nl", "fr", "de", "xx"])
@pytest.mark.parametrize(
    "name", [n for lang in ("en", "nl", "fr", "de") for n in CASES if n.startswith(lang)][::10]
)
def test_language_field_does_not_change_the_outcome(name: str, language: str | None) -> None:
    case = CASES[name]
    expected = [(s.polarity, s.role) for s in extract(case).statements]
    assert [(s.polarity, s.role) for s in extract(case, language).statements] == expected


VARIANTS = {
    # Other wordings of the same rules, so that no rule hangs on one phrase.
    "en-neither-confirm-nor-deny": hedge(
        "The Hungarian government would neither confirm nor deny that it had bought Pegasus.",
        HU,
        PEGASUS,
        "en",
    ),
    "en-did-not-respond": hedge(
        "Europol did not respond to a request for comment about its use of Palantir.",
        EUROPOL,
        PALANTIR,
        "en",
    ),
    "en-not-aware": hedge(
        "The Metropolitan Police said it was not aware of any use of live facial recognition "
        "at the rally.",
        MET,
        LFR,
        "en",
    ),
    "en-launched-probe": hedge(
        "The Australian Federal Police has launched an inquiry into the use of PimEyes by "
        "officers.",
        AU_POL,
        PIMEYES,
        "en",
    ),
    "en-confirmed-does-not-use": Case(
        "The German Federal Police confirmed that it does not use PimEyes.",
        DE_POL,
        PIMEYES,
        DENIES,
        "en",
    ),
    "en-records-obtained-show": Case(
        "Internal emails obtained by reporters show that the French Interior Ministry deployed "
        "drones at the summit.",
        FR_INT,
        DRONES,
        AFFIRMS,
        "en",
    ),
    "en-audit-concluded": Case(
        "An audit concluded that the Danish Security and Intelligence Service had used Pegasus "
        "against journalists.",
        DK,
        PEGASUS,
        AFFIRMS,
        "en",
    ),
    "en-rejected-reports": Case(
        "The Hungarian government rejected reports that it had acquired Pegasus.",
        HU,
        PEGASUS,
        DENIES,
        "en",
    ),
    "nl-reageerde-niet": hedge(
        "Europol reageerde niet op vragen over het gebruik van Palantir.",
        EUROPOL,
        PALANTIR,
        "nl",
    ),
    "nl-niet-bekend": hedge(
        "Bij de Duitse federale politie is niets bekend over het gebruik van PimEyes.",
        DE_POL,
        PIMEYES,
        "nl",
    ),
    "nl-bevestigt-niet-gebruikt": Case(
        "De Duitse federale politie bevestigt dat zij PimEyes niet gebruikt.",
        DE_POL,
        PIMEYES,
        DENIES,
        "nl",
    ),
    "nl-stukken-tonen-aan": Case(
        "Interne stukken tonen aan dat het Franse ministerie van Binnenlandse Zaken drones "
        "heeft ingezet.",
        FR_INT,
        DRONES,
        AFFIRMS,
        "nl",
    ),
    "nl-wijst-van-de-hand": Case(
        "De Hongaarse regering wijst berichten van de hand dat zij Pegasus heeft gekocht.",
        HU,
        PEGASUS,
        DENIES,
        "nl",
    ),
    "nl-stopt-met": Case(
        "De Duitse federale politie stopt met het gebruik van PimEyes.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "nl",
    ),
    "fr-ni-confirmer-ni-dementir": hedge(
        "Le gouvernement hongrois n'a voulu ni confirmer ni démentir l'achat de Pegasus.",
        HU,
        PEGASUS,
        "fr",
    ),
    "fr-pas-repondu": hedge(
        "Europol n'a pas répondu aux questions sur son utilisation de Palantir.",
        EUROPOL,
        PALANTIR,
        "fr",
    ),
    "fr-confirme-n-utilise-pas": Case(
        "La police fédérale allemande confirme qu'elle n'utilise pas PimEyes.",
        DE_POL,
        PIMEYES,
        DENIES,
        "fr",
    ),
    "fr-rapport-conclut": Case(
        "Un rapport d'audit conclut que le service danois de renseignement PET a utilisé "
        "Pegasus contre des journalistes.",
        DK,
        PEGASUS,
        AFFIRMS,
        "fr",
    ),
    "fr-rejette-informations": Case(
        "Le gouvernement hongrois rejette les informations selon lesquelles il aurait acquis "
        "Pegasus.",
        HU,
        PEGASUS,
        DENIES,
        "fr",
    ),
    "fr-n-utilise-plus": Case(
        "La police fédérale allemande n'utilise plus PimEyes.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "fr",
    ),
    "de-weder-noch": hedge(
        "Die ungarische Regierung wollte den Kauf von Pegasus weder bestätigen noch dementieren.",
        HU,
        PEGASUS,
        "de",
    ),
    "de-anfrage-unbeantwortet": hedge(
        "Europol reagierte nicht auf eine Anfrage zur Nutzung von Palantir.",
        EUROPOL,
        PALANTIR,
        "de",
    ),
    "de-bestaetigt-nicht-genutzt": Case(
        "Die Bundespolizei bestätigte, dass sie PimEyes nicht nutzt.",
        DE_POL,
        PIMEYES,
        DENIES,
        "de",
    ),
    "de-bericht-kommt-zum-schluss": Case(
        "Ein Prüfbericht kam zu dem Schluss, dass der dänische Nachrichtendienst PET Pegasus "
        "gegen Journalisten eingesetzt hat.",
        DK,
        PEGASUS,
        AFFIRMS,
        "de",
    ),
    "de-weist-berichte-zurueck": Case(
        "Die ungarische Regierung weist Berichte zurück, wonach sie Pegasus gekauft habe.",
        HU,
        PEGASUS,
        DENIES,
        "de",
    ),
    "de-nutzt-nicht-mehr": Case(
        "Die Bundespolizei nutzt PimEyes nicht mehr.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "de",
    ),
}


@pytest.mark.parametrize("case", list(VARIANTS.values()), ids=list(VARIANTS))
def test_other_wordings_follow_the_same_rules(case: Case) -> None:
    test_primary_statement_follows_the_label_rules(case)


SPOKEN = {
    # Direct quotes, ministers speaking for a force, answers to questions, contractions.
    "en-quote-we-never": Case(
        "The Hungarian government faces questions over Pegasus. \u201cWe have never bought "
        "this software,\u201d a government spokesperson said.",
        HU,
        PEGASUS,
        DENIES,
        "en",
    ),
    "en-minister-for-force": Case(
        "The interior minister told parliament that the German Federal Police had used PimEyes "
        "in 40 cases.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "en",
    ),
    "en-contraction-didnt": Case(
        "\u201cWe didn\u2019t use PimEyes,\u201d a spokesperson for the Australian Federal "
        "Police said.",
        AU_POL,
        PIMEYES,
        DENIES,
        "en",
    ),
    "en-contraction-hedge": hedge(
        "The Australian Federal Police didn't want to confirm whether officers used PimEyes.",
        AU_POL,
        PIMEYES,
        "en",
    ),
    "nl-citaat-nooit": Case(
        "De Hongaarse regering ligt onder vuur vanwege Pegasus. \u201eWij hebben die software "
        "nooit gekocht\u201d, zei een woordvoerder.",
        HU,
        PEGASUS,
        DENIES,
        "nl",
    ),
    "nl-minister-voor-korps": Case(
        "De minister van Binnenlandse Zaken vertelde het parlement dat de Duitse federale "
        "politie PimEyes in 40 zaken heeft gebruikt.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "nl",
    ),
    "fr-citation-jamais": Case(
        "Le gouvernement hongrois est interrogé sur Pegasus. \u00ab Nous n'avons jamais acheté "
        "ce logiciel \u00bb, a déclaré un porte-parole.",
        HU,
        PEGASUS,
        DENIES,
        "fr",
    ),
    "fr-ministre-pour-police": Case(
        "Le ministre de l'Intérieur a déclaré au Parlement que la police fédérale allemande "
        "avait utilisé PimEyes dans 40 affaires.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "fr",
    ),
    "de-zitat-nie": Case(
        "Die ungarische Regierung steht wegen Pegasus in der Kritik. \u201eWir haben diese "
        "Software nie gekauft\u201c, sagte ein Sprecher.",
        HU,
        PEGASUS,
        DENIES,
        "de",
    ),
    "de-minister-fuer-polizei": Case(
        "Der Innenminister sagte im Bundestag, die Bundespolizei habe PimEyes in 40 Fällen "
        "genutzt.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "de",
    ),
    "en-asked-whether-answer-no": Case(
        "Asked in parliament whether the German Federal Police had used PimEyes, the state "
        "secretary replied: \u201cNo, never.\u201d",
        DE_POL,
        PIMEYES,
        DENIES,
        "en",
    ),
    "nl-gevraagd-of-antwoord-nee": Case(
        "Gevraagd of de Duitse federale politie PimEyes heeft gebruikt, antwoordde de "
        "staatssecretaris: \u201eNee.\u201d",
        DE_POL,
        PIMEYES,
        DENIES,
        "nl",
    ),
    "fr-interroge-reponse-non": Case(
        "Interrogé sur l'utilisation de PimEyes par la police fédérale allemande, le "
        "secrétaire d'État a répondu : \u00ab Non. \u00bb",
        DE_POL,
        PIMEYES,
        DENIES,
        "fr",
    ),
    "de-frage-antwort-nein": Case(
        "Auf die Frage, ob die Bundespolizei PimEyes genutzt habe, antwortete der "
        "Staatssekretär: \u201eNein.\u201c",
        DE_POL,
        PIMEYES,
        DENIES,
        "de",
    ),
    "en-question-alone-is-no-statement": Case(
        "Did the German Federal Police use PimEyes?",
        DE_POL,
        PIMEYES,
        None,
        "en",
        reason=Reason.QUESTION,
    ),
}


@pytest.mark.parametrize("case", list(SPOKEN.values()), ids=list(SPOKEN))
def test_spoken_statements_follow_the_same_rules(case: Case) -> None:
    test_primary_statement_follows_the_label_rules(case)


FRAMES = {
    # A fronted frame retells; the clause after it is the report's own statement.
    "en-contrary-to-earlier-denials": retold(
        "Contrary to its earlier denials, the German Federal Police used PimEyes in 2022.",
        DE_POL,
        PIMEYES,
        "en",
    ),
    "en-contrary-to-reports-never": Case(
        "Contrary to reports, the German Federal Police never used PimEyes.",
        DE_POL,
        PIMEYES,
        DENIES,
        "en",
    ),
    "en-after-months-of-denials": retold(
        "After months of denials, the Hungarian government admitted that it had bought Pegasus.",
        HU,
        PEGASUS,
        "en",
    ),
    "en-although-it-denied": retold(
        "Although it had denied buying Pegasus, the Hungarian government now admits the purchase.",
        HU,
        PEGASUS,
        "en",
    ),
    "en-but-is-no-frame": Case(
        "But the German Federal Police denied using PimEyes.",
        DE_POL,
        PIMEYES,
        DENIES,
        "en",
    ),
    "en-not-only": Case(
        "Not only did the German Federal Police use PimEyes, it also kept the results.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "en",
    ),
    "nl-ondanks-ontkenningen": retold(
        "Ondanks eerdere ontkenningen heeft de Duitse federale politie PimEyes gebruikt.",
        DE_POL,
        PIMEYES,
        "nl",
    ),
    "nl-in-tegenstelling-tot": retold(
        "In tegenstelling tot eerdere ontkenningen heeft de Duitse federale politie PimEyes "
        "wel degelijk gebruikt.",
        DE_POL,
        PIMEYES,
        "nl",
    ),
    "nl-maar-is-geen-kader": Case(
        "Maar de Duitse federale politie ontkent PimEyes te hebben gebruikt.",
        DE_POL,
        PIMEYES,
        DENIES,
        "nl",
    ),
    "nl-niet-alleen": Case(
        "Niet alleen de Duitse federale politie gebruikte PimEyes.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "nl",
    ),
    "fr-malgre-dementis": retold(
        "Malgré ses démentis, la police fédérale allemande a bien utilisé PimEyes.",
        DE_POL,
        PIMEYES,
        "fr",
    ),
    "fr-apres-avoir-nie": retold(
        "Après avoir longtemps nié, la police fédérale allemande reconnaît avoir utilisé PimEyes.",
        DE_POL,
        PIMEYES,
        "fr",
    ),
    "fr-contrairement-a-ce-qu-elle-affirmait": Case(
        "Contrairement à ce qu'elle affirmait, la police fédérale allemande a bien utilisé "
        "PimEyes.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "fr",
    ),
    "fr-mais-n-est-pas-un-cadre": Case(
        "Mais la police fédérale allemande dément avoir utilisé PimEyes.",
        DE_POL,
        PIMEYES,
        DENIES,
        "fr",
    ),
    "fr-non-seulement": Case(
        "Non seulement la police fédérale allemande a utilisé PimEyes, mais elle a aussi "
        "conservé les résultats.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "fr",
    ),
    "de-trotz-dementis": retold(
        "Trotz ihres Dementis hat die Bundespolizei PimEyes genutzt.",
        DE_POL,
        PIMEYES,
        "de",
    ),
    "de-nachdem-bestritten": retold(
        "Nachdem sie es monatelang bestritten hatte, räumte die Bundespolizei ein, PimEyes "
        "genutzt zu haben.",
        DE_POL,
        PIMEYES,
        "de",
    ),
    "de-anders-als-behauptet": Case(
        "Anders als bisher behauptet hat die Bundespolizei PimEyes doch genutzt.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "de",
    ),
    "de-aber-ist-kein-rahmen": Case(
        "Aber die Bundespolizei bestreitet, PimEyes genutzt zu haben.",
        DE_POL,
        PIMEYES,
        DENIES,
        "de",
    ),
    "de-nicht-nur": Case(
        "Die Bundespolizei hat PimEyes nicht nur getestet, sondern auch eingesetzt.",
        DE_POL,
        PIMEYES,
        AFFIRMS,
        "de",
    ),
}


@pytest.mark.parametrize("case", list(FRAMES.values()), ids=list(FRAMES))
def test_fronted_frames_are_retold_and_the_main_clause_speaks(case: Case) -> None:
    test_primary_statement_follows_the_label_rules(case)
