"""Chat commands carried out against the store: claims, permissions, audit."""

from __future__ import annotations

from bot.app.clock import FixedClock
from bot.app.command_service import CommandService
from bot.app.pipeline import Pipeline
from bot.app.ports import CommandRequest
from bot.core.domain import Channel, ChannelId
from bot.core.language.resources import load_lexicons, load_vocabulary
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
