"""Chat commands carried out against the store: claims, permissions, audit."""

from __future__ import annotations

import pytest

from bot.app.clock import FixedClock
from bot.app.command_service import CommandService
from bot.app.pipeline import Pipeline
from bot.app.ports import CommandRequest, Refused
from bot.core.domain import AlertKey, Channel, ChannelId
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.core.records import Verdict
from storage.memory_store import MemoryStore

DESK = Channel("memory", ChannelId("desk"))


def _service(admins: frozenset[str] = frozenset()) -> tuple[CommandService, MemoryStore]:
    store, clock = MemoryStore(), FixedClock()
    pipeline = Pipeline(store, clock, load_lexicons(), load_vocabulary())
    return CommandService(store, pipeline, clock, admins=admins), store


async def test_recorded_claims_contradict_each_other() -> None:
    service, store = _service()
    first = await service.handle(
        CommandRequest("memory", DESK, "U1", "claim NSA | phone records | denies | We do not")
    )
    second = await service.handle(
        CommandRequest("memory", DESK, "U1", "claim NSA | phone records | affirms | It did")
    )
    assert first.ok and "contradicts" not in first.text
    assert "contradicts 1 earlier" in second.text
    assert len(store.all_statements()) == 2
    assert [e.action for e in store.audit_events()] == ["claim", "claim"]


async def test_non_admins_are_refused_and_the_refusal_is_audited() -> None:
    service, store = _service(admins=frozenset({"U-ADMIN"}))
    reply = await service.handle(CommandRequest("memory", DESK, "U2", "watch topic Pegasus"))
    assert not reply.ok and reply.text.startswith("Permission denied")
    assert store.watchlist().topics == ()
    assert [e.detail.startswith("denied") for e in store.audit_events()] == [True]


async def test_read_only_forms_stay_open_to_everyone() -> None:
    service, store = _service(admins=frozenset({"U-ADMIN"}))
    reply = await service.handle(CommandRequest("memory", DESK, "U2", "feeds list"))
    assert reply.ok and reply.text == "No feeds."
    assert store.audit_events() == []


async def test_a_mute_by_feedback_passes_the_same_gate_as_the_mute_command() -> None:
    service, store = _service(admins=frozenset({"U-ADMIN"}))
    key = AlertKey("belgian federal police|clearview ai")
    with pytest.raises(Refused, match="Only denialwatch admins"):
        await service.feedback(key, DESK, "U2", Verdict.MUTED)
    assert store.silences() == [] and store.feedback() == []
    [event] = store.audit_events()
    assert (event.actor, event.action) == ("memory:U2", "feedback")
    assert event.detail == f"denied: muted {key}"

    await service.feedback(key, DESK, "U2", Verdict.CONFIRMED)
    await service.feedback(key, DESK, "U-ADMIN", Verdict.MUTED)
    assert [f.verdict for f in store.feedback()] == [Verdict.CONFIRMED, Verdict.MUTED]


async def test_without_admins_anyone_may_mute_by_feedback() -> None:
    service, store = _service()
    await service.feedback(AlertKey("k"), DESK, "U2", Verdict.MUTED)
    assert [f.user for f in store.feedback()] == ["U2"]


async def test_a_chat_claim_under_an_alias_contradicts_the_watched_agencys_denial() -> None:
    from bot.core.domain import Agency, AgencyName, Topic, TopicName, Watchlist

    service, store = _service()
    store.save_watchlist(
        Watchlist(
            (Agency(AgencyName("Belgian Federal Police"), "BE", ("Federale Politie",)),),
            (Topic(TopicName("Clearview AI"), ("Clearview",)),),
        )
    )
    first = await service.handle(
        CommandRequest(
            "memory", DESK, "U1", "claim Belgian Federal Police | Clearview AI | denies | No."
        )
    )
    second = await service.handle(
        CommandRequest("memory", DESK, "U1", "claim federale politie | clearview | affirms | Wel.")
    )
    assert first.ok and second.ok
    assert "Belgian Federal Police affirms Clearview AI" in second.text
    assert "contradicts 1 earlier" in second.text
