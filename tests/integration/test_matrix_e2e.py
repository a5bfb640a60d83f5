"""`denialwatch run` as a Matrix bot in a real Synapse: commands, alerts, feedback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import dev_report
from tests.matrix.conftest import Account, EncryptedUser, Homeserver
from tests.running import RunningService, running_service

pytestmark = pytest.mark.shared


@pytest.fixture
def bot(synapse: Homeserver) -> Account:
    return synapse.register("dwbot")


@pytest.fixture
def service(
    tmp_path: Path,
    synapse: Homeserver,
    bot: Account,
    data_dir: Path,
) -> Iterator[RunningService]:
    extra = {
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": bot.user_id,
        "MATRIX_PASSWORD": bot.password,
        "DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json"),
    }
    with running_service(tmp_path, extra) as running:
        running.wait_for("/readyz", lambda r: r.status_code == 200, timeout=30)
        yield running


def _from_bot(bot: Account, text: str) -> Any:
    def match(event: dict[str, Any]) -> bool:
        content = event.get("content", {})
        return (
            event.get("sender") == bot.user_id
            and content.get("msgtype") == "m.notice"
            and text in content.get("body", "")
        )

    return match


async def test_editor_watches_a_topic_and_receives_the_alert_and_gives_feedback(
    synapse: Homeserver,
    bot: Account,
    service: RunningService,
    data_dir: Path,
) -> None:
    editor = synapse.user(synapse.register("editor"))
    try:
        room = await editor.create_room(invite=(bot.user_id,))
        await editor.wait_membership(room, bot.user_id, "join")
        await editor.say(room, "!dw watch topic Clearview AI")
        await editor.wait_for(room, _from_bot(bot, "Watching topic Clearview AI"))

        service.post_report(dev_report(data_dir, "dev-01"))
        service.post_report(dev_report(data_dir, "dev-06"))
        alert = await editor.wait_for(room, _from_bot(bot, "never used Clearview AI"))
        content = alert["content"]
        assert content["m.mentions"] == {}
        assert "Belgian Federal Police" in content["body"]
        assert content["format"] == "org.matrix.custom.html"

        await editor.react(room, alert["event_id"], "❌")
        await editor.say(room, "!dw status")
        await editor.wait_for(room, _from_bot(bot, "1 not a contradiction"))
    finally:
        await editor.aclose()


async def test_the_same_in_an_encrypted_room(
    bot: Account, service: RunningService, data_dir: Path, encrypted_editor: EncryptedUser
) -> None:
    room = await encrypted_editor.raw.create_room(invite=(bot.user_id,), encrypted=True)
    await encrypted_editor.raw.wait_membership(room, bot.user_id, "join")
    await encrypted_editor.say(room, "!dw watch topic Clearview AI")

    def decrypted_from_bot(text: str) -> Any:
        def match(event: dict[str, Any]) -> bool:
            return event.get("sender") == bot.user_id and text in event.get("content", {}).get(
                "body", ""
            )

        return match

    await encrypted_editor.wait_for(decrypted_from_bot("Watching topic Clearview AI"))
    service.post_report(dev_report(data_dir, "dev-01"))
    service.post_report(dev_report(data_dir, "dev-06"))
    alert = await encrypted_editor.wait_for(decrypted_from_bot("never used Clearview AI"))
    assert alert["content"]["msgtype"] == "m.notice"
