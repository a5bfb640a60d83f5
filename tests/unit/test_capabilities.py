"""Optional adapter features are declared protocols, checked once at composition."""

from __future__ import annotations

from adapters.console import ConsoleAdapter
from adapters.matrix.adapter import MatrixAdapter
from adapters.memory import MemoryAdapter
from adapters.slack.adapter import SlackAdapter
from bot.app.ports import MessageFinder, PendingDeliveries, TextPoster
from storage.memory_store import MemoryStore


def test_each_adapter_declares_what_it_can_do_beyond_the_port() -> None:
    assert issubclass(SlackAdapter, MessageFinder) and issubclass(SlackAdapter, TextPoster)
    assert issubclass(MatrixAdapter, TextPoster) and not issubclass(MatrixAdapter, MessageFinder)
    assert issubclass(ConsoleAdapter, TextPoster)
    assert not isinstance(MemoryAdapter(), MessageFinder | TextPoster)


def test_the_stores_offer_a_read_only_outbox_view() -> None:
    assert isinstance(MemoryStore(), PendingDeliveries)
