"""In-memory chat adapter for tests: records posts, can fail on demand."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.app.ports import (
    AlertView,
    CommandHandler,
    CommandReply,
    CommandRequest,
    DeliveryError,
    Posted,
)
from bot.core.domain import Channel


@dataclass
class Sent:
    channel: Channel
    view: AlertView
    delivery_key: str
    thread_id: str
    message_id: str


@dataclass
class MemoryAdapter:
    """Keep every posted alert in a list; queue failures to raise on the next posts."""

    platform: str = "memory"
    posts: list[Sent] = field(default_factory=list)
    updates: list[tuple[Channel, str, AlertView]] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)
    _handler: CommandHandler | None = None
    _started: bool = False

    async def start(self, on_command: CommandHandler) -> None:
        self._handler = on_command
        self._started = True

    async def stop(self) -> None:
        self._started = False

    def connected(self) -> bool:
        return self._started

    async def command(self, channel: Channel, user: str, text: str) -> CommandReply:
        assert self._handler is not None, "adapter not started"
        return await self._handler(CommandRequest(self.platform, channel, user, text))

    async def post_alert(
        self, channel: Channel, view: AlertView, delivery_key: str, thread_id: str = ""
    ) -> Posted:
        if self.failures:
            raise self.failures.pop(0)
        message_id = f"m{len(self.posts) + 1}"
        self.posts.append(Sent(channel, view, delivery_key, thread_id, message_id))
        return Posted(message_id, thread_id)

    async def update_alert(self, channel: Channel, message_id: str, view: AlertView) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.updates.append((channel, message_id, view))
