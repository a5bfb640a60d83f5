"""Propositions: the conduct a statement denies or affirms, in a language-free form.

A proposition is a set of keys: practice concepts (`#drone`, `#protest`), shared by
all four languages, and Snowball stems of the other content words, which carry names
("clearview", "galileo") and words the concept lexicon does not know. Two propositions
match when their weighted keys overlap from both sides, so "drones over a protest"
matches "filmed the march from the air" but not "drones over lockdown parks".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.language.practices import PracticeLexicon
from bot.core.language.text import snowball

STRONG = 1.0
WEAK = 0.2
STEM = 0.1
NAME = 1.5
"""A capitalised word inside a sentence is most likely a name: a tool, a programme."""
FAMILY = 0.6
MIN_STEM = 4
MATCH = 0.5
MIN_OVERLAP_BASE = 2.0
KINDS = frozenset({"software", "app", "tool", "system", "technology"})
"""Weak concepts that name a kind of tool: a capitalised word after one is its name."""
"""The overlap of a thinner proposition is taken over at least this weight."""
"""Similarity from which two propositions are the same conduct."""


@dataclass(frozen=True, slots=True)
class Proposition:
    """Weighted keys: `#`-keys are concepts, `~`-keys weak concepts, the rest words."""

    keys: tuple[tuple[str, float], ...] = ()

    @property
    def normal(self) -> str:
        """The normalised form kept with the statement; names carry a trailing `^`."""
        ordered = sorted(self.keys, key=lambda kw: (-kw[1], kw[0]))
        return " ".join(f"{k}^" if w >= NAME else k for k, w in ordered)

    @property
    def concepts(self) -> frozenset[str]:
        return frozenset(k for k, _ in self.keys if k.startswith("#"))

    @property
    def weight(self) -> float:
        return sum(w for _, w in self.keys)

    def is_empty(self) -> bool:
        return not any(k.startswith("#") or w >= STEM for k, w in self.keys)

    def has_substance(self) -> bool:
        """Say whether it names something specific: a strong concept or a name."""
        return any(_specific(k, w) for k, w in self.keys)

    def union(self, other: Proposition) -> Proposition:
        merged = dict(self.keys)
        for key, weight in other.keys:
            merged[key] = max(weight, merged.get(key, 0.0))
        return Proposition(tuple(sorted(merged.items())))

    @classmethod
    def parse(cls, normal: str) -> Proposition:
        """Rebuild a stored proposition; weights follow from the key's kind."""
        return cls(tuple(sorted(_parsed(key) for key in normal.split())))

    def label(self) -> str:
        """A short readable phrase for alert headers: the strongest keys."""
        keys = [k.lstrip("#~") for k, _ in sorted(self.keys, key=lambda kw: (-kw[1], kw[0]))]
        return " ".join(keys[:4]).replace("_", " ")


def _parsed(key: str) -> tuple[str, float]:
    if key.endswith("^"):
        return key[:-1], NAME
    if key.startswith("#"):
        return key, STRONG
    if key.startswith("~"):
        return key, WEAK
    return key, STEM


def _specific(key: str, weight: float) -> bool:
    return key.startswith(("#", "@")) or weight >= NAME


def specific_shared(a: Proposition, b: Proposition) -> list[str]:
    """The concepts and names two propositions share."""
    weights_a, weights_b = dict(a.keys), dict(b.keys)
    return [
        k
        for k in sorted(set(weights_a) & set(weights_b))
        if _specific(k, max(weights_a[k], weights_b[k]))
    ]


def propose(
    folded: Sequence[str],
    raw: Sequence[str],
    language: str,
    practices: PracticeLexicon,
    ignore: Iterable[str] = (),
    skip: Iterable[int] = (),
    names: frozenset[str] = frozenset(),
) -> Proposition:
    """Return the proposition of a span of words.

    `ignore` holds words that are not content here (stopwords, cue words); `skip`
    holds positions to leave out (the agency's own name); `names` the words written
    as names elsewhere, which are names here too, also at the start of the span.
    """
    ignored = frozenset(ignore)
    skipped = set(skip)
    keys: dict[str, float] = {}
    covered: set[int] = set()
    hits = practices.hits(folded, language, skipped)
    for hit in hits:
        covered.update(range(hit.start, hit.end))
        if hit.concept in practices.weak:
            keys.setdefault(f"~{hit.concept}", WEAK)
        else:
            keys[f"#{hit.concept}"] = STRONG
        if hit.end - hit.start > 1:
            # "bulk interception", "op afstand … geblokkeerd": a phrase names a practice
            # and its words still name theirs, so other wordings of them match too.
            for i in range(hit.start, hit.end):
                part = practices.concept_of(folded[i], language) if len(folded[i]) >= 3 else None
                if part and part != hit.concept and part not in practices.weak:
                    keys.setdefault(f"#{part}", STRONG)
        if hit.end - hit.start == 1 and _is_name(raw, hit.start, language, folded, names):
            # A product keeps its name beside what it is: "Clearview" is face
            # recognition, but not every face recognition is Clearview.
            keys[folded[hit.start]] = NAME
    tools = {h.end for h in hits if h.concept in KINDS}
    for i, word in enumerate(folded):
        if i in covered or i in skipped or word in ignored:
            continue
        if len(word) < MIN_STEM or not word.isalpha():
            continue
        if _is_name(raw, i, language, folded, names) or (i in tools and raw[i][:1].isupper()):
            # "die Software Korvin", "de app Luca": a capital after the kind of tool is
            # its name, also in German, where every noun has one.
            keys[word] = NAME
        else:
            keys.setdefault(snowball(word, language), STEM)
    return Proposition(tuple(sorted(keys.items())))


def _is_name(
    raw: Sequence[str],
    i: int,
    language: str,
    folded: Sequence[str] = (),
    names: frozenset[str] = frozenset(),
) -> bool:
    """Say whether a word is written as a name: capitalised inside a sentence, or an acronym.

    German capitalises every noun: there only acronyms stand out as names. A word
    the report writes as a name elsewhere (`names`) is one at a sentence's start too.
    """
    word = raw[i]
    if word.isupper() and len(word) >= 3:
        return True
    if not word[:1].isupper() or word.isupper():
        return False
    if folded and folded[i] in names:
        return True
    return i > 0 and language != "de"


def similarity(a: Proposition, b: Proposition) -> tuple[float, tuple[str, ...]]:
    """Return how well two propositions match, in [0, 1], and the keys they share.

    The mean of the weighted Jaccard index and of the overlap with the smaller side:
    a short proposition inside a long article sentence still matches, two practices
    that share one concept but differ in another ("drones over a protest", "drones
    over a park in lockdown") do not.
    """
    if not a.keys or not b.keys:
        return 0.0, ()
    weights_a = dict(a.keys)
    weights_b = dict(b.keys)
    shared = sorted(set(weights_a) & set(weights_b))
    if not specific_shared(a, b):
        return 0.0, tuple(shared)
    for k in shared:
        if max(weights_a[k], weights_b[k]) >= NAME:
            # A word written as a name on one side is that name on the other too, where
            # the language does not show it ("Korvin" in German, at a sentence's start).
            weights_a[k] = weights_b[k] = NAME
    common = sum(min(weights_a[k], weights_b[k]) for k in shared)
    union = sum(max(weights_a.get(k, 0.0), weights_b.get(k, 0.0)) for k in {*weights_a, *weights_b})
    jaccard = common / union
    # A proposition of one concept ("regulators") is too thin to match on its own.
    overlap = common / max(min(sum(weights_a.values()), sum(weights_b.values())), MIN_OVERLAP_BASE)
    return round(min(1.0, 0.3 * jaccard + 0.7 * overlap), 3), tuple(shared)


def coverage(topic: Proposition, text: Proposition) -> tuple[float, tuple[str, ...]]:
    """Return how much of a watched topic's keys a text's proposition carries."""
    if not topic.keys:
        return 0.0, ()
    weights = dict(text.keys)
    shared = tuple(k for k, _ in topic.keys if k in weights)
    if not any(_specific(k, max(w, weights[k])) for k, w in topic.keys if k in weights):
        return 0.0, shared
    common = sum(w for k, w in topic.keys if k in weights)
    return round(common / topic.weight, 3), shared


def with_families(proposition: Proposition, practices: PracticeLexicon) -> Proposition:
    """Add each concept's family ("@air" for drones, helicopters, aerial filming).

    Used to recognise a watched practice described with kindred words ("filmed from
    the air" for drone surveillance); never to pair two statements.
    """
    extra = {
        f"@{practices.related[k[1:]]}": FAMILY
        for k, _ in proposition.keys
        if k.startswith("#") and k[1:] in practices.related
    }
    return proposition.union(Proposition(tuple(sorted(extra.items()))))


def reason(shared: Sequence[str]) -> str:
    """One line on why two statements matched: the concepts they share."""
    words = [k.lstrip("#~").replace("_", " ") for k in shared if not k.startswith("~")]
    return ", ".join(words[:6])
