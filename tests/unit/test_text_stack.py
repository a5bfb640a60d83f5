"""One text stack: the claim matcher and the language rules read text the same way."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.language.resources import load_lexicons
from bot.core.language.text import (
    abbreviations,
    fold,
    snowball,
    split_sentences,
    stopwords,
    tokens,
)
from bot.core.matching import clean, terms
from bot.core.matching import fold as matcher_fold

# Nothing the matcher strips as a link, handle or hashtag.
PLAIN = st.text(
    alphabet=st.characters(blacklist_characters="@#/", blacklist_categories=("Cs",)),
    max_size=300,
)


@pytest.mark.parametrize(
    "text",
    [
        "Ministère de l\u2019Intérieur \u2014 \u201cdémenti\u201d",
        "Gesichtserkennung STRASSE und Straße",
        "De politie ontkent het gebruik van \u2018drones\u2019",
        "The police didn't use \uff30\uff4f\uff4c\uff49\uff43\uff45 ﬁnancing",
    ],
    ids=["fr", "de", "nl", "en-compatibility-forms"],
)
def test_the_matcher_and_the_language_rules_fold_a_text_the_same_way(text: str) -> None:
    assert matcher_fold(text) == fold(text)
    assert clean(text).split() == tokens(text)


@given(PLAIN)
def test_the_matcher_reads_any_text_as_the_language_rules_tokenise_it(text: str) -> None:
    assert matcher_fold(text) == fold(text)
    assert clean(text).split() == tokens(text)


def test_the_matcher_terms_are_snowball_stems_of_the_shared_tokens() -> None:
    text = "De politie ontkent het gebruik van camera's bij demonstraties"
    expected = [snowball(w, "nl") for w in tokens(text) if w not in stopwords("nl")]
    assert terms(text) == terms(text, "nl") == expected


def test_the_lexicon_stopwords_are_the_shared_stopwords() -> None:
    lexicons = load_lexicons()
    for code, lexicon in lexicons.items():
        assert stopwords(code) == frozenset(map(fold, lexicon.stopwords))
    assert stopwords() == frozenset().union(*(stopwords(code) for code in lexicons))


def test_negations_are_stopwords_only_where_negations_count() -> None:
    assert {"not", "niet", "pas", "nicht"} <= stopwords()
    assert not {"not", "niet", "pas", "nicht"} & stopwords(negations=False)


def test_abbreviations_come_from_every_language_file() -> None:
    assert {"mr", "dhr", "mme", "bzw"} <= abbreviations()
    assert split_sentences("Dhr. Jansen kwam. Mme. Dupont ook.") == [
        "Dhr. Jansen kwam.",
        "Mme. Dupont ook.",
    ]


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_folding_ascii_takes_a_short_cut_to_the_same_result(text: str) -> None:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    assert fold(text) == "".join(ch for ch in decomposed if not unicodedata.combining(ch))
