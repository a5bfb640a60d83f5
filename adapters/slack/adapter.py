"""SlackAdapter: denialwatch as a Slack app (HTTP mode or Socket Mode).

Transport only: payloads are translated by `adapters.slack.translate` and alerts
rendered by `adapters.slack.blocks`. Every Web API call goes to `api_url`; tokens
come from the constructor, never from slack_bolt's environment fallbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import bot.app.ports as ports
from adapters.http import read_capped
from adapters.slack.blocks import (
    VERDICT_BY_ACTION,
    clean,
    clip,
    escape,
    format_alert,
    format_verdict,
    replace_buttons,
)
from adapters.slack.signature import check_request
from adapters.slack.translate import (
    COMMAND,
    PLATFORM,
    FeedbackAction,
    command_refusal,
    command_request,
    feedback_action,
    inbound_key,
    parse_body,
)
from bot.core.domain import Channel

log = logging.getLogger("denialwatch.slack")

InboundClaim = Callable[[str], Awaitable[bool]]
"""Record an inbound request id; True the first time it is seen, False after."""

ALERT_EVENT_TYPE = "denialwatch_alert"
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_REPLY_CHARS = 3900
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "no_permission",
        "missing_scope",
        "restricted_action",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "thread_not_found",
    }
)
AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
"""Errors that mean the token itself is unusable (RELIABILITY R-17: pause, alert)."""


class SlackStartError(RuntimeError):
    """Slack refused the configured credentials; start-up cannot continue."""


class SlackDeliveryError(ports.DeliveryError):
    """A DeliveryError that keeps Slack's error code (`ratelimited`, `invalid_auth`, …)."""

    def __init__(
        self,
        code: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        status: int = 0,
        auth: bool = False,
    ):
        detail = f" (HTTP {status})" if status else ""
        super().__init__(
            f"slack: {code}{detail}", retry_after=retry_after, permanent=permanent, auth=auth
        )
        self.code = code
        self.status = status


def delivery_error(error: BaseException) -> SlackDeliveryError:
    """Map a failed Web API call to a retryable or permanent delivery error."""
    if isinstance(error, SlackApiError):
        response = error.response
        status = int(getattr(response, "status_code", 0) or 0)
        data = getattr(response, "data", None)
        code = str(data.get("error", "")) if isinstance(data, dict) else ""
        if status == 429 or code == "ratelimited":
            headers = getattr(response, "headers", None) or {}
            return SlackDeliveryError(
                "ratelimited", retry_after=_retry_after(headers), status=status or 429
            )
        if status >= 500:
            return SlackDeliveryError(code or "server_error", status=status)
        if code in AUTH_ERRORS:
            # The token itself is unusable: pause the platform and keep the rows.
            return SlackDeliveryError(code, status=status, auth=True)
        if code in PERMANENT_ERRORS:
            return SlackDeliveryError(code, permanent=True, status=status)
        return SlackDeliveryError(code or "unknown_error", status=status)
    if isinstance(error, asyncio.TimeoutError | aiohttp.ClientError | OSError):
        return SlackDeliveryError(f"network: {type(error).__name__}")
    return SlackDeliveryError(f"unexpected: {type(error).__name__}")


def _retry_after(headers: Mapping[str, Any]) -> float:
    value: Any = None
    for key in ("Retry-After", "retry-after"):
        with contextlib.suppress(Exception):
            value = headers.get(key)
        if value:
            break
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 1.0
    return seconds if seconds >= 0 else 1.0


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot token belongs to (from auth.test)."""

    team_id: str
    user_id: str
    bot_id: str


class MemoryInbox:
    """Default inbound dedupe: ids seen in the last `ttl` seconds, bounded in size.

    A replica-local fallback; with several replicas, pass a database-backed
    `claim_inbound` (RELIABILITY R-12).
    """

    def __init__(
        self, ttl: float = 600.0, size: int = 50_000, clock: Callable[[], float] = time.time
    ):
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def claim(self, key: str) -> bool:
        now = self._clock()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at <= self._ttl and len(self._seen) < self._size:
                break
            del self._seen[oldest]
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


class SlackAdapter:
    """ChatAdapter for Slack: alerts out, `/denialwatch` and feedback buttons in."""

    platform = PLATFORM

    def __init__(
        self,
        bot_token: str,
        signing_secret: str,
        api_url: str = "https://slack.com/api/",
        app_token: str | None = None,
        admins: frozenset[str] = frozenset(),
        *,
        on_feedback: ports.FeedbackHandler | None = None,
        claim_inbound: InboundClaim | None = None,
        clock: Callable[[], float] = time.time,
        inline_reply_seconds: float = 1.0,
        history_limit: int = 200,
        timeout: float = 10.0,
        reconnect_seconds: float = 30.0,
    ):
        if not bot_token:
            raise ValueError("SLACK_BOT_TOKEN is empty")
        if not signing_secret and not app_token:
            raise ValueError("SLACK_SIGNING_SECRET is empty (needed unless SLACK_APP_TOKEN is set)")
        self._bot_token = bot_token
        self._signing_secret = signing_secret
        self._api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._app_token = app_token or None
        self._admins = admins
        self._on_feedback = on_feedback
        self._claim_inbound: InboundClaim = claim_inbound or MemoryInbox(clock=clock).claim
        self._clock = clock
        self._inline_reply_seconds = inline_reply_seconds
        self._history_limit = history_limit
        self._timeout = timeout
        self._reconnect_seconds = reconnect_seconds

        self._on_command: ports.CommandHandler | None = None
        self._identity: BotIdentity | None = None
        self._revoked = False
        self._started = False
        self._socket: AsyncSocketModeHandler | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

        self._client = AsyncWebClient(
            token=bot_token, base_url=self._api_url, timeout=int(timeout), logger=log
        )
        self._app = self._build_app()

    # ------------------------------------------------------------------ set-up

    def _build_app(self) -> AsyncApp:
        # client= carries the token and base URL; token= is left out because bolt
        # would otherwise log that it ignores it. Socket-mode-only set-ups have no
        # signing secret: bolt skips verification for socket-mode requests.
        app = AsyncApp(
            client=self._client,
            signing_secret=self._signing_secret,
            logger=log,
            name="denialwatch",
            process_before_response=False,
        )
        if app.oauth_flow is not None:
            raise ValueError(
                "SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are set in the environment: denialwatch "
                "uses one bot token, not Slack's OAuth install flow; unset them"
            )
        app.use(self._dedupe)
        app.command(COMMAND)(self._on_slash_command)
        for action_id in VERDICT_BY_ACTION:
            app.action(action_id)(self._on_button)
        app.event("app_uninstalled")(self._on_revoked)
        app.event("tokens_revoked")(self._on_revoked)
        app.event("message")(self._on_ignored_event)
        app.event("app_mention")(self._on_ignored_event)
        return app

    @property
    def app(self) -> AsyncApp:
        """The slack_bolt app (for tests and for mounting elsewhere)."""
        return self._app

    @property
    def identity(self) -> BotIdentity | None:
        return self._identity

    async def start(self, on_command: ports.CommandHandler) -> None:
        """Check the token (auth.test) and, with an app token, open Socket Mode.

        Raises SlackStartError when Slack rejects a token. When Slack cannot be
        reached the adapter keeps retrying in the background and reports
        not-connected until it succeeds.
        """
        self._on_command = on_command
        self._started = True
        try:
            await self._connect()
        except SlackStartError:
            raise
        except Exception as error:  # network trouble: keep the service up, retry later
            log.warning("slack connect failed, retrying: %s", delivery_error(error))
            self._spawn(self._reconnect_loop())

    async def _connect(self) -> None:
        try:
            auth = await self._client.auth_test()
        except SlackApiError as error:
            mapped = delivery_error(error)
            if mapped.permanent or mapped.auth:
                raise SlackStartError(f"SLACK_BOT_TOKEN rejected by Slack: {mapped.code}") from None
            raise
        self._identity = BotIdentity(
            team_id=str(auth.get("team_id", "")),
            user_id=str(auth.get("user_id", "")),
            bot_id=str(auth.get("bot_id", "")),
        )
        log.info("slack connected: team %s bot %s", self._identity.team_id, self._identity.bot_id)
        if self._app_token:
            await self._open_socket(self._app_token)

    async def _open_socket(self, app_token: str) -> None:
        try:
            opened = await self._client.apps_connections_open(app_token=app_token)
        except SlackApiError as error:
            mapped = delivery_error(error)
            if mapped.permanent or mapped.auth:
                raise SlackStartError(f"SLACK_APP_TOKEN rejected by Slack: {mapped.code}") from None
            raise
        handler = AsyncSocketModeHandler(self._app, app_token=app_token, web_client=self._client)
        handler.client.wss_uri = str(opened["url"])
        self._socket = handler
        await handler.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it unannotated
        log.info("slack socket mode connected")

    async def _reconnect_loop(self) -> None:
        while self._started:
            await asyncio.sleep(self._reconnect_seconds)
            try:
                await self._connect()
                return
            except SlackStartError as error:
                log.error("slack connect failed permanently: %s", error)
                return
            except Exception as error:
                log.warning("slack connect failed, retrying: %s", delivery_error(error))

    async def stop(self) -> None:
        """Finish pending replies (briefly), then close the Socket Mode connection."""
        self._started = False
        pending = [task for task in self._tasks if not task.done()]
        if pending:
            _, still = await asyncio.wait(pending, timeout=5.0)
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]  # bolt leaves it unannotated
            self._socket = None

    def connected(self) -> bool:
        if not self._started or self._identity is None or self._revoked:
            return False
        if self._socket is None:
            return self._app_token is None
        session = self._socket.client.current_session
        return session is not None and not session.closed

    async def drain(self) -> None:
        """Wait for every background reply and feedback update (tests, shutdown)."""
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------------ HTTP mode

    async def handle(self, request: Request) -> Response:
        """Serve POST /slack/events: events, slash commands and interactivity.

        The signature is checked on the raw bytes before anything is parsed: a
        missing, wrong or stale (> 5 min) signature gets 401 and nothing else
        happens. Bolt's own verifier then runs again inside `async_dispatch`.
        """
        if not self._signing_secret:
            return JSONResponse({"error": "slack http mode is not configured"}, status_code=404)
        body = await read_capped(request, MAX_BODY_BYTES)
        if body is None:
            return JSONResponse({"error": "request too large"}, status_code=413)
        rejection = check_request(self._signing_secret, body, request.headers, self._clock())
        if rejection is not None:
            log.info("slack request rejected: %s", rejection.value)
            return JSONResponse({"error": "invalid request"}, status_code=401)
        content_type = request.headers.get("content-type", "")
        try:
            raw = body.decode("utf-8")
        except UnicodeDecodeError:
            log.info("slack request refused: body is not utf-8")
            if b"command=" in body:
                return _ephemeral("That command is not valid UTF-8 text. Nothing was changed.")
            return JSONResponse({"error": "body is not utf-8"}, status_code=400)
        try:
            parsed = parse_body(raw, content_type)
        except ValueError:
            return JSONResponse({"error": "malformed body"}, status_code=400)
        if "command" in parsed:
            # Refuse oversized or binary command text before bolt runs at all.
            refusal = command_refusal(str(parsed.get("text", "")))
            if refusal is not None:
                log.info("slack command refused: %s chars", len(str(parsed.get("text", ""))))
                return _ephemeral(refusal)
        bolt_request = AsyncBoltRequest(
            body="", query=request.url.query, headers=dict(request.headers.items())
        )
        bolt_request.raw_body = raw
        bolt_request.body = parsed
        bolt_request.context = build_async_context(AsyncBoltContext({}), parsed)
        response = await self._app.async_dispatch(bolt_request)
        if response.status == 404 and parsed.get("type") == "event_callback":
            # An event nobody listens to: ack it, or Slack would retry it.
            return Response(status_code=200)
        return to_starlette_response(response)

    # ------------------------------------------------------------------ listeners

    async def _dedupe(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        key = inbound_key(body)
        if key is not None and not await self._claim_inbound(key):
            log.info("slack request skipped: duplicate %s", key)
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def _on_ignored_event(self, ack: AsyncAck) -> None:
        await ack()

    async def _on_revoked(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        event = body.get("event") or {}
        log.error("slack app %s: alerts cannot be delivered", event.get("type", "revoked"))
        self._revoked = True

    async def _on_slash_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        text = str(body.get("text", ""))
        refusal = command_refusal(text)
        if refusal is not None:
            await ack(text=refusal, response_type="ephemeral")
            return
        if self._on_command is None:
            await ack(
                text="denialwatch is starting; try again in a moment.", response_type="ephemeral"
            )
            return
        request = command_request(body)
        task = self._spawn(self._run_command(request))
        done, _ = await asyncio.wait({task}, timeout=self._inline_reply_seconds)
        if task in done:
            await ack(text=_reply_text(task.result()), response_type="ephemeral")
            return
        await ack(text="Working on it…", response_type="ephemeral")
        self._spawn(self._reply_later(body, task))

    async def _run_command(self, request: ports.CommandRequest) -> ports.CommandReply:
        assert self._on_command is not None
        try:
            return await self._on_command(request)
        except Exception:
            log.exception("slack command failed")
            return ports.CommandReply(
                "Sorry, that command failed on our side. Nothing was changed.", ok=False
            )

    async def _reply_later(
        self, body: Mapping[str, Any], task: asyncio.Task[ports.CommandReply]
    ) -> None:
        reply = await task
        await self._tell(body, _reply_text(reply))

    async def _tell(self, body: Mapping[str, Any], text: str) -> None:
        """Say something only the requesting user sees: response_url, else postEphemeral."""
        response_url = str(body.get("response_url") or "")
        if response_url.startswith(("https://", "http://")):
            try:
                sent = await AsyncWebhookClient(response_url, timeout=int(self._timeout)).send(
                    text=text, response_type="ephemeral", replace_original=False
                )
                if sent.status_code == 200:
                    return
                log.warning("slack response_url answered %s", sent.status_code)
            except Exception as error:
                log.warning("slack response_url failed: %s", type(error).__name__)
        channel = str(body.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        user = str(body.get("user_id") or (body.get("user") or {}).get("id") or "")
        if not channel or not user:
            return
        try:
            await self._client.chat_postEphemeral(channel=channel, user=user, text=text)
        except Exception as error:
            log.warning("slack ephemeral reply failed: %s", delivery_error(error))

    async def _on_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        action = feedback_action(body)
        if action is None:
            return
        self._spawn(self._apply_feedback(action, body))

    async def _apply_feedback(self, action: FeedbackAction, body: Mapping[str, Any]) -> None:
        if self._on_feedback is None:
            await self._tell(body, "Feedback is not being recorded right now; please try later.")
            return
        try:
            view = await self._on_feedback(
                action.alert_key, action.channel, action.user, action.verdict
            )
        except ports.Refused as refusal:
            # Refused and audited by the one permission gate; the message stays as it is.
            await self._tell(body, str(refusal))
            return
        except Exception:
            log.exception("slack feedback failed for alert %s", action.alert_key)
            await self._tell(body, "Sorry, your feedback could not be recorded.")
            return
        if not action.message_ts or not action.channel.id:
            return
        if view is not None:
            payload = format_verdict(_with_verdict(view, action.verdict), action.user)
        else:
            text = str((body.get("message") or {}).get("text", "")) or "denialwatch alert"
            payload = {
                "text": text,
                "blocks": replace_buttons(list(action.blocks), action.verdict, action.user),
            }
        try:
            await self._client.chat_update(
                channel=action.channel.id,
                ts=action.message_ts,
                text=payload["text"],
                blocks=payload["blocks"],
            )
        except Exception as error:
            log.warning("slack alert update failed: %s", delivery_error(error))

    # ------------------------------------------------------------------ delivery

    async def post_alert(
        self, channel: Channel, view: ports.AlertView, delivery_key: str, thread_id: str = ""
    ) -> ports.Posted:
        """chat.postMessage one alert (a thread reply with thread_id); raise DeliveryError."""
        message = format_alert(view)
        arguments: dict[str, Any] = {
            "channel": channel.id,
            "text": message["text"],
            "blocks": message["blocks"],
            "metadata": {
                "event_type": ALERT_EVENT_TYPE,
                "event_payload": {"delivery_key": delivery_key, "alert_key": str(view.alert.key)},
            },
            "unfurl_links": False,
            "unfurl_media": False,
            "link_names": False,
        }
        if thread_id:
            arguments["thread_ts"] = thread_id
        # Pacing per channel is the delivery worker's ChannelPacer, not done here too.
        try:
            response = await self._client.chat_postMessage(**arguments)
        except Exception as error:
            mapped = delivery_error(error)
            log.warning("slack delivery %s failed: %s", delivery_key, mapped)
            raise mapped from None
        ts = str(response.get("ts", ""))
        log.info("slack alert delivered: %s ts %s", delivery_key, ts)
        return ports.Posted(message_id=ts, thread_id=thread_id)

    async def post_text(self, channel: Channel, text: str, key: str) -> None:
        """Post the bot's own plain text (a digest), escaped, unfurling nothing."""
        del key  # Slack has no idempotency key for plain posts; digests are at most once
        try:
            await self._client.chat_postMessage(
                channel=channel.id,
                text=escape(text),
                unfurl_links=False,
                unfurl_media=False,
                link_names=False,
            )
        except Exception as error:
            raise delivery_error(error) from None

    async def update_alert(self, channel: Channel, message_id: str, view: ports.AlertView) -> None:
        """chat.update an alert already posted (new sources, or a verdict)."""
        message = format_alert(view)
        try:
            await self._client.chat_update(
                channel=channel.id, ts=message_id, text=message["text"], blocks=message["blocks"]
            )
        except Exception as error:
            raise delivery_error(error) from None

    async def find_posted(
        self, channel: Channel, delivery_key: str, thread_id: str = ""
    ) -> ports.Posted | None:
        """Look for a message this delivery already posted (after a crash).

        Top-level alerts are searched in conversations.history, follow-ups in the
        thread's conversations.replies; both by the metadata `delivery_key`.
        """
        cursor = ""
        seen = 0
        while seen < self._history_limit:
            limit = min(200, self._history_limit - seen)
            try:
                if thread_id:
                    page = await self._client.conversations_replies(
                        channel=channel.id,
                        ts=thread_id,
                        include_all_metadata=True,
                        limit=limit,
                        cursor=cursor or None,
                    )
                else:
                    page = await self._client.conversations_history(
                        channel=channel.id,
                        include_all_metadata=True,
                        limit=limit,
                        cursor=cursor or None,
                    )
            except Exception as error:
                raise delivery_error(error) from None
            messages = page.get("messages") or []
            for message in messages:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == ALERT_EVENT_TYPE
                    and payload.get("delivery_key") == delivery_key
                ):
                    return ports.Posted(message_id=str(message.get("ts", "")), thread_id=thread_id)
            seen += len(messages)
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor or not messages:
                return None
        return None


def _with_verdict(view: ports.AlertView, verdict: str) -> ports.AlertView:
    if view.verdict:
        return view
    return replace(view, verdict=verdict)


def _reply_text(reply: ports.CommandReply) -> str:
    """Command replies are plain text: escape them so nothing in them can ping or link."""
    return clip(escape(clean(reply.text, single_line=False)), MAX_REPLY_CHARS) or "Done."


def _ephemeral(text: str) -> Response:
    return JSONResponse({"response_type": "ephemeral", "text": escape(text)})
