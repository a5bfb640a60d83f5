"""Console adapter: prints alerts readably; the embedded default."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.app.ports import AlertView, CommandHandler, Posted
from bot.core.detection import why_line
from bot.core.domain import Channel


def render_text(view: AlertView) -> str:
    """Return an alert as plain text: both quotes, dates and sources side by side."""
    c = view.contradiction
    lines = [
        f"== {view.alert.agency} · {view.alert.topic} ==",
        f"{c.kind} (score {c.score:.2f})",
        why_line(c),
        f"earlier ({c.earlier.published}, {c.earlier.source or c.earlier.report_id}"
        + (f", {c.earlier.speaker}" if c.earlier.speaker else "")
        + "):",
        f"  \u201c{c.earlier.quote}\u201d" + (f"  <{c.earlier.url}>" if c.earlier.url else ""),
        f"new ({c.new.published}, {c.new.source or c.new.report_id}"
        + (f", {c.new.speaker}" if c.new.speaker else "")
        + "):",
        f"  \u201c{c.new.quote}\u201d" + (f"  <{c.new.url}>" if c.new.url else ""),
    ]
    if len(view.sources) > 2:
        lines.append("sources: " + ", ".join(view.sources))
    if view.timeline_url:
        lines.append(f"timeline: {view.timeline_url}")
    return "\n".join(lines)


class ConsoleAdapter:
    """Print alerts to a stream; accepts no commands."""

    platform = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._count = 0
        self._started = False

    async def start(self, on_command: CommandHandler) -> None:
        del on_command
        self._started = True

    async def stop(self) -> None:
        self._started = False

    def connected(self) -> bool:
        return self._started

    async def post_alert(
        self, channel: Channel, view: AlertView, delivery_key: str, thread_id: str = ""
    ) -> Posted:
        self._count += 1
        prefix = f"[thread {thread_id}] " if thread_id else ""
        print(prefix + render_text(view), file=self._stream, flush=True)
        return Posted(message_id=f"console-{self._count}", thread_id=thread_id)

    async def post_text(self, channel: Channel, text: str, key: str) -> None:
        print(text, file=self._stream, flush=True)

    async def update_alert(self, channel: Channel, message_id: str, view: AlertView) -> None:
        print(
            f"[update {message_id}] sources: " + ", ".join(view.sources),
            file=self._stream,
            flush=True,
        )
