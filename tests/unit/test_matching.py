"""The claim matcher: normalisation, BM25 ranking, re-scoring, blocking, incremental updates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.language.text import snowball
from bot.core.matching import ClaimDoc, ClaimIndex, Hit, clean, fold, terms

STORE = [
    ClaimDoc(
        "be-1",
        "The Federal Police denies ever using Clearview AI.",
        "Federal Police",
        "Clearview AI",
    ),
    ClaimDoc(
        "be-2",
        "Minister confirms the Federal Police used Clearview AI in 2019.",
        "Federal Police",
        "Clearview AI",
    ),
    ClaimDoc(
        "nl-1",
        "De Nationale Politie ontkent dat zij Clearview AI heeft gebruikt.",
        "Nationale Politie",
        "Clearview AI",
    ),
    ClaimDoc(
        "fr-1",
        "La Police fédérale dément utiliser la reconnaissance faciale.",
        "Federal Police",
        "facial recognition",
    ),
    ClaimDoc(
        "de-1",
        "Die Bundespolizei bestreitet den Einsatz von Gesichtserkennung.",
        "Bundespolizei",
        "facial recognition",
    ),
    ClaimDoc("x-1", "The city council approved a new budget for road repairs.", "", ""),
]


@pytest.fixture
def index() -> ClaimIndex:
    built = ClaimIndex()
    built.add_many(STORE)
    return built


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Police fédérale", "police federale"),
        ("Gesichtserkennung STRASSE", "gesichtserkennung strasse"),
        ("Ministère de l'Intérieur", "ministere de l'interieur"),
        ("Koninklijke Marechaussee", "koninklijke marechaussee"),
    ],
    ids=["fr-accents", "de-eszett", "fr-apostrophe", "nl-plain"],
)
def test_fold_removes_case_and_accents(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_clean_drops_links_and_splits_handles_and_hashtags() -> None:
    cleaned = clean("See #DefundTheCBC https://t.co/x1 pic.twitter.com/abc by @JoeBiden")
    assert cleaned == "see defund the cbc by joe biden"


@pytest.mark.parametrize(
    ("a", "b", "language"),
    [
        ("denies", "denied", "en"),
        ("recognitions", "recognition", "en"),
        ("ontkenningen", "ontkenning", "nl"),
        ("utilisées", "utilisee", "fr"),
        ("Überwachungen", "Überwachung", "de"),
    ],
    ids=["en", "en-plural", "nl", "fr", "de"],
)
def test_inflected_forms_share_a_term(a: str, b: str, language: str) -> None:
    assert terms(a, language) == terms(b, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("De politie ontkent het gebruik van de camera's", "nl"),
        ("La police nie l'utilisation des caméras", "fr"),
        ("Die Polizei bestreitet die Überwachungen", "de"),
    ],
    ids=["nl", "fr", "de"],
)
def test_a_text_without_a_language_is_stemmed_in_its_own(text: str, language: str) -> None:
    assert terms(text) == terms(text, language) != terms(text, "en")


@pytest.mark.parametrize(
    "text",
    ["the and of it was", "de het en van", "la et des une", "der und die das"],
    ids=["en", "nl", "fr", "de"],
)
def test_stopwords_of_each_language_are_not_terms(text: str) -> None:
    assert terms(text) == []


def test_negations_stay_terms() -> None:
    assert len(terms("never niet jamais nicht")) == 4


def test_the_matcher_stems_with_the_snowball_stemmer() -> None:
    assert terms("investigations", "en") == [snowball("investigations", "en")] == ["investig"]


@given(st.text(max_size=200))
def test_terms_are_folded_and_never_empty_strings(text: str) -> None:
    for term in terms(text):
        assert term
        assert term == fold(term)


def test_search_ranks_the_matching_statement_first(index: ClaimIndex) -> None:
    hits = index.search("Federal Police denied using Clearview", k=3)
    assert hits[0].doc_id == "be-1"
    assert all(isinstance(hit, Hit) for hit in hits)


def test_scores_are_in_unit_range_and_descending(index: ClaimIndex) -> None:
    hits = index.search("police Clearview AI facial recognition", k=10)
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)


def test_an_identical_text_scores_near_one_within_its_block(index: ClaimIndex) -> None:
    hits = index.search(
        "The Federal Police denies ever using Clearview AI.",
        k=2,
        agency="Federal Police",
        topic="Clearview AI",
    )
    assert hits[0].doc_id == "be-1"
    assert hits[0].score > 0.8 > hits[1].score


def test_unrelated_query_finds_nothing(index: ClaimIndex) -> None:
    assert index.search("zebra xylophone quantum", k=5) == []


def test_blocking_keeps_other_agencies_out(index: ClaimIndex) -> None:
    hits = index.search("Clearview AI gebruikt", k=10, agency="Federal Police")
    assert {hit.doc_id for hit in hits} <= {"be-1", "be-2", "fr-1"}
    assert "nl-1" not in {hit.doc_id for hit in hits}


def test_blocking_by_agency_and_topic_together(index: ClaimIndex) -> None:
    hits = index.search("police", k=10, agency="federal police", topic="CLEARVIEW AI")
    assert {hit.doc_id for hit in hits} == {"be-1", "be-2"}


def test_blocking_by_topic_alone_spans_languages(index: ClaimIndex) -> None:
    hits = index.search(
        "Gesichtserkennung reconnaissance faciale", k=10, topic="facial recognition"
    )
    assert {hit.doc_id for hit in hits} == {"fr-1", "de-1"}


def test_an_unknown_block_finds_nothing(index: ClaimIndex) -> None:
    assert index.search("Clearview", agency="Interpol") == []


def test_added_document_is_found_at_once(index: ClaimIndex) -> None:
    index.add("new-1", "Europol says it never bought Pegasus spyware.", agency="Europol")
    assert len(index) == len(STORE) + 1
    assert index.search("Pegasus spyware Europol", k=1)[0].doc_id == "new-1"


def test_removed_document_is_not_found(index: ClaimIndex) -> None:
    assert index.remove("be-1") is True
    assert index.remove("be-1") is False
    assert "be-1" not in index
    assert len(index) == len(STORE) - 1
    found = {hit.doc_id for hit in index.search("Federal Police denies Clearview AI", k=10)}
    assert "be-1" not in found
    blocked = index.search("denies", k=10, agency="Federal Police", topic="Clearview AI")
    assert [hit.doc_id for hit in blocked] == ["be-2"]


def test_adding_a_known_id_replaces_its_text(index: ClaimIndex) -> None:
    index.add("x-1", "The harbour authority bought surveillance drones.")
    assert len(index) == len(STORE)
    assert index.search("road repairs budget", k=5) == []
    assert index.search("harbour drones", k=1)[0].doc_id == "x-1"


def test_duplicate_ids_in_one_batch_keep_the_last() -> None:
    index = ClaimIndex()
    index.add_many(
        [ClaimDoc("a", "first text about tasers"), ClaimDoc("a", "second text about drones")]
    )
    assert len(index) == 1
    assert index.search("tasers") == []
    assert index.search("drones")[0].doc_id == "a"


def test_empty_index_and_zero_k_find_nothing() -> None:
    assert ClaimIndex().search("anything") == []
    index = ClaimIndex()
    index.add("a", "tear gas")
    assert index.search("tear gas", k=0) == []


def test_incremental_adds_rank_like_a_bulk_build() -> None:
    docs = [
        ClaimDoc(f"d{i}", f"agency {i % 7} denies using tool {i % 11} in city {i}")
        for i in range(300)
    ]
    bulk = ClaimIndex()
    bulk.add_many(docs)
    incremental = ClaimIndex()
    for doc in docs:
        incremental.add(doc.doc_id, doc.text)
    for query in ("agency 3 tool 5 city 42", "denies using tool 10", "city 299"):
        assert incremental.search(query, k=5) == bulk.search(query, k=5)


def test_large_blocks_and_postings_paths_agree() -> None:
    index = ClaimIndex()
    index.add_many(
        ClaimDoc(
            f"d{i}",
            f"statement {i} about drones and word{i % 50}",
            agency=f"agency{i % 3}",
            topic="drones",
        )
        for i in range(3000)
    )
    rare = index.search("word7 statement", k=5, agency="agency1", topic="drones")
    assert rare
    assert all(int(hit.doc_id[1:]) % 3 == 1 for hit in rare)
    assert index.search("statement 1234", k=1, agency="agency1")[0].doc_id == "d1234"
