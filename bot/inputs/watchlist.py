"""Read and write watchlists in the JSON shape of data/dev/watchlist.json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.domain import Agency, AgencyName, Topic, TopicName, Watchlist
from bot.core.names import MAX_ALIASES, clean_name


class WatchlistError(ValueError):
    """A watchlist document is malformed."""


def parse_watchlist(data: Any) -> Watchlist:
    """Build a Watchlist from its JSON document, or raise WatchlistError."""
    if not isinstance(data, Mapping):
        raise WatchlistError("watchlist must be a JSON object with 'agencies' and 'topics'")
    agencies = tuple(_agency(a, i) for i, a in enumerate(_list(data, "agencies")))
    topics = tuple(_topic(t, i) for i, t in enumerate(_list(data, "topics")))
    return Watchlist(agencies=agencies, topics=topics)


def watchlist_document(watchlist: Watchlist) -> dict[str, Any]:
    """Return the JSON document of a watchlist."""
    return {
        "agencies": [
            {"name": a.name, "country": a.country, "aliases": list(a.aliases)}
            for a in watchlist.agencies
        ],
        "topics": [{"name": t.name, "aliases": list(t.aliases)} for t in watchlist.topics],
    }


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise WatchlistError(f"watchlist '{key}' must be a list")
    return value


def _name(entry: Any, kind: str, index: int) -> str:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise WatchlistError(f"watchlist {kind} #{index + 1} needs a string 'name'")
    name = clean_name(str(entry["name"]))
    if not name:
        raise WatchlistError(f"watchlist {kind} #{index + 1} has an empty name")
    return name


def _aliases(entry: Mapping[str, Any], kind: str, index: int) -> tuple[str, ...]:
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise WatchlistError(f"watchlist {kind} #{index + 1}: 'aliases' must be a list of strings")
    kept = tuple(dict.fromkeys(c for c in (clean_name(a) for a in aliases) if c))
    if len(kept) > MAX_ALIASES:
        raise WatchlistError(
            f"watchlist {kind} #{index + 1}: at most {MAX_ALIASES} aliases ({len(kept)} given)"
        )
    return kept


def _agency(entry: Any, index: int) -> Agency:
    name = _name(entry, "agency", index)
    country = entry.get("country", "") or ""
    if not isinstance(country, str):
        raise WatchlistError(f"watchlist agency #{index + 1}: 'country' must be a string")
    return Agency(AgencyName(name), country.strip().upper(), _aliases(entry, "agency", index))


def _topic(entry: Any, index: int) -> Topic:
    return Topic(TopicName(_name(entry, "topic", index)), _aliases(entry, "topic", index))
