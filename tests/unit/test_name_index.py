"""The name index finds exactly the watched keys a scan over every key would find."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.name_index import KeyIndex, Postings, same

LETTERS = "abdeilnorstuüé"
words = st.text(alphabet=LETTERS, min_size=1, max_size=24)


def scanned(keys: list[str], word: str) -> set[str]:
    return {key for key in keys if same(key, word)}


@settings(max_examples=300, deadline=None)
@given(st.lists(words, min_size=1, max_size=60), st.data())
def test_the_index_finds_what_comparing_every_key_finds(
    keys: list[str], data: st.DataObject
) -> None:
    index = KeyIndex([*keys, "#police"])
    base = data.draw(st.sampled_from(keys))
    edits = data.draw(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(LETTERS)), max_size=4))
    word = base
    for at, letter in edits:
        at %= len(word) + 1
        # Alternate insertions and deletions, the two edits Indel similarity counts.
        word = word[:at] + letter + word[at:] if len(word) % 2 else word[:at] + word[at + 1 :]
    for probe in (word, base, data.draw(words)):
        assert set(index.matches(probe)) == scanned([*keys, "#police"], probe)


def test_a_close_spelling_finds_the_watched_key_and_a_short_one_only_itself() -> None:
    index = KeyIndex(["clearview", "bundespolizei", "#police", "nsa"])
    assert index.matches("clearviews") == ("clearview",)
    assert index.matches("bundespolize") == ("bundespolizei",)
    assert index.matches("#police") == ("#police",)
    assert index.matches("nsa") == ("nsa",)
    assert index.matches("nsb") == ()
    assert index.matches("#polic") == ()


def test_positions_list_each_word_once_per_key_in_order() -> None:
    index = KeyIndex(["#police", "bundes"])
    keys = [("bundespolizei", "bundes", "#police"), ("sagte",), ("#police",)]
    assert index.positions(keys) == {"bundes": [0], "#police": [0, 2]}


def test_postings_return_items_sharing_a_key_in_their_given_order() -> None:
    postings = Postings([("b", ["x", "y"]), ("a", ["z"]), ("c", ["y"])])
    assert postings.having(["y", "z"]) == ["b", "a", "c"]
    assert postings.having(["w"]) == []
