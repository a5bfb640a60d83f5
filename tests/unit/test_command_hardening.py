"""Chat commands under attack: lookalike names, credentials in feed URLs, alias floods."""

from __future__ import annotations

import pytest

from bot.app.clock import FixedClock
from bot.app.command_service import CommandService
from bot.app.pipeline import Pipeline
from bot.app.ports import CommandRequest
from bot.core.domain import Channel, ChannelId
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.core.names import MAX_ALIASES, clean_name, confusable_with, name_key
from bot.inputs.fetching import FetchError, SafeFetcher, redact_credentials
from storage.memory_store import MemoryStore

DESK = Channel("memory", ChannelId("desk"))
BELGIAN = "Belgian Federal Police"


def _service() -> tuple[CommandService, MemoryStore]:
    store, clock = MemoryStore(), FixedClock()
    pipeline = Pipeline(store, clock, load_lexicons(), load_vocabulary())
    fetcher = SafeFetcher(resolver=lambda host, port: ["93.184.215.14"])

    def check(url: str) -> None:
        try:
            fetcher.check_url(url)
        except FetchError as error:
            raise ValueError(str(error)) from None

    return CommandService(store, pipeline, clock, check_url=check), store


async def say(service: CommandService, text: str) -> tuple[bool, str]:
    reply = await service.handle(CommandRequest("memory", DESK, "U1", text))
    return reply.ok, reply.text


@pytest.mark.parametrize(
    "lookalike",
    [
        pytest.param("Ｂｅｌｇｉａｎ Federal Police", id="fullwidth"),
        pytest.param("Belgian Federal\u200b Police", id="zero-width-space"),
        pytest.param("Belgian\u202e Federal Police", id="bidi-override"),
    ],
)
async def test_a_normalised_twin_is_the_same_agency_not_a_new_one(lookalike: str) -> None:
    service, store = _service()
    await say(service, f"watch agency {BELGIAN} country=BE aka Federale Politie")
    ok, _ = await say(service, f"watch agency {lookalike}")
    assert ok
    (agency,) = store.watchlist().agencies
    assert (agency.name, agency.country, agency.aliases) == (BELGIAN, "BE", ("Federale Politie",))


async def test_a_cyrillic_lookalike_is_refused_naming_the_existing_agency() -> None:
    service, store = _service()
    await say(service, f"watch agency {BELGIAN} country=BE")
    ok, text = await say(service, "watch agency Веlgiаn Federal Police")  # Cyrillic В, а
    assert not ok
    assert BELGIAN in text and "looks like" in text
    assert [a.name for a in store.watchlist().agencies] == [BELGIAN]


def test_names_are_stored_clean() -> None:
    assert clean_name("  Ｐｏｌｉｃｅ\u200d  fédérale\u2066 ") == "Police fédérale"
    assert name_key("POLICE\ufeff") == "police"
    assert confusable_with("Clearview ΑΙ", ["Clearview AI"]) == "Clearview AI"  # Greek
    assert confusable_with("Clearview", ["Clearview AI"]) is None


async def test_too_many_aliases_are_refused() -> None:
    service, store = _service()
    aliases = ", ".join(f"alias {n}" for n in range(MAX_ALIASES + 1))
    ok, text = await say(service, f"watch topic Pegasus aka {aliases}")
    assert not ok and f"at most {MAX_ALIASES} aliases" in text
    assert store.watchlist().topics == ()


async def test_feed_urls_with_credentials_are_refused_and_never_audited_in_clear() -> None:
    service, store = _service()
    ok, text = await say(service, "feeds add http://user:secret@example.org/feed.rss")
    assert not ok
    assert "credentials" in text and "\n" not in text
    assert "secret" not in text
    assert store.feeds() == []
    assert all("secret" not in e.detail for e in store.audit_events())
    assert redact_credentials("see https://a:b@x.org/p") == "see https://***@x.org/p"


async def test_watch_reply_comes_after_the_watch_and_subscription_are_stored() -> None:
    service, store = _service()
    ok, _ = await say(service, "watch topic Clearview AI")
    assert ok
    assert [t.name for t in store.watchlist().topics] == ["Clearview AI"]
    assert [s.topic for s in store.subscriptions()] == ["Clearview AI"]
