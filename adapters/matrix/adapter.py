"""The Matrix chat adapter: a matrix-nio client that posts alerts and answers commands.

Transport only: `translate` decides what an event means and `format` builds what is
sent. This module logs in (reusing one device across restarts), runs the sync
loop, persists the sync token after every sync, and maps homeserver errors onto
`DeliveryError` for the outbox to retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    InviteMemberEvent,
    JoinedRoomsError,
    JoinError,
    LocalProtocolError,
    LoginError,
    MegolmEvent,
    RoomGetEventError,
    RoomSendError,
    SyncError,
    SyncResponse,
    WhoamiError,
)
from nio.crypto import ENCRYPTION_ENABLED

import bot.app.ports as ports
from adapters.matrix.format import (
    ALERT_KEY_FIELD,
    format_alert,
    format_command_reply,
    format_edit,
    format_notice,
)
from adapters.matrix.translate import (
    CommandMessage,
    ReactionMessage,
    invite_sender,
    translate,
)
from bot.core.domain import AlertKey, Channel, ChannelId

log = logging.getLogger(__name__)

PLATFORM = "matrix"
SESSION_FILE = "session.json"
SYNC_FILE = "sync.json"
HANDLED_LIMIT = 500
MAX_BACKOFF_S = 30.0
FIRST_SYNC_FILTER = {"room": {"timeline": {"limit": 1}}}

DECLINE_REASON = (
    "denialwatch only joins rooms when invited by one of its admins "
    "(DENIALWATCH_ADMINS); ask one of them to invite it."
)
ENCRYPTION_NOTICE = (
    "denialwatch cannot read encrypted messages in this room: end-to-end encryption "
    "is not enabled for this bot. Commands sent here are not seen; use an unencrypted "
    "room for !dw commands."
)

_PERMANENT_ERRCODES = frozenset(
    {
        "M_FORBIDDEN",
        "M_NOT_FOUND",
        "M_BAD_JSON",
        "M_NOT_JSON",
        "M_TOO_LARGE",
        "M_INVALID_PARAM",
        "M_UNKNOWN",
        "M_UNRECOGNIZED",
        "M_BAD_STATE",
    }
)
_TRANSPORT_ERRORS = (ClientError, TimeoutError, OSError)


class StateStore(Protocol):
    """Key/value state shared by replicas (the `Store` port has these)."""

    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...


def transaction_id(delivery_key: str) -> str:
    """Derive a stable Matrix transaction id, so a retried send is deduplicated."""
    return "dw-" + hashlib.sha256(delivery_key.encode()).hexdigest()[:40]


def delivery_error(response: ErrorResponse) -> ports.DeliveryError:
    """Map a homeserver error onto a retryable or permanent DeliveryError."""
    status = getattr(getattr(response, "transport_response", None), "status", 0) or 0
    errcode = response.status_code or ""
    message = f"matrix: {errcode or status} {response.message}".strip()
    if errcode == "M_LIMIT_EXCEEDED" or status == 429:
        return ports.DeliveryError(message, retry_after=_retry_after(response))
    if status >= 500 or errcode in ("", "M_UNKNOWN_TOKEN"):
        return ports.DeliveryError(message)
    if errcode in _PERMANENT_ERRCODES or 400 <= status < 500:
        return ports.DeliveryError(message, permanent=True)
    return ports.DeliveryError(message)


def _retry_after(response: ErrorResponse) -> float:
    if response.retry_after_ms:
        return max(float(response.retry_after_ms) / 1000, 0.0)
    transport = getattr(response, "transport_response", None)
    header = transport.headers.get("Retry-After") if transport is not None else None
    try:
        return max(float(header), 0.0) if header else 5.0
    except ValueError:
        return 5.0


class MatrixAdapter:
    """A `ChatAdapter` for one Matrix account."""

    platform = PLATFORM

    def __init__(
        self,
        homeserver: str,
        user_id: str,
        *,
        access_token: str = "",
        password: str = "",
        store_path: Path,
        admins: frozenset[str] = frozenset(),
        state: StateStore | None = None,
        on_feedback: ports.FeedbackHandler | None = None,
        encryption: bool | None = None,
        allowed_rooms: frozenset[str] = frozenset(),
        ignore_users: frozenset[str] = frozenset(),
        device_name: str = "denialwatch",
        pickle_key: str = "denialwatch",
        sync_timeout: timedelta = timedelta(seconds=30),
        history_grace: timedelta = timedelta(minutes=5),
        ready_timeout: timedelta = timedelta(seconds=10),
    ):
        if not access_token and not password:
            raise ValueError("MatrixAdapter needs an access token or a password")
        self.homeserver = homeserver.rstrip("/")
        self.user_id = user_id
        self.admins = admins
        self.allowed_rooms = allowed_rooms
        self.ignore_users = ignore_users
        self.encryption = ENCRYPTION_ENABLED if encryption is None else encryption
        if self.encryption and not ENCRYPTION_ENABLED:
            raise ValueError("Matrix encryption needs matrix-nio[e2e]")
        self.last_error = "not started"
        self._access_token = access_token
        self._password = password
        self._store_path = store_path
        self._state = state
        self._on_feedback = on_feedback
        self._device_name = device_name
        self._pickle_key = pickle_key
        self._sync_timeout_ms = int(sync_timeout.total_seconds() * 1000)
        self._grace_ms = int(history_grace.total_seconds() * 1000)
        self._ready_timeout = ready_timeout.total_seconds()
        self._client: AsyncClient | None = None
        self._on_command: ports.CommandHandler | None = None
        self._task: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[None]] = set()
        self._ready = asyncio.Event()
        self._synced = asyncio.Event()
        self._connected = False
        self._started_at_ms = 0
        self._handled: deque[str] = deque(maxlen=HANDLED_LIMIT)
        self._alert_events: dict[str, tuple[str, bool]] = {}
        self._encryption_noticed: set[str] = set()

    # -- the ChatAdapter port ------------------------------------------------------

    async def start(self, on_command: ports.CommandHandler) -> None:
        """Start logging in and syncing in the background; return at once."""
        if self._task is not None:
            return
        self._on_command = on_command
        self._started_at_ms = int(time.time() * 1000)
        self._store_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        restrict_store(self._store_path)
        self._task = asyncio.create_task(self._run(), name="matrix-sync")

    async def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until logged in and the first sync is done; False on timeout."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        jobs = list(self._jobs)
        if jobs:
            await asyncio.wait(jobs, timeout=10)
            for job in jobs:
                job.cancel()
        if self._client is not None:
            await self._client.close()
            self._client = None
        self._connected = False
        self._ready.clear()
        self.last_error = "stopped"

    def connected(self) -> bool:
        return self._connected

    async def post_alert(
        self, channel: Channel, view: ports.AlertView, delivery_key: str, thread_id: str = ""
    ) -> ports.Posted:
        """Post a lead alert or, with thread_id, a follow-up in the alert's thread."""
        content = format_alert(view, thread_root=thread_id)
        event_id = await self._send(channel, content, transaction_id(delivery_key))
        await self._remember_alert_event(event_id, str(view.alert.key), lead=not thread_id)
        log.info(
            "alert delivered",
            extra={"channel": str(channel), "event_id": event_id, "alert_key": view.alert.key},
        )
        return ports.Posted(message_id=event_id, thread_id=thread_id or event_id)

    async def update_alert(self, channel: Channel, message_id: str, view: ports.AlertView) -> None:
        """Edit an alert in place (`m.replace`), e.g. for a longer list of sources."""
        content = format_edit(view, message_id)
        digest = json.dumps(content["m.new_content"], sort_keys=True)
        await self._send(channel, content, transaction_id(f"edit|{message_id}|{digest}"))

    # -- sending --------------------------------------------------------------------

    async def _client_ready(self) -> AsyncClient:
        if not self._ready.is_set():
            await self.wait_ready(self._ready_timeout)
        if self._client is None or not self._ready.is_set():
            raise ports.DeliveryError(f"matrix: not connected ({self.last_error})")
        return self._client

    async def post_text(self, channel: Channel, text: str, key: str) -> None:
        """Post the bot's own plain text (a digest) as an m.notice, deduplicated by key."""
        txn = "dw-text-" + hashlib.sha256(key.encode()).hexdigest()[:32]
        await self._send(channel, format_notice(text), txn)

    async def _send(self, channel: Channel, content: dict[str, Any], txn_id: str) -> str:
        if channel.platform != PLATFORM:
            raise ports.DeliveryError(f"matrix: cannot post to {channel}", permanent=True)
        client = await self._client_ready()
        if client.olm is not None and channel.id not in client.rooms:
            await self._await_room(client, channel.id)
        try:
            response = await client.room_send(
                channel.id,
                "m.room.message",
                content,
                tx_id=txn_id,
                ignore_unverified_devices=True,
            )
        except LocalProtocolError as error:
            # nio raises this for an encrypted send to a room the bot is not in.
            if channel.id not in client.rooms:
                raise ports.DeliveryError(
                    f"matrix: not in room {channel.id}", permanent=True
                ) from error
            raise ports.DeliveryError(f"matrix: {error}") from error
        except _TRANSPORT_ERRORS as error:
            reason = f"matrix: homeserver unreachable ({type(error).__name__})"
            raise ports.DeliveryError(reason) from error
        if isinstance(response, RoomSendError):
            raise delivery_error(response)
        event_id: str = response.event_id
        return event_id

    async def _await_room(self, client: AsyncClient, room_id: str) -> None:
        """Wait for a just-joined room to reach nio's state, which encrypted sends need."""
        try:
            joined = await client.joined_rooms()
        except _TRANSPORT_ERRORS as error:
            raise ports.DeliveryError("matrix: homeserver unreachable") from error
        if isinstance(joined, JoinedRoomsError):
            raise delivery_error(joined)
        if room_id not in joined.rooms:
            raise ports.DeliveryError(f"matrix: not in room {room_id}", permanent=True)
        deadline = time.monotonic() + self._sync_timeout_ms / 1000 + 10
        while room_id not in client.rooms:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ports.DeliveryError(f"matrix: room {room_id} not synced yet")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._synced.wait(), remaining)

    async def _reply(self, command: CommandMessage, reply: ports.CommandReply) -> None:
        content = format_command_reply(reply, command.event_id, command.thread_root)
        channel = Channel(PLATFORM, ChannelId(command.room_id))
        for _attempt in range(4):
            try:
                await self._send(channel, content, transaction_id(f"reply|{command.event_id}"))
                return
            except ports.DeliveryError as error:
                if error.permanent:
                    raise
                await asyncio.sleep(error.retry_after if error.retry_after is not None else 1.0)
        log.warning("command reply not delivered", extra={"event_id": command.event_id})

    # -- persistence ----------------------------------------------------------------

    def _key(self, name: str) -> str:
        return f"matrix:{self.user_id}:{name}"

    async def _get_state(self, key: str) -> str | None:
        if self._state is None:
            return None
        return await asyncio.to_thread(self._state.get_state, key)

    async def _set_state(self, key: str, value: str) -> None:
        if self._state is not None:
            await asyncio.to_thread(self._state.set_state, key, value)

    def _read_json(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self._store_path / name).read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_json(self, name: str, data: Mapping[str, Any]) -> None:
        path = self._store_path / name
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        tmp.replace(path)

    async def _load_sync_state(self) -> str:
        """Return the stored sync token and restore the handled-event memory."""
        local = self._read_json(SYNC_FILE)
        token = await self._get_state(self._key("next_batch")) or local.get("next_batch", "")
        handled_raw = await self._get_state(self._key("handled"))
        handled = json.loads(handled_raw) if handled_raw else local.get("handled", [])
        self._handled.clear()
        self._handled.extend(str(event_id) for event_id in handled)
        self._encryption_noticed.update(local.get("encryption_noticed", []))
        return str(token or "")

    async def _save_sync_state(self, token: str, handled_changed: bool) -> None:
        handled = list(self._handled)
        self._write_json(
            SYNC_FILE,
            {
                "next_batch": token,
                "handled": handled,
                "encryption_noticed": sorted(self._encryption_noticed),
            },
        )
        await self._set_state(self._key("next_batch"), token)
        if handled_changed:
            await self._set_state(self._key("handled"), json.dumps(handled))

    async def _remember_alert_event(self, event_id: str, alert_key: str, *, lead: bool) -> None:
        self._alert_events[event_id] = (alert_key, lead)
        value = json.dumps({"alert_key": alert_key, "lead": lead})
        await self._set_state(f"matrix:alert:{event_id}", value)

    # -- login ------------------------------------------------------------------------

    def _new_client(self, device_id: str) -> AsyncClient:
        config = AsyncClientConfig(
            # Bounded retries: the outbox reschedules instead of nio sleeping forever.
            max_limit_exceeded=0,
            max_timeouts=0,
            request_timeout=30,
            encryption_enabled=self.encryption,
            pickle_key=self._pickle_key,
            store_sync_tokens=False,
        )
        return AsyncClient(
            self.homeserver,
            self.user_id,
            device_id=device_id,
            store_path=str(self._store_path),
            config=config,
        )

    async def _login(self) -> AsyncClient:
        try:
            return await self._login_once()
        finally:
            restrict_store(self._store_path)

    async def _login_once(self) -> AsyncClient:
        """Log in, reusing the stored device (and token) so restarts keep one device."""
        session = self._read_json(SESSION_FILE)
        if session.get("user_id") != self.user_id or session.get("homeserver") != self.homeserver:
            session = {}
        device_id = session.get("device_id") or await self._get_state(self._key("device_id")) or ""

        token = self._access_token or session.get("access_token", "")
        if token:
            client = await self._resume(device_id, token)
            if client is not None:
                return client
            if not self._password:
                raise PermissionError("access token refused (M_UNKNOWN_TOKEN)")

        client = self._new_client(device_id)
        try:
            response = await client.login(self._password, device_name=self._device_name)
        except BaseException:
            await client.close()
            raise
        if isinstance(response, LoginError):
            await client.close()
            if response.status_code in ("M_FORBIDDEN", "M_USER_DEACTIVATED", "M_INVALID_PARAM"):
                raise PermissionError(f"login refused: {response}")
            raise RuntimeError(f"login failed: {response}")
        await self._save_session(client)
        return client

    async def _resume(self, device_id: str, token: str) -> AsyncClient | None:
        """Reuse an access token; None when the homeserver no longer knows it."""
        client = self._new_client(device_id)
        client.access_token = token
        try:
            whoami = await client.whoami()
            if isinstance(whoami, WhoamiError):
                if whoami.status_code == "M_UNKNOWN_TOKEN":
                    await client.close()
                    return None
                raise RuntimeError(f"whoami failed: {whoami}")
            if whoami.user_id != self.user_id:
                raise PermissionError(f"access token belongs to {whoami.user_id}")
            client.restore_login(self.user_id, whoami.device_id or device_id, token)
            await self._save_session(client)
        except BaseException:
            await client.close()
            raise
        return client

    async def _save_session(self, client: AsyncClient) -> None:
        session = {
            "homeserver": self.homeserver,
            "user_id": self.user_id,
            "device_id": client.device_id,
        }
        if not self._access_token:
            # A token we obtained by password is kept so a restart reuses the device
            # without a new login; a configured token stays in the secret store only.
            session["access_token"] = client.access_token
        self._write_json(SESSION_FILE, session)
        await self._set_state(self._key("device_id"), client.device_id)
        fingerprint = hashlib.sha256(client.access_token.encode()).hexdigest()[:4]
        log.info(
            "matrix logged in",
            extra={
                "user_id": self.user_id,
                "device_id": client.device_id,
                "token_fingerprint": fingerprint,
            },
        )

    # -- the sync loop --------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            try:
                if self._client is None:
                    self._client = await self._login()
                await self._sync_forever(self._client)
            except asyncio.CancelledError:
                raise
            except PermissionError as error:
                self._fail(str(error))
                log.error("matrix login failed", extra={"reason": str(error)})
                backoff = MAX_BACKOFF_S
            except Exception as error:  # the loop must outlive any one failure
                if self._connected:
                    backoff = 1.0  # a fresh outage: retry soon, then back off
                self._fail(f"{type(error).__name__}: {error}")
                log.warning("matrix sync failed: %s", self.last_error)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    def _fail(self, reason: str) -> None:
        self._connected = False
        self.last_error = reason

    async def _sync_forever(self, client: AsyncClient) -> None:
        token = await self._load_sync_state()
        first = True
        if not token:
            # First start: take the current position and act on nothing before it.
            response = await client.sync(timeout=0, sync_filter=FIRST_SYNC_FILTER, full_state=True)
            token = self._check(response)
            await self._handle_invites(client, response)
            await self._save_sync_state(token, handled_changed=False)
            first = False
            # Connected now: the next sync long-polls and may not return for a while.
            self._connected = True
            self.last_error = ""
            self._ready.set()
            log.info("matrix initial sync done; history ignored")
        while True:
            response = await client.sync(
                timeout=0 if first else self._sync_timeout_ms,
                since=token,
                full_state=True if first else None,
            )
            token = self._check(response)
            first = False
            self._connected = True
            self.last_error = ""
            self._ready.set()
            changed = await self._handle_sync(client, response)
            await self._save_sync_state(token, handled_changed=changed)
            synced, self._synced = self._synced, asyncio.Event()
            synced.set()
            await self._maintain_keys(client)

    def _check(self, response: SyncResponse | SyncError) -> str:
        if isinstance(response, SyncError):
            if response.status_code == "M_UNKNOWN_TOKEN":
                # Log in afresh (same device) on the next round of the outer loop.
                self._client = None
                if not self._password:
                    raise PermissionError(f"access token refused: {response}")
            raise RuntimeError(f"sync refused: {response}")
        token: str = response.next_batch
        return token

    async def _maintain_keys(self, client: AsyncClient) -> None:
        """Do the end-to-end key housekeeping that nio's sync_forever would do."""
        if not client.olm:
            return
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()

    async def _handle_sync(self, client: AsyncClient, response: SyncResponse) -> bool:
        """Act on one sync response; True when a command or reaction was handled."""
        await self._handle_invites(client, response)
        changed = False
        cutoff = self._started_at_ms - self._grace_ms
        for room_id in list(client.rooms):
            await self._check_encryption(client, room_id)
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                if isinstance(event, MegolmEvent):
                    await self._undecryptable(client, event)
                    continue
                source = getattr(event, "source", None)
                if not isinstance(source, dict):
                    continue
                message = translate(room_id, source, self.user_id)
                if message is None or message.event_id in self._handled:
                    continue
                if message.sender in self.ignore_users:
                    continue
                if message.sent_at_ms < cutoff:
                    log.info(
                        "matrix event skipped: older than start",
                        extra={"event_id": message.event_id},
                    )
                    continue
                self._handled.append(message.event_id)
                changed = True
                if isinstance(message, CommandMessage):
                    self._spawn(self._run_command(message))
                else:
                    self._spawn(self._run_feedback(client, message))
        return changed

    async def _undecryptable(self, client: AsyncClient, event: MegolmEvent) -> None:
        """Log an event the bot cannot decrypt and ask the sender's devices for its key."""
        log.warning(
            "matrix event not decrypted: no room key",
            extra={"event_id": event.event_id, "session_id": event.session_id},
        )
        if client.olm is not None and event.session_id not in client.outgoing_key_requests:
            with contextlib.suppress(Exception):  # best effort: the sender may be offline
                await client.request_room_key(event)

    def _spawn(self, job: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await job
            except Exception:  # one bad event must not stop the others
                log.exception("matrix event handling failed")

        task = asyncio.create_task(guarded())
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def _run_command(self, command: CommandMessage) -> None:
        assert self._on_command is not None
        log.info(
            "matrix command received",
            extra={"event_id": command.event_id, "room_id": command.room_id},
        )
        request = ports.CommandRequest(
            PLATFORM, Channel(PLATFORM, ChannelId(command.room_id)), command.sender, command.text
        )
        try:
            reply = await self._on_command(request)
        except Exception:  # the user still gets an answer
            log.exception("matrix command failed", extra={"event_id": command.event_id})
            reply = ports.CommandReply("Sorry, that command failed. Try `!dw help`.", ok=False)
        await self._reply(command, reply)

    async def _run_feedback(self, client: AsyncClient, reaction: ReactionMessage) -> None:
        found = await self._alert_for(client, reaction.room_id, reaction.target_event_id)
        if found is None or self._on_feedback is None:
            return
        alert_key, lead = found
        log.info(
            "matrix feedback received",
            extra={"event_id": reaction.event_id, "verdict": reaction.verdict},
        )
        channel = Channel(PLATFORM, ChannelId(reaction.room_id))
        try:
            view = await self._on_feedback(
                AlertKey(alert_key), channel, reaction.sender, reaction.verdict
            )
        except ports.Refused as refusal:
            # Refused and audited by the one permission gate: say so under the alert.
            reply = ports.CommandReply(str(refusal), ok=False)
            content = format_command_reply(reply, reaction.target_event_id)
            await self._send(channel, content, transaction_id(f"refusal|{reaction.event_id}"))
            return
        if view is not None and lead:
            await self.update_alert(channel, reaction.target_event_id, view)

    async def _alert_for(
        self, client: AsyncClient, room_id: str, event_id: str
    ) -> tuple[str, bool] | None:
        """Find (alert key, is lead) for an event: memory, shared state, then the event."""
        if event_id in self._alert_events:
            return self._alert_events[event_id]
        stored = await self._get_state(f"matrix:alert:{event_id}")
        if stored:
            data = json.loads(stored)
            return str(data["alert_key"]), bool(data["lead"])
        response = await client.room_get_event(room_id, event_id)
        if isinstance(response, RoomGetEventError):
            return None
        source = getattr(response.event, "source", {})
        content = source.get("content", {}) if isinstance(source, dict) else {}
        # Only our own events are trusted to name an alert.
        if source.get("sender") != self.user_id or not isinstance(content, dict):
            return None
        value = content.get(ALERT_KEY_FIELD)
        if not isinstance(value, str) or not value:
            return None
        return value, "m.relates_to" not in content

    # -- rooms ----------------------------------------------------------------------

    async def _handle_invites(self, client: AsyncClient, response: SyncResponse) -> None:
        for room_id, info in response.rooms.invite.items():
            # nio strips `content` from invite state events, so rebuild what matters.
            states = [
                {
                    "type": "m.room.member",
                    "state_key": e.state_key,
                    "sender": e.sender,
                    "content": {"membership": e.membership},
                }
                for e in info.invite_state
                if isinstance(e, InviteMemberEvent)
            ]
            inviter = invite_sender(states, self.user_id) or ""
            if self._may_invite(inviter, room_id):
                result = await client.join(room_id)
                if isinstance(result, JoinError):
                    log.warning(
                        "matrix join failed", extra={"room_id": room_id, "reason": str(result)}
                    )
                else:
                    log.info(
                        "matrix invite accepted", extra={"room_id": room_id, "inviter": inviter}
                    )
            else:
                await self._decline(client, room_id)
                log.info(
                    "matrix invite declined: inviter not an admin",
                    extra={"room_id": room_id, "inviter": inviter},
                )

    async def _decline(self, client: AsyncClient, room_id: str) -> None:
        """Reject an invite with a reason the inviter's client shows."""
        # nio's room_leave takes no reason, so this one call goes through its raw sender.
        path = f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/leave"
        headers = {
            "Authorization": f"Bearer {client.access_token}",
            "Content-Type": "application/json",
        }
        response = await client.send("POST", path, json.dumps({"reason": DECLINE_REASON}), headers)
        response.release()
        if response.status >= 400:
            log.warning(
                "matrix invite decline failed",
                extra={"room_id": room_id, "status": response.status},
            )

    def _may_invite(self, inviter: str, room_id: str) -> bool:
        if room_id in self.allowed_rooms:
            return True
        if not self.admins:
            # DENIALWATCH_ADMINS unset means any member may use the bot.
            return True
        return inviter in self.admins

    async def _check_encryption(self, client: AsyncClient, room_id: str) -> None:
        """Say once, in the room and the log, when the bot cannot read an encrypted room."""
        room = client.rooms.get(room_id)
        if room is None or not room.encrypted or client.olm is not None:
            return
        if room_id in self._encryption_noticed:
            return
        self._encryption_noticed.add(room_id)
        log.warning(
            "matrix room is encrypted but encryption is disabled; "
            "the bot cannot read messages there",
            extra={"room_id": room_id},
        )
        channel = Channel(PLATFORM, ChannelId(room_id))
        try:
            await self._send(
                channel, format_notice(ENCRYPTION_NOTICE), transaction_id(f"e2ee-notice|{room_id}")
            )
        except ports.DeliveryError as error:
            log.warning(
                "matrix encryption notice not delivered",
                extra={"room_id": room_id, "reason": str(error)},
            )


def restrict_store(path: Path) -> None:
    """Keep the store (device keys, E2EE sessions) readable by this user only."""
    with contextlib.suppress(OSError):
        path.chmod(0o700)
        for item in path.iterdir():
            if item.is_file():
                item.chmod(0o600)
