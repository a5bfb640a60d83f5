"""Properties of normalisation, tokens, sentences, and of the extractor on any text."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_language_traps import EXTRACTOR

from bot.core.domain import Report, ReportId
from bot.core.language.detect import detect_language
from bot.core.language.resources import load_lexicons
from bot.core.language.text import fold, split_sentences, stem, tokens

# Text that looks like news in the four languages, with the typography they use.
NEWSY = st.text(
    alphabet=st.sampled_from(
        list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        + list("éèêëàâçîïôöüßÉÄÖÜñ")
        + list(" .,;:!?'\"()-\n\t\u2019\u201c\u201d\u201e\u00ab\u00bb\u2013\u2014\u00a0")
    ),
    max_size=400,
)
ANY_TEXT = st.one_of(st.text(max_size=300), NEWSY)


@given(ANY_TEXT)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(ANY_TEXT)
def test_fold_drops_case_and_accents(text: str) -> None:
    folded = fold(text)
    assert folded == folded.casefold() or fold(folded) == folded


@given(ANY_TEXT)
def test_tokens_are_folded_and_non_empty(text: str) -> None:
    for token in tokens(text):
        assert token
        assert fold(token) == token
        assert " " not in token


@given(ANY_TEXT)
def test_stem_never_grows_a_token(text: str) -> None:
    for token in tokens(text):
        assert len(stem(token)) <= len(token)


@given(ANY_TEXT)
def test_sentences_are_never_empty_and_keep_every_word(text: str) -> None:
    sentences = split_sentences(text)
    assert all(s.strip() == s and s for s in sentences)
    assert [t for s in sentences for t in tokens(s)] == tokens(text)


@given(st.lists(st.sampled_from(["Mr. Smith said so.", "It rose 3.5 per cent.", "Yes!"])))
def test_abbreviations_and_decimals_do_not_end_sentences(parts: list[str]) -> None:
    assert len(split_sentences(" ".join(parts))) == len(parts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L'Office fédéral l’a confirmé.", ["l", "office", "federal", "l", "a", "confirme"]),
        ("The police don't use it.", ["the", "police", "do", "not", "use", "it"]),
        ("Die Behörde äußerte sich nicht.", ["die", "behorde", "ausserte", "sich", "nicht"]),
        ("De politie heeft 't ontkend.", ["de", "politie", "heeft", "t", "ontkend"]),
    ],
    ids=["fr-elision", "en-negative-contraction", "de-umlaut-eszett", "nl-clitic"],
)
def test_tokens_in_four_languages(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


@given(st.lists(st.text(max_size=12), max_size=30), st.one_of(st.none(), st.text(max_size=5)))
def test_language_detection_always_answers_a_known_language(
    words: list[str], hint: str | None
) -> None:
    lexicons = load_lexicons()
    assert detect_language(words, lexicons, hint) in lexicons


@settings(max_examples=60, deadline=None)
@given(ANY_TEXT, ANY_TEXT, st.one_of(st.none(), st.sampled_from(["en", "nl", "fr", "de", "xx"])))
def test_extractor_never_raises(title: str, text: str, language: str | None) -> None:
    report = Report(ReportId("p-1"), date(2024, 1, 1), language=language, title=title, text=text)
    extraction = EXTRACTOR.extract(report)
    assert extraction.language in load_lexicons()
    assert all(0.0 <= s.confidence <= 1.0 for s in extraction.statements)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "The German Federal Police denied using PimEyes.",
                "De Hongaarse regering erkent dat zij Pegasus heeft gekocht.",
                "Le gouvernement hongrois a refusé de commenter.",
                "Die Bundespolizei räumte ein, PimEyes genutzt zu haben.",
                "It is not true that the Metropolitan Police never used live facial recognition.",
                "Europol did not want to confirm whether it used Palantir.",
                "Despite its earlier denial, the force did use the app.",
            ]
        ),
        max_size=8,
    )
)
def test_extractor_never_raises_on_watched_sentences(parts: list[str]) -> None:
    report = Report(ReportId("p-2"), date(2024, 1, 1), text=" ".join(parts))
    extraction = EXTRACTOR.extract(report)
    primaries = [s for s in extraction.statements if s.role.value == "primary"]
    assert len({(s.agency, s.topic) for s in primaries}) == len(primaries)
