"""Agencies the watchlist does not name, recognised by their form.

An institution head ("police", "politie", "Polizei", "ministère", "Bundespolizei")
with its country, city or proper-name qualifier ("Slovenian police", "Polizei Mainz",
"police slovène") gets one canonical name across languages: qualifier first, then
the English words of its concepts ("SI police", "Mainz police"). A named subject of a
denial or admission without an institution head ("Acme denied", "Acme a démenti")
is an organisation too, under its own name, so companies are tracked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.keys import name_key
from bot.core.mentions import Mention, Words

INSTITUTIONS = frozenset(
    {
        "#police",
        "#ministry",
        "#service",
        "#intelligence",
        "#office",
        "#agency",
        "#authority",
        "#army",
        "#guard",
        "#customs",
        "#prefecture",
        "#gendarmerie",
        "#prosecutor",
        "#government",
    }
)
"""Concepts that head an institution's name."""
MODIFIERS = frozenset(
    {
        "#federal",
        "#national",
        "#security",
        "#interior",
        "#justice",
        "#defence",
        "#central",
        "#corruption",
        "#border",
        "#criminal",
        "#state",
        "#protection",
        "#data",
        "#privacy",
        "#local",
        "#city",
        "#tax",
    }
)
"""Concepts that narrow an institution head down ("federal", "criminal", "border")."""
NAME_PARTS = INSTITUTIONS | MODIFIERS
"""Concepts that stand together in one institution's name."""
TRAILING_NEVER = frozenset({"#data"})
"""Modifiers that never follow their head: "de politie gegevens" are the police's data."""
GENERIC = frozenset({"#office", "#service", "#authority", "#agency"})
"""Heads that name a body only with a qualifier ("Swiss Federal Office", not "office")."""
DEPARTMENTS = frozenset({"department", "departement", "departments"})
"""Words that make a ministry of a head alone, but a unit of a police force beside it."""
REACH = 3
"""How far from the head a qualifier may stand."""
_ADJECTIVE_ENDINGS = ("ers", "er", "ois", "oise", "se", "s")


@dataclass(frozen=True, slots=True)
class Organisation:
    """An agency recognised by its form: canonical name and where it stands."""

    name: str
    start: int
    end: int
    country: str
    qualified: bool
    """It carries a country, city or proper name; a bare "the police" does not."""
    concepts: frozenset[str] = frozenset()

    def mention(self, confidence: float) -> Mention:
        return Mention(self.name, self.start, self.end, confidence)


def find_organisations(
    words: Words,
    stopwords: frozenset[str],
    report_country: str,
    is_title: bool = False,
    cities: Mapping[str, str] | None = None,
    possessives: frozenset[str] = frozenset(),
    text: str = "",
    practices: frozenset[int] = frozenset(),
) -> list[Organisation]:
    """Return the institutions named in a sentence, each under its canonical name.

    `stopwords` are words that never qualify a head (function words, months, days);
    `text`, the sentence as written, shows where punctuation parts a head from the
    word after it ("das Innenministerium, Bedenken …"); `practices`, the positions of
    words naming a practice, never a name ("hat die Polizei Drohnen eingesetzt").
    """
    cities = cities or {}
    found: list[Organisation] = []
    heads = [i for i, keys in enumerate(words.keys) if INSTITUTIONS.intersection(keys)]
    used: set[int] = set()
    for i in heads:
        if i in used:
            continue
        start, end = i, i + 1
        concepts = set(_concepts(words.keys[i]))
        # Adjacent heads and modifiers belong to one name ("federal criminal police office").
        j = i + 1
        while j < len(words.keys) and (NAME_PARTS - TRAILING_NEVER).intersection(words.keys[j]):
            concepts.update(_concepts(words.keys[j]))
            used.add(j)
            end = j + 1
            j += 1
        j = i - 1
        while j >= 0:
            if NAME_PARTS.intersection(words.keys[j]):
                concepts.update(_concepts(words.keys[j]))
                start = j
                j -= 1
                continue
            # "Bundesamt für Polizei", "Office fédéral de la police": a linking word
            # (and its article) between two parts of one name.
            k = j - 1 if words.folded[j] in _ARTICLES and j > 0 else j
            if words.folded[k] in _LINKS and k > 0 and NAME_PARTS.intersection(words.keys[k - 1]):
                j = k - 1
                continue
            break
        if "#police" in concepts and any(words.folded[k] in DEPARTMENTS for k in range(start, end)):
            concepts.discard("#ministry")  # a police department is a police force
        country = _country_near(words, start, end)
        proper, at = _proper_near(words, start, end, stopwords, is_title, text, practices)
        if at >= 0:
            start, end = min(start, at), max(end, at + 1)
        city = cities.get(proper) or cities.get(proper + "s") if proper else None
        if proper and not city:
            # "Tokyo's Metropolitan Police": a known city before the name places it.
            city = next((c for p, c in words.cities if at - 2 <= p < at), None)
        if city:
            # "Parijse politie", "police de Paris": a city's exonyms differ, its
            # country does not.
            proper, country = "", city
        owned = start > 0 and words.folded[start - 1] in possessives
        bare_department = all(words.folded[k] in DEPARTMENTS for k in range(start, end))
        if (concepts <= GENERIC or bare_department) and (owned or not (proper or country)):
            # "office computers", "the service", "its Amsterdam office": too generic,
            # or a place owned by someone, to name a body; "the service" and "the
            # department" (of a police force as often as of a government) refer back.
            continue
        if not proper:
            # "In de Duitse stad Mainz heeft de politie …", "police in the German city
            # of Mainz": the town the sentence names is where its force is.
            proper = _town_named(words, start, end, stopwords)
        if not (proper or country):
            # The report's one country, else a national body's own name ("de federale
            # politie", "die Bundespolizei"), says where a body is that the text places
            # nowhere.
            country = report_country or next(
                (c for s, e, c in words.bodies if s < end and start < e), ""
            )
        qualifier = proper or country
        if proper and not country:
            country = next(
                (c for p, c in words.cities if p in range(start - REACH, end + REACH)), ""
            )
        name = _canonical(qualifier, concepts)
        found.append(
            Organisation(name, start, end, country, bool(proper or country), frozenset(concepts))
        )
    return found


def subject_before(
    words: Words, cue: int, stopwords: frozenset[str], names: frozenset[str]
) -> Organisation | None:
    """Return the named subject right before a cue ("Acme denied", "Acme a démenti").

    A capital is evidence of a name only where the language does not capitalise
    anyway: at the start of a sentence, or on a German noun, the word must also be
    written as a name elsewhere in the report (`names`), or be an acronym.
    """
    end = cue
    while end > 0 and cue - end < 2 and words.folded[end - 1] in stopwords:
        end -= 1  # an auxiliary between subject and verb: "Acme has denied", "Acme a nié"
    start = end
    while start > 0 and end - start < 4 and _is_name(words.raw[start - 1]):
        start -= 1
    if start == end or words.folded[start] in stopwords:
        return None
    if any(k.startswith("#") for keys in words.keys[start:end] for k in keys):
        return None  # "Drones", "Surveillance": a practice or an institution word
    if not all(
        w in names or r.isupper()
        for w, r in zip(words.folded[start:end], words.raw[start:end], strict=True)
    ):
        return None
    return Organisation(" ".join(words.raw[start:end]), start, end, "", True)


def names_in(words: Sequence[Words], language: str) -> frozenset[str]:
    """Return the words a report writes as names: capitalised inside a sentence.

    German capitalises every noun, so there only acronyms count.
    """
    found: set[str] = set()
    for w in words:
        for i in range(1, len(w.raw)):
            raw = w.raw[i]
            if (raw.isupper() and len(raw) >= 2) or (
                language != "de" and raw[:1].isupper() and raw[1:].islower()
            ):
                found.add(w.folded[i])
    return frozenset(found)


def _is_name(raw: str) -> bool:
    return raw[:1].isupper() and raw.isalpha()


def _concepts(keys: Sequence[str]) -> list[str]:
    return [k for k in keys if k in INSTITUTIONS or k in MODIFIERS]


def _country_near(words: Words, start: int, end: int) -> str:
    near = [
        (min(abs(pos - start), abs(pos - (end - 1))), code)
        for pos, code in words.countries
        if start - REACH <= pos < end + REACH
    ]
    return min(near)[1] if near else ""


_ARTICLES = frozenset({"the", "la", "le", "l", "de", "het", "die", "der", "des"})
_LINKS = frozenset(
    {"of", "in", "van", "uit", "voor", "de", "du", "des", "von", "der", "aus", "fur", "for"}
)
"""Words that may stand between a head and the place that qualifies it."""


def _proper_near(
    words: Words,
    start: int,
    end: int,
    stopwords: frozenset[str],
    is_title: bool,
    text: str = "",
    practices: frozenset[int] = frozenset(),
) -> tuple[str, int]:
    """Return the name qualifying a head: "Mainz" in "Polizei Mainz" and "Mainzer Polizei".

    Only the word right before the head, the word right after it, or the word after
    a linking preposition ("police of Mainz", "politie van Zeestad") qualifies it:
    "fines police over Clearview" names a tool, not the police.
    """
    places = {pos for pos, _ in words.countries}
    after = [end]
    if end < len(words.folded) and words.folded[end] in _LINKS:
        after.append(end + 1)
        if end + 1 < len(words.folded) and words.folded[end + 1] in _ARTICLES:
            after.append(end + 2)  # "service de renseignement de la Confédération"
    for pos in (*after, start - 1):
        if not 0 <= pos < len(words.raw):
            continue
        raw = words.raw[pos]
        folded = words.folded[pos]
        if pos in practices or not _plain_name(words, pos, stopwords, places):
            continue
        if INSTITUTIONS.intersection(words.keys[pos]):
            continue  # "Innenministerium" is another body; "Portville" holds "ville" only
        if pos == 0 and not is_title:
            continue  # a capital at the start of a sentence is no evidence
        if pos >= end and not raw.isupper() and _parted(text, words.raw[end - 1], raw):
            continue  # "das Innenministerium, Bedenken von …": another clause's word
        return base_name(folded), pos
    return "", -1


def _town_named(words: Words, start: int, end: int, stopwords: frozenset[str]) -> str:
    """Return the town a sentence names as one ("the city of Mainz", "de stad Mainz",
    "la ville de Nantes", "die Stadt Mainz") outside the institution's own name."""
    places = {pos for pos, _ in words.countries}
    for k, keys in enumerate(words.keys):
        if "#city" not in keys or start <= k < end:
            continue
        at = k + 1
        if at < len(words.folded) and words.folded[at] in _LINKS:
            at += 1
        if at < len(words.raw) and _plain_name(words, at, stopwords, places):
            return words.folded[at]
    return ""


def _plain_name(words: Words, pos: int, stopwords: frozenset[str], places: set[int]) -> bool:
    """Say whether a word is written as a name of its own: capitalised, no country, no
    function word, and no concept by itself ("Portville" only holds "ville")."""
    return (
        pos not in places
        and _is_name(words.raw[pos])
        and words.folded[pos] not in stopwords
        and not words.keys[pos][0].startswith("#")
    )


def _parted(text: str, head: str, after: str) -> bool:
    """Say whether the sentence puts punctuation between a head and the word after it.

    Brackets do not part them: "Intelligence (DSN)" gives the body its own acronym,
    as an acronym after a comma does ("the Security Service, AIVD, …").
    """
    return (
        bool(text)
        and re.search(re.escape(head) + r"\s*[,;:\"«»„“”]\s*" + re.escape(after), text) is not None
    )


def base_name(folded: str) -> str:
    """Strip an adjective ending off a place name ("mainzer" -> "mainz") for lookups."""
    for ending in _ADJECTIVE_ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= 4:
            return folded[: -len(ending)]
    return folded


def _canonical(qualifier: str, concepts: set[str]) -> str:
    ordered = sorted((c.lstrip("#") for c in concepts), key=lambda c: (f"#{c}" in INSTITUTIONS, c))
    head = " ".join(ordered)
    if not qualifier:
        return head
    shown = qualifier if qualifier.isupper() else qualifier.title()
    return f"{shown} {head}"


def _open_parts(name: str) -> tuple[str, frozenset[str]] | None:
    """Split a canonical open name ("SE authority police", "New York city police") into
    its qualifier and its concepts: the concepts are the words at the end."""
    words = name.split()
    cut = len(words)
    while cut > 1 and f"#{words[cut - 1].casefold()}" in NAME_PARTS:
        cut -= 1
    if cut == len(words) or f"#{words[-1].casefold()}" not in INSTITUTIONS:
        return None
    if all(f"#{w.casefold()}" in NAME_PARTS for w in words[:cut]):
        return None  # "National Security Agency", "federal police": no qualifier at all
    qualifier = " ".join(words[:cut]).casefold()
    return qualifier, frozenset(f"#{w.casefold()}" for w in words[cut:])


def narrower(general: str, specific: str) -> bool:
    """Say whether `specific` names the body `general` names, more precisely.

    "NL national police" narrows "NL police"; both narrow a bare "police" or "national
    police", which names no country at all.
    """
    parts = _open_parts(specific)
    if parts is None or name_key(general) == name_key(specific):
        return False
    general_parts = _open_parts(general)
    if general_parts is None:
        words = name_key(general).split()
        if not all(f"#{w}" in NAME_PARTS for w in words):
            return False
        concepts = frozenset(f"#{w}" for w in words)
        return bool(concepts & INSTITUTIONS) and concepts <= parts[1]
    return (
        general_parts[0] == parts[0]
        and bool(general_parts[1] & INSTITUTIONS)
        and general_parts[1] < parts[1]
    )


def agency_block(name: str) -> str:
    """Return the key prefix under which an agency's possible namesakes are stored.

    An institution recognised by its form is blocked by its qualifier ("SE", "Mainz"),
    so "SE police" finds "SE authority police"; any other name by itself.
    """
    parts = _open_parts(name)
    return f"{parts[0]} " if parts else name


@lru_cache(maxsize=1 << 16)
def same_agency(a: str, b: str) -> bool:
    """Say whether two agency names denote one organisation.

    Equal keys do; two institutions recognised by their form do when they share a
    qualifier and an institution head and one name holds all the other's concepts
    ("NL police" and "NL national police"), a bare form being the less specific one.
    """
    if name_key(a) == name_key(b):
        return True
    ka, kb = name_key(a), name_key(b)
    if (" " not in ka and kb.split()[0] == ka) or (" " not in kb and ka.split()[0] == kb):
        # "AIVD" and "Aivd security service": a body's own name and its name with a head.
        return _open_parts(b if " " not in ka else a) is not None
    pa, pb = _open_parts(a), _open_parts(b)
    if pa is None or pb is None or pa[0] != pb[0]:
        return False
    ca, cb = _bodies_of(pa[1]), _bodies_of(pb[1])
    if not ca & cb & (INSTITUTIONS | {BODY}):
        return False
    return ca <= cb or cb <= ca


BODY = "#body"
"""What "authority", "service", "office" and "agency" all name: the NL tax authority is
the NL tax service is the NL tax office."""


def _bodies_of(concepts: frozenset[str]) -> frozenset[str]:
    """Concepts with the generic heads taken as one ("its services" are the security
    service the report names; the tax office is the tax authority)."""
    if not concepts & GENERIC:
        return concepts
    return (concepts - GENERIC) | {BODY}


def expand_acronyms(
    acronyms: Iterable[str], spelled: Iterable[tuple[str, Sequence[str]]]
) -> dict[str, str]:
    """Map each acronym a report uses to the institution it spells out there.

    "NYPD" is the "New York City Police Department" of the same report: its letters are
    the initials of the capitalised words of the name, in order, from the first to the
    last, with at most one initial left out ("City").
    """
    found: dict[str, str] = {}
    for acronym in acronyms:
        for name, raw in spelled:
            initials = "".join(w[0] for w in raw if w[:1].isupper())
            if _spells(acronym, initials):
                found[acronym] = name
                break
    return found


def _spells(acronym: str, initials: str) -> bool:
    if not acronym or len(acronym) < 2 or len(initials) - len(acronym) not in (0, 1):
        return False
    if acronym[0] != initials[0] or acronym[-1] != initials[-1]:
        return False
    letters = iter(initials)
    return all(any(c == i for i in letters) for c in acronym)
