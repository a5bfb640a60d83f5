"""Extraction benchmarks: cost against watchlist size, and replay against a measured floor.

The watchlist benchmark extracts the same reports with 10, 200 and 1,000 watched
names: the real names of a data set's watchlist padded with synthetic agencies and
topics named in English, Dutch, French and German (invented places and products, so
no text is copied). The throughput benchmark replays reports through the live
pipeline and compares it with a floor measured in the same run on the same reports:
tokenising and lowercasing them and inserting them into SQLite in one transaction.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.core.domain import Agency, AgencyName, Report, ReportId, Topic, TopicName, Watchlist
from bot.core.extraction import Extractor
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.core.language.text import tokens
from bot.entry.replay import replay

_PLACE_HEADS = (
    "Kreuz",
    "Linde",
    "Oster",
    "Wester",
    "Rosen",
    "Eichen",
    "Brem",
    "Dorn",
    "Falken",
    "Hagen",
    "Sonnen",
    "Wald",
    "Aal",
    "Beaure",
    "Mont",
    "Val",
    "Roche",
    "Clair",
    "Zand",
    "Vlie",
    "Meer",
    "Hooge",
    "Gries",
    "Tann",
    "Quell",
)
_PLACE_TAILS = (
    "feld",
    "münde",
    "dorf",
    "burg",
    "stadt",
    "hausen",
    "heim",
    "bach",
    "ingen",
    "wijk",
    "dam",
    "hoven",
    "rode",
    "veen",
    "mont",
    "court",
    "ville",
    "lac",
    "pont",
    "mer",
)
_BRAND_HEADS = (
    "Veri",
    "Lumi",
    "Octa",
    "Nexo",
    "Quor",
    "Zephy",
    "Talo",
    "Sento",
    "Argo",
    "Vigi",
    "Pano",
    "Criso",
    "Helio",
    "Maxi",
    "Omni",
    "Strato",
    "Trax",
    "Voxi",
    "Kryo",
    "Irido",
)
_BRAND_TAILS = (
    "scan",
    "trace",
    "sight",
    "lytics",
    "vault",
    "gate",
    "eye",
    "net",
    "sense",
    "watch",
    "mind",
    "guard",
    "cast",
    "print",
    "match",
)
_AGENCY_FORMS = (
    ("{p} Police", "", "en"),
    ("{p} Police Department", "{i}PD", "en"),
    ("{p} County Sheriff's Office", "", "en"),
    ("{p} Port Authority", "", "en"),
    ("Politie {p}", "", "nl"),
    ("Gemeentepolitie {p}", "", "nl"),
    ("Openbaar Ministerie {p}", "", "nl"),
    ("Police municipale de {p}", "", "fr"),
    ("Gendarmerie de {p}", "", "fr"),
    ("Parquet de {p}", "", "fr"),
    ("Polizei {p}", "", "de"),
    ("Stadtpolizei {p}", "", "de"),
    ("Staatsanwaltschaft {p}", "", "de"),
    ("Landeskriminalamt {p}", "LKA {p}", "de"),
)
_AGENCY_ALIASES = {
    "en": ("{p} City Police",),
    "nl": ("Regionale eenheid {p}",),
    "fr": ("Commissariat de {p}",),
    "de": ("Polizeipräsidium {p}",),
}
_COUNTRIES = {
    "en": ("GB", "IE", "US", "CA"),
    "nl": ("NL", "BE"),
    "fr": ("FR", "BE", "CH", "LU"),
    "de": ("DE", "AT", "CH"),
}
_NAMED_TOPIC_FORMS = (
    ("{b}", "{b} AI"),
    ("Project {b}", "{b}"),
    ("Projet {b}", ""),
    ("Projekt {b}", ""),
    ("Programma {b}", ""),
)
"""Topics named by a product or programme alone, describing no practice."""
_TOPIC_FORMS = (
    *_NAMED_TOPIC_FORMS,
    ("{b} spyware", "{b}"),
    ("{b} facial recognition", ""),
    ("{b} predictive policing software", ""),
    ("Drone surveillance of the {p} marathon", ""),
    ("{b}-software", ""),
    ("gezichtsherkenning van {b}", ""),
    ("cameratoezicht in {p}", ""),
    ("logiciel espion {b}", "{b}"),
    ("reconnaissance faciale {b}", ""),
    ("vidéosurveillance à {p}", ""),
    ("Spähsoftware {b}", "{b}"),
    ("Gesichtserkennung von {b}", ""),
    ("Videoüberwachung in {p}", ""),
)


def _places() -> list[str]:
    return [head + tail for head in _PLACE_HEADS for tail in _PLACE_TAILS]


def _brands() -> list[str]:
    return [head + tail for head in _BRAND_HEADS for tail in _BRAND_TAILS]


def synthetic_watchlist(count: int, seed: int = 0, *, practices: bool = True) -> Watchlist:
    """Return `count` invented watched names, half agencies and half topics, in four languages.

    With `practices` some topics describe a practice ("Spähsoftware Veriscan",
    "vidéosurveillance à Montlac"), as real watchlists do; without, every topic is a
    product or programme name that no text about another one can be taken for.
    """
    rng = random.Random(seed)
    topic_forms = _TOPIC_FORMS if practices else _NAMED_TOPIC_FORMS
    agencies: dict[str, Agency] = {}
    topics: dict[str, Topic] = {}
    places, brands = _places(), _brands()
    while len(agencies) < count // 2:
        template, acronym, language = rng.choice(_AGENCY_FORMS)
        place = rng.choice(places)
        name = template.format(p=place)
        if name in agencies:
            continue
        aliases = [
            alias.format(p=place) for alias in _AGENCY_ALIASES[language] if rng.random() < 0.3
        ]
        if acronym:
            aliases.append(acronym.format(p=place, i=place[0]))
        country = rng.choice(_COUNTRIES[language])
        agencies[name] = Agency(AgencyName(name), country, tuple(aliases))
    while len(topics) < count - count // 2:
        template, alias = rng.choice(topic_forms)
        brand, place = rng.choice(brands), rng.choice(places)
        name = template.format(b=brand, p=place)
        if name in topics:
            continue
        named = (alias.format(b=brand, p=place),) if alias else ()
        topics[name] = Topic(TopicName(name), named)
    return Watchlist(tuple(agencies.values()), tuple(topics.values()))


def padded(base: Watchlist, names: int, seed: int = 0) -> Watchlist:
    """Return `base` cut or padded with synthetic names to `names` watched names in all."""
    own = len(base.agencies) + len(base.topics)
    if names <= own:
        agencies = base.agencies[: max(0, names - len(base.topics[: names // 2]))]
        return Watchlist(agencies, base.topics[: names - len(agencies)])
    extra = synthetic_watchlist(names - own, seed)
    taken = {a.name.casefold() for a in base.agencies} | {t.name.casefold() for t in base.topics}
    return Watchlist(
        base.agencies + tuple(a for a in extra.agencies if a.name.casefold() not in taken),
        base.topics + tuple(t for t in extra.topics if t.name.casefold() not in taken),
    )


def run_watchlist_bench(
    reports: Sequence[Report],
    base: Watchlist,
    sizes: Sequence[int] = (10, 200, 1_000),
    rounds: int = 5,
) -> list[dict[str, float | int | str]]:
    """Time extraction of the same reports with watchlists of each size.

    The sizes take turns, one pass each per round, so that load from elsewhere on a
    shared machine falls on all of them; each size's time is its fastest later pass.
    The first pass of each fresh extractor is reported apart (`first_pass_ms`).
    """
    lexicons, vocabulary = load_lexicons(), load_vocabulary()
    watchlists = [padded(base, size) for size in sizes]
    extractors = []
    build_s = []
    for watchlist in watchlists:
        started = time.perf_counter()
        # Each pass reads every text again: what is timed is reading, not remembering.
        extractors.append(Extractor(watchlist, lexicons, vocabulary, remember=0))
        build_s.append(time.perf_counter() - started)
    laps: list[list[float]] = [[] for _ in sizes]
    statements = [0 for _ in sizes]
    for lap in range(max(2, rounds)):
        for slot, extractor in enumerate(extractors):
            started = time.perf_counter()
            for report in reports:
                found = extractor.extract(report)
                if lap == 0:
                    statements[slot] += len(found.statements)
            laps[slot].append(time.perf_counter() - started)
    rows: list[dict[str, float | int | str]] = []
    for slot, watchlist in enumerate(watchlists):
        rows.append(
            {
                "names": len(watchlist.agencies) + len(watchlist.topics),
                "agencies": len(watchlist.agencies),
                "topics": len(watchlist.topics),
                "reports": len(reports),
                "first_pass_ms": round(1000 * laps[slot][0] / len(reports), 3),
                "ms_per_report": round(1000 * min(laps[slot][1:]) / len(reports), 3),
                "statements": statements[slot],
                "build_s": round(build_s[slot], 3),
            }
        )
    smallest = float(rows[0]["ms_per_report"])
    for row in rows:
        row["ratio"] = round(float(row["ms_per_report"]) / smallest, 2)
    return rows


def floor_seconds(reports: Sequence[Report]) -> float:
    """Time the floor: tokenise and lowercase the reports, insert them in one transaction."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        rows = [
            (report.id, report.text.lower(), " ".join(tokens(f"{report.title}\n{report.text}")))
            for report in reports
        ]
        connection = sqlite3.connect(Path(folder) / "floor.db")
        try:
            with connection:
                connection.execute(
                    "CREATE TABLE reports (id TEXT PRIMARY KEY, text TEXT, words TEXT)"
                )
                connection.executemany("INSERT INTO reports VALUES (?, ?, ?)", rows)
        finally:
            connection.close()
        return time.perf_counter() - started


def replay_seconds(reports: Sequence[Report], watchlist: Watchlist) -> tuple[float, int]:
    """Time `replay` of the reports; return the seconds and the contradictions found."""
    started = time.perf_counter()
    found = sum(1 for _ in replay(reports, watchlist))
    return time.perf_counter() - started, found


def run_throughput_bench(
    label: str, reports: Sequence[Report], watchlist: Watchlist
) -> dict[str, float | int | str]:
    """Replay reports/s against the floor measured on the same reports in the same run."""
    floor = min(floor_seconds(reports) for _ in range(3))
    seconds, contradictions = replay_seconds(reports, watchlist)
    words = sorted(len(tokens(report.text)) for report in reports)
    return {
        "stream": label,
        "reports": len(reports),
        "words": f"{words[0]}-{words[-1]}",
        "replay_reports_per_s": round(len(reports) / seconds, 1),
        "floor_reports_per_s": round(len(reports) / floor, 1),
        "floor_over_replay": round(seconds / floor, 1),
        "replay_s": round(seconds, 2),
        "contradictions": contradictions,
    }


def repeated(reports: Sequence[Report], count: int) -> list[Report]:
    """Return `count` reports: the given ones repeated under fresh ids, each copy's
    title numbered, so every copy is a text of its own that extraction reads (a text
    re-sent word for word would be read once)."""
    return [
        replace(
            reports[i % len(reports)],
            id=ReportId(f"{reports[i % len(reports)].id}-{i}"),
            title=f"{reports[i % len(reports)].title} ({i})",
        )
        for i in range(count)
    ]


def long_articles(reports: Sequence[Report], low: int = 600, high: int = 900) -> list[Report]:
    """Return the reports of `low` to `high` words, and pairs of shorter ones joined to be so.

    Two reports in one language joined (title of the first, both texts) read as one
    long article that retells a story; it keeps the later of the two dates.
    """

    def length(report: Report) -> int:
        return len(tokens(report.text))

    found = [r for r in reports if low <= length(r) <= high]
    rest = sorted((r for r in reports if length(r) < low), key=lambda r: (-length(r), r.id))
    used: set[str] = set()
    for first in rest:
        if first.id in used:
            continue
        for second in rest:
            if second.id in used or second.id == first.id or second.language != first.language:
                continue
            if low <= length(first) + length(second) <= high:
                used.update((first.id, second.id))
                found.append(
                    replace(
                        first,
                        id=ReportId(f"{first.id}+{second.id}"),
                        text=f"{first.text}\n\n{second.text}",
                        published=max(first.published, second.published),
                    )
                )
                break
    return found


def run_one_pair_bench(
    pair: Sequence[Report], watchlist: Watchlist, count: int = 3_000, store_url: str | None = None
) -> dict[str, float | int | str]:
    """Replay one denial and its contradiction re-sent `count` times under new ids.

    A scandal draws hundreds of reports retelling the same denial: work and stored
    pairs per report must stay bounded (at most the earliest, the latest and the best
    match), and each alert says how many earlier statements it also contradicts.
    """
    from storage.memory_store import MemoryStore
    from storage.migrate import upgrade
    from storage.sql_store import SqlStore

    reports = repeated(pair, count)
    if store_url is not None:
        upgrade(store_url)
    store = MemoryStore() if store_url is None else SqlStore(store_url)
    started = time.perf_counter()
    per_report: dict[str, int] = {}
    others = 0
    for contradiction in replay(reports, watchlist, store=store):
        per_report[contradiction.new.report_id] = per_report.get(contradiction.new.report_id, 0) + 1
        others = max(others, contradiction.others)
    seconds = time.perf_counter() - started
    return {
        "stream": f"one pair x {count}",
        "store": "memory" if store_url is None else store_url.split(":", 1)[0].split("+")[0],
        "reports": count,
        "replay_s": round(seconds, 2),
        "replay_reports_per_s": round(count / seconds, 1),
        "contradictions": sum(per_report.values()),
        "max_per_report": max(per_report.values(), default=0),
        "max_others_in_an_alert": others,
    }
