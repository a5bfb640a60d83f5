"""Polarity rules that hold on real prose, in four languages (issue: open-world detection).

Every sentence was written for this test. Each row names the class of trap it checks.
"""

from __future__ import annotations

import pytest

from bot.core.domain import Polarity, Reason
from bot.core.extraction import CueIndex, judge_sentence
from bot.core.language.resources import load_lexicons, load_vocabulary

PRACTICES = load_vocabulary().practices
LEXICONS = {code: CueIndex(lexicon, PRACTICES) for code, lexicon in load_lexicons().items()}
DENIES, AFFIRMS = Polarity.DENIES, Polarity.AFFIRMS
HEDGE, QUESTION, ALLEGATION = Reason.HEDGE, Reason.QUESTION, Reason.ALLEGATION

CASES = [
    # "will not say whether" is a hedge, also in a headline
    ("en", "Harbourtown Police will not say whether it uses body-worn cameras", HEDGE),
    ("nl", "De politie van Zeestad wil niet zeggen of zij bodycams gebruikt.", HEDGE),
    (
        "fr",
        "La police de Portville ne veut pas dire si elle utilise des caméras.",
        Reason.HEDGE,
    ),
    ("de", "Die Polizei in Hafenstadt will nicht sagen, ob sie Bodycams einsetzt.", HEDGE),
    # "refused to confirm or deny"
    (
        "en",
        "Customs refused to confirm or deny that it had bought the scanner.",
        Reason.HEDGE,
    ),
    (
        "nl",
        "De douane weigerde te bevestigen of te ontkennen dat zij de scanner had gekocht.",
        Reason.HEDGE,
    ),
    ("fr", "La douane a refusé de confirmer ou de démentir l'achat du scanner.", HEDGE),
    (
        "de",
        "Der Zoll weigerte sich, den Kauf des Scanners zu bestätigen oder zu dementieren.",
        Reason.HEDGE,
    ),
    # "confirmed it has never" denies
    ("en", "The ministry confirmed that the coastguard had never used the tracking app.", DENIES),
    ("nl", "Het ministerie bevestigde dat de kustwacht de volg-app nooit heeft gebruikt.", DENIES),
    (
        "fr",
        "Le ministère a confirmé que les garde-côtes n'avaient jamais utilisé l'appli.",
        DENIES,
    ),
    ("de", "Das Ministerium bestätigte, dass die Küstenwache die App nie eingesetzt habe.", DENIES),
    # ... whatever the verb of the complement, one the lexicon does not know
    ("en", "The harbour office has confirmed that it has never followed the boats.", DENIES),
    ("nl", "Het havenbedrijf bevestigde dat het nooit de boten van vissers volgde.", DENIES),
    ("fr", "Le port a confirmé qu'il n'avait jamais suivi les bateaux.", DENIES),
    ("de", "Das Hafenamt bestätigte, dass es die Boote nie verfolgt habe.", DENIES),
    # double negation affirms
    ("en", "It is not true that we never flew drones over the rally.", AFFIRMS),
    ("nl", "Het is niet waar dat wij nooit drones boven de optocht inzetten.", AFFIRMS),
    ("fr", "Il est faux de dire que nous n'avons jamais utilisé de drones.", AFFIRMS),
    ("de", "Es stimmt nicht, dass wir nie Drohnen über der Kundgebung eingesetzt haben.", AFFIRMS),
    ("en", "It is not correct that we never read travellers' phones.", AFFIRMS),
    ("nl", "Het is niet juist dat wij nooit telefoons van reizigers uitlezen.", AFFIRMS),
    ("fr", "Il n'est pas correct que nous n'ayons jamais utilisé de drones.", AFFIRMS),
    ("de", "Es ist nicht richtig, dass wir nie Telefone von Reisenden auslesen.", AFFIRMS),
    # a stopped practice affirms past use
    ("en", "The scanner has not been used since 2018, the office said.", AFFIRMS),
    ("nl", "De kustwacht gebruikte de app tot 2019.", AFFIRMS),
    ("fr", "La douane n'utilise plus ce scanner depuis 2018.", AFFIRMS),
    ("de", "Die Küstenwache setzt die App seit 2018 nicht mehr ein.", AFFIRMS),
    # questions, investigations and accusations are not statements
    ("en", "Will the coastguard use drones at the regatta?", QUESTION),
    ("en", "The ombudsman opened an investigation into the use of the scanner.", HEDGE),
    ("en", "Activists accused the coastguard of filming the rally.", ALLEGATION),
    ("nl", "Actievoerders beschuldigden de kustwacht van het filmen van de optocht.", None),
    ("fr", "Des militants accusent la douane de filmer le rassemblement.", None),
    ("de", "Aktivisten werfen der Küstenwache vor, die Kundgebung gefilmt zu haben.", None),
    # an accusation in a relative clause after the act does not govern it
    (
        "de",
        "Laut der Antwort wurden Bilder von Demonstranten abgeglichen, denen Straftaten "
        "vorgeworfen werden.",
        AFFIRMS,
    ),
    (
        "en",
        "Records show the coastguard filmed protesters who were accused of blocking the port.",
        AFFIRMS,
    ),
    # a third party's account of what an agency did is no statement of the agency
    ("en", "According to privacy campaigners, the coastguard filmed the rally.", ALLEGATION),
    ("en", "Critics say the coastguard flew drones over the march.", ALLEGATION),
    ("nl", "Volgens privacyorganisaties heeft de kustwacht de optocht gefilmd.", ALLEGATION),
    ("fr", "Pour plusieurs associations, la douane a filmé le rassemblement.", ALLEGATION),
    ("de", "Nach Ansicht von Bürgerrechtlern hat der Zoll die Kundgebung gefilmt.", ALLEGATION),
    ("de", "Kritikern zufolge hat die Küstenwache Drohnen eingesetzt.", ALLEGATION),
    # ... and so is a quote a third party closes
    (
        "fr",
        "« Nous avons quatre vidéos qui montrent le drone », affirme Léa Morel, juriste d'un "
        "collectif.",
        ALLEGATION,
    ),
    (
        "nl",
        "'De kustwacht heeft ons met een drone gefilmd', zegt advocaat Jan de Vries.",
        ALLEGATION,
    ),
    (
        "en",
        "The coastguard filmed the rally with a drone, said Jane Holt, a lawyer for the families.",
        ALLEGATION,
    ),
    (
        "de",
        "„Der Zoll hat uns mit einer Drohne gefilmt“, sagte die Anwältin Eva Brandt.",
        ALLEGATION,
    ),
    ("de", "„Der Zoll hat keine Drohnen eingesetzt“, sagte ein Sprecher des Zolls.", DENIES),
    # ... but the agency speaking about a third party still does
    ("en", "The coastguard said protesters had not been filmed with drones.", DENIES),
    ("nl", "De kustwacht zegt dat actievoerders niet met drones zijn gefilmd.", DENIES),
    # negated doubt asserts what follows: "there is no doubt that … used"
    ("en", "There is no doubt that the coastguard filmed the rally, the minister said.", AFFIRMS),
    ("nl", "Er bestaat geen twijfel dat de kustwacht de optocht heeft gefilmd.", AFFIRMS),
    ("fr", "Il ne fait aucun doute que la douane a filmé le rassemblement.", AFFIRMS),
    ("de", "Es besteht kein Zweifel, dass die Küstenwache die Kundgebung gefilmt hat.", AFFIRMS),
    # a court's or watchdog's finding, and an order to stop, affirm
    ("en", "The judges noted that the coastguard had flown drones over the rally.", AFFIRMS),
    (
        "nl",
        "De rechters stellen vast dat de kustwacht drones boven de optocht liet vliegen.",
        AFFIRMS,
    ),
    (
        "fr",
        "Les juges relèvent que la douane a fait voler des drones au-dessus du cortège.",
        AFFIRMS,
    ),
    ("de", "Die Richter stellen fest, dass die Küstenwache Drohnen fliegen ließ.", AFFIRMS),
    ("fr", "Le tribunal a enjoint à la douane de cesser de recourir aux drones.", AFFIRMS),
    ("nl", "De rechter zegt dat de kustwacht moet stoppen met het inzetten van drones.", AFFIRMS),
    # "no longer rules out" is still a hedge
    ("en", "The coastguard no longer rules out that one of its drones filmed the march.", HEDGE),
    ("nl", "De kustwacht sluit niet langer uit dat een van haar drones de optocht filmde.", HEDGE),
    ("fr", "La douane n'exclut plus la présence d'un de ses drones au-dessus du cortège.", HEDGE),
    ("de", "Die Küstenwache schließt nicht mehr aus, dass eine Drohne die Demo filmte.", HEDGE),
    # a negated practice denies, whatever verb carries it (no generic "use" here)
    ("en", "The coastguard is still not intercepting calls from the fishing fleet.", DENIES),
    ("en", "No phone had been tapped yet, a spokesperson for the harbour office said.", DENIES),
    ("nl", "De kustwacht tapt op dit moment geen telefoons van vissers af.", DENIES),
    ("fr", "La douane n'a filmé aucun rassemblement, assure un porte-parole.", DENIES),
    ("de", "Die Küstenwache hat keine Drohnen über dem Hafen fliegen lassen, betonte er.", DENIES),
    # ... but a practice only named near a negation of something else is no denial
    ("en", "The ruling does not concern the harbour office, which films the quays.", None),
    # "before any use", "avant toute utilisation": a practice as a noun is no act
    ("en", "The ministry asked the watchdog to assess the scanner before any use.", None),
    ("nl", "Het ministerie vroeg de toezichthouder de scanner voor elk gebruik te toetsen.", None),
    ("fr", "Le ministère attend l'avis de l'autorité avant toute utilisation du scanner.", None),
    ("de", "Das Ministerium bat die Behörde, den Scanner vor jeder Nutzung zu prüfen.", None),
    # what a system "would" allow is no admission, even with "not only"
    (
        "en",
        "The watchdog said the scanner would record not only suspects but every passenger.",
        ALLEGATION,
    ),
    (
        "nl",
        "De toezichthouder zei dat de scanner niet alleen verdachten zou vastleggen.",
        ALLEGATION,
    ),
    (
        "fr",
        "Selon l'autorité, le scanner pourrait enregistrer non seulement les suspects.",
        ALLEGATION,
    ),
    (
        "de",
        "Laut der Behörde soll der Scanner nicht nur Verdächtige erfassen.",
        ALLEGATION,
    ),
]


@pytest.mark.parametrize(
    ("language", "sentence", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_polarity_of_prose(language: str, sentence: str, expected: object) -> None:
    judged = judge_sentence(sentence, LEXICONS[language])
    polarities = {j.verdict.polarity for j in judged}
    if isinstance(expected, Polarity):
        assert polarities == {expected}
    elif expected is None:
        assert polarities == {None}
    else:
        assert polarities == {None}
        assert {j.verdict.reason for j in judged} == {expected}


RETOLD = [
    # what the agency had said back then is retold, not said now
    ("en", "The office had then insisted that no drone was flown over the march.", True),
    ("nl", "De politie had toen verklaard dat er geen drones werden ingezet.", True),
    ("fr", "La préfecture avait alors fait valoir que ses drones ne filmaient pas.", True),
    ("de", "Die Polizei hatte damals erklärt, keine Drohnen einzusetzen.", True),
    # ... and so is a statement whose closing attribution is set in the past
    ("en", "No drone was flown over the march, a spokesperson said at the time.", True),
    ("nl", "Er werden geen drones ingezet, zei een woordvoerder destijds.", True),
    ("fr", "Aucun drone n'a été utilisé, avait alors assuré un porte-parole.", True),
    ("de", "Drohnen würden nicht eingesetzt, sagte damals ein Sprecher.", True),
    ("en", "No drone was flown over the march, a spokesperson said on Monday.", False),
    # an assurance someone was given is retold by whoever recalls it
    ("en", "We were assured that the cameras were never used at protests.", True),
    ("nl", "Ons werd verzekerd dat de camera's nooit bij betogingen werden gebruikt.", True),
    (
        "fr",
        "On nous a assuré que les caméras n'étaient jamais utilisées lors des manifestations.",
        True,
    ),
    (
        "de",
        "Man hat uns versichert, dass die Technik nicht bei Demonstrationen eingesetzt wird.",
        True,
    ),
    # "for the first time" is news, not a retelling
    ("nl", "Voor het eerst heeft de dienst bevestigd dat zij de kabel aftapt.", False),
]


@pytest.mark.parametrize(
    ("language", "sentence", "retold"), RETOLD, ids=[f"{r[0]}-{i}" for i, r in enumerate(RETOLD)]
)
def test_retold_statements(language: str, sentence: str, retold: bool) -> None:
    judged = [j for j in judge_sentence(sentence, LEXICONS[language]) if j.verdict.polarity]
    assert judged
    assert {j.retold for j in judged} == {retold}


FRAMED = [
    (
        "en",
        "A week after leaked records showed officers using the scanner, the office said "
        "it does not use the scanner.",
    ),
    (
        "nl",
        "Een week nadat gelekte documenten toonden dat agenten de scanner gebruikten, zei "
        "het bureau dat het de scanner niet gebruikt.",
    ),
    (
        "fr",
        "Une semaine après que des documents ont montré que des agents utilisaient le "
        "scanner, le bureau a déclaré qu'il n'utilise pas le scanner.",
    ),
    (
        "de",
        "Eine Woche nachdem Dokumente zeigten, dass Beamte den Scanner nutzten, sagte das "
        "Amt, es nutze den Scanner nicht.",
    ),
]


@pytest.mark.parametrize(("language", "sentence"), FRAMED, ids=[f[0] for f in FRAMED])
def test_a_time_frame_before_the_statement_is_retold(language: str, sentence: str) -> None:
    """ "A week after records showed …, the office said it does not …": the frame
    retells the finding, the statement of the sentence is the denial."""
    judged = [j for j in judge_sentence(sentence, LEXICONS[language]) if j.verdict.polarity]
    own = {j.verdict.polarity for j in judged if not j.retold}
    assert own == {DENIES}


COORDINATED = [
    (
        "en",
        "The drones were used to monitor traffic, the office said, and no images of "
        "demonstrators were taken.",
    ),
    (
        "nl",
        "De drones werden gebruikt om het verkeer te volgen en geen beelden van "
        "betogers werden gemaakt.",
    ),
    (
        "fr",
        "Les drones ont servi à surveiller la circulation et aucune image des "
        "manifestants n'a été prise.",
    ),
    (
        "de",
        "Die Drohnen wurden zur Verkehrsüberwachung genutzt und keine Bilder von "
        "Demonstranten wurden aufgenommen.",
    ),
]


@pytest.mark.parametrize(("language", "sentence"), COORDINATED, ids=[c[0] for c in COORDINATED])
def test_a_negated_clause_after_and_is_judged_on_its_own(language: str, sentence: str) -> None:
    """ "… used to monitor traffic, and no images of demonstrators were taken": the
    second clause denies by itself, it does not join the first one's admission."""
    judged = judge_sentence(sentence, LEXICONS[language])
    assert DENIES in {j.verdict.polarity for j in judged}
