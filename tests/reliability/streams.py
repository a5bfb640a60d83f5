"""Synthetic report streams in English, Dutch, French and German, and the undisturbed run.

Made-up agencies and tools, so nothing depends on (or copies) the shared data; each
(agency, topic) pair gets a short story of denials and confirmations in random
languages, mixed with reports that carry no statement at all.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from adapters.memory import MemoryAdapter
from bot.app.clock import FixedClock
from bot.app.delivery import DeliveryWorker
from bot.app.pipeline import Pipeline
from bot.core.alerts import DEFAULT_GROUP_WINDOW
from bot.core.domain import (
    Agency,
    AgencyName,
    Channel,
    Report,
    ReportId,
    Subscription,
    Topic,
    TopicName,
    Watchlist,
)
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.core.records import DeliveryStatus
from storage.memory_store import MemoryStore

AGENCIES = (
    ("Zephyr Regional Police", "XA"),
    ("Korvania Border Guard", "XB"),
    ("Ostmark Customs Office", "XC"),
    ("Valdoria Intelligence Service", "XD"),
    ("Brennholt Municipal Police", "XE"),
    ("Quillon Coast Guard", "XF"),
    ("Tavaris Prison Service", "XG"),
    ("Mirelund Tax Authority", "XH"),
)
TOPICS = (
    "Clearview AI",
    "Pegasus spyware",
    "Palantir Gotham",
    "Cellebrite UFED",
    "ShotSpotter",
    "FinFisher",
)
DENIALS = {
    "en": "A spokesperson for the {a} said the force had never used {t}.",
    "nl": "Een woordvoerder van de {a} zei dat de politie nooit {t} heeft gebruikt.",
    "fr": "Un porte-parole de la {a} a affirmé que le service n'a jamais utilisé {t}.",
    "de": "Ein Sprecher der {a} sagte, die Behörde habe {t} nie eingesetzt.",
}
CONFIRMATIONS = {
    "en": "The interior minister confirmed that the {a} had used {t} since last year.",
    "nl": "De minister bevestigde dat de {a} {t} heeft gebruikt.",
    "fr": "Le ministre a confirmé que la {a} a utilisé {t}.",
    "de": "Der Minister bestätigte, dass die {a} {t} eingesetzt hat.",
}
NOISE = {
    "en": "The city council discussed the budget for road repairs on {d}.",
    "nl": "De gemeenteraad besprak op {d} de begroting voor wegenonderhoud.",
    "fr": "Le conseil municipal a débattu le {d} du budget des routes.",
    "de": "Der Stadtrat beriet am {d} über den Haushalt für Straßenreparaturen.",
}
LANGUAGES = tuple(DENIALS)


DELIVERED = frozenset({DeliveryStatus.SENT, DeliveryStatus.COALESCED})
"""A delivery that reached its channel: sent, or an edit a later edit of the lead carried."""


def watchlist() -> Watchlist:
    return Watchlist(
        tuple(Agency(AgencyName(a), c) for a, c in AGENCIES),
        tuple(Topic(TopicName(t)) for t in TOPICS),
    )


def stream(
    count: int, seed: int = 11, *, pairs: int | None = None, noise: float = 0.3
) -> list[Report]:
    """`count` reports in publication order; most pairs see 1-4 alternating statements."""
    rng = random.Random(seed)
    all_pairs = [(a, t) for a, _ in AGENCIES for t in TOPICS]
    rng.shuffle(all_pairs)
    chosen = all_pairs[:pairs] if pairs else all_pairs
    reports: list[Report] = []
    start = date(2020, 1, 1)
    for n in range(count):
        day = start + timedelta(days=n // 4)
        language = rng.choice(LANGUAGES)
        if rng.random() < noise:
            text = NOISE[language].format(d=day.isoformat())
        else:
            agency, topic = rng.choice(chosen)
            # Denials are more common than confirmations, as in the news.
            templates = DENIALS if rng.random() < 0.6 else CONFIRMATIONS
            text = templates[language].format(a=agency, t=topic)
        reports.append(
            Report(
                ReportId(f"syn-{n:05d}"),
                day,
                f"Wire {n % 17}",
                f"https://news.example/{n}",
                language,
                "",
                text,
            )
        )
    return reports


def report_document(report: Report) -> dict[str, str]:
    return {
        "id": report.id,
        "published": report.published.isoformat(),
        "source": report.source,
        "url": report.url,
        "language": report.language or "",
        "title": report.title,
        "text": report.text,
    }


async def undisturbed(
    reports: list[Report],
    listing: Watchlist,
    channel: Channel,
    *,
    group_window: timedelta = DEFAULT_GROUP_WINDOW,
    step_seconds: float = 0.0,
) -> tuple[Counter[str], Counter[str]]:
    """What an undisturbed run posts and edits in `channel`: the delivery keys posted,
    and those applied as edits of a lead; reports arrive `step_seconds` apart."""
    store = MemoryStore()
    store.save_watchlist(listing)
    store.add_subscription(Subscription(channel))
    clock = FixedClock()
    pipeline = Pipeline(store, clock, load_lexicons(), load_vocabulary(), group_window=group_window)
    adapter = MemoryAdapter(platform=channel.platform)
    worker = DeliveryWorker(store, {channel.platform: adapter}, clock, channel_interval=0.0)
    for report in reports:
        pipeline.ingest(report)
        clock.advance(timedelta(seconds=step_seconds))
    while await worker.run_once(200):
        pass
    assert all(d.status in DELIVERED for d in store.deliveries())
    posted = Counter(p.delivery_key for p in adapter.posts)
    edited = Counter(d.key for d in store.deliveries() if d.update)
    return posted, edited
