"""A faithful fake of Slack for tests: Web API, response URLs and Socket Mode.

`FakeSlack` serves on 127.0.0.1 (a free port) with aiohttp, records every call, and
answers the way Slack does:

- bearer token (`not_authed`, `invalid_auth`, `not_allowed_token_type`) and, when
  the fake knows the app's scopes, `missing_scope`;
- argument names checked against Slack's OpenAPI spec
  (`../shared/data/slack-api-specs/slack_web_openapi_v2.json`) plus an allow-list of
  arguments newer than the spec (`metadata`, `include_all_metadata`, …); unknown
  names get `invalid_arguments` so typos fail loudly;
- required arguments, known channels (`channel_not_found`, `not_in_channel`),
  `no_text`, `msg_too_long`, `message_not_found`, `invalid_metadata_format`;
- Block Kit shape and limits (≤ 50 blocks, header plain_text ≤ 150, section text
  ≤ 3000, fields ≤ 10 × 2000, context ≤ 10 elements, button text ≤ 75, value ≤
  2000, action_id and block_id unique) → `invalid_blocks` with the reasons;
- `rate_limit(n)` answers 429 with `Retry-After`; `fail(n)` answers 5xx;
- messages are stored, with metadata, for conversations.history/replies and
  chat.update; posts to response URLs are recorded;
- Socket Mode: apps.connections.open hands out a ws:// URL to a local WebSocket
  server that sends `hello`, delivers envelopes, records acks, and sends
  `disconnect` so the client reconnects through apps.connections.open again.

The module also plays Slack's sending side: payload builders and `signed_headers`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import socket
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

SPEC_ENV = "DENIALWATCH_SHARED_DATA"
_REPO = Path(__file__).resolve().parents[2]
MANIFEST = _REPO / "deploy" / "slack-app-manifest.yaml"


def _spec_path() -> Path:
    shared = Path(os.environ.get(SPEC_ENV, _REPO.parent / "shared" / "data"))
    return shared / "slack-api-specs" / "slack_web_openapi_v2.json"


# Methods newer than the frozen 2020 spec, and newer arguments of old methods.
NEWER_METHODS: dict[str, dict[str, Any]] = {
    "apps.connections.open": {"args": set(), "required": set(), "scopes": {"connections:write"}},
}
NEWER_ARGUMENTS: dict[str, set[str]] = {
    "chat.postMessage": {"metadata", "markdown_text"},
    "chat.update": {"metadata", "markdown_text", "reply_broadcast", "file_ids"},
    "chat.postEphemeral": {"markdown_text"},
    "conversations.history": {"include_all_metadata"},
    "conversations.replies": {"include_all_metadata"},
}
# slack_sdk adds team_id to every call of a client built for a team (bolt builds one
# per request); Slack accepts it on every method for org-wide installs.
ANY_METHOD_ARGUMENTS = {"team_id"}
# Used only when the shared spec is not on disk, so the fake still validates.
FALLBACK_SPEC: dict[str, dict[str, Any]] = {
    "auth.test": {"args": set(), "required": set(), "scopes": set()},
    "chat.postMessage": {
        "args": {
            "as_user",
            "attachments",
            "blocks",
            "channel",
            "icon_emoji",
            "icon_url",
            "link_names",
            "mrkdwn",
            "parse",
            "reply_broadcast",
            "text",
            "thread_ts",
            "unfurl_links",
            "unfurl_media",
            "username",
        },
        "required": {"channel"},
        "scopes": {"chat:write"},
    },
    "chat.update": {
        "args": {
            "as_user",
            "attachments",
            "blocks",
            "channel",
            "link_names",
            "parse",
            "text",
            "ts",
        },
        "required": {"channel", "ts"},
        "scopes": {"chat:write"},
    },
    "chat.postEphemeral": {
        "args": {
            "as_user",
            "attachments",
            "blocks",
            "channel",
            "icon_emoji",
            "icon_url",
            "link_names",
            "parse",
            "text",
            "thread_ts",
            "user",
            "username",
        },
        "required": {"channel", "user"},
        "scopes": {"chat:write"},
    },
    "conversations.history": {
        "args": {"channel", "latest", "oldest", "inclusive", "limit", "cursor"},
        "required": set(),
        "scopes": {"channels:history", "groups:history", "im:history", "mpim:history"},
    },
    "conversations.replies": {
        "args": {"channel", "ts", "latest", "oldest", "inclusive", "limit", "cursor"},
        "required": set(),
        "scopes": {"channels:history", "groups:history", "im:history", "mpim:history"},
    },
}
# Slack requires these although the 2020 spec leaves them optional.
EXTRA_REQUIRED: dict[str, set[str]] = {
    "conversations.history": {"channel"},
    "conversations.replies": {"channel", "ts"},
}
_OLD_SCOPES = {"chat:write:bot": "chat:write", "chat:write:user": "chat:write"}


@cache
def method_spec(method: str) -> dict[str, Any] | None:
    """Argument names, required arguments and accepted scopes of a Web API method."""
    if method in NEWER_METHODS:
        return NEWER_METHODS[method]
    path = _spec_path()
    if not path.exists():
        return FALLBACK_SPEC.get(method)
    spec = _load_spec(path)
    operations = spec["paths"].get(f"/{method}")
    if not operations:
        return None
    operation = next(iter(operations.values()))
    args: set[str] = set()
    required: set[str] = set()
    for parameter in operation.get("parameters", []):
        if parameter.get("in") not in ("formData", "query") or parameter["name"] == "token":
            continue
        args.add(parameter["name"])
        if parameter.get("required"):
            required.add(parameter["name"])
    scopes: set[str] = set()
    for requirement in operation.get("security", []):
        for scope in requirement.get("slackAuth", []):
            if scope != "none":
                scopes.add(_OLD_SCOPES.get(scope, scope))
    return {"args": args, "required": required, "scopes": scopes}


@cache
def _load_spec(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """The bot scopes the app manifest asks for (what a real install would grant)."""
    import yaml  # a test-only dependency: PyYAML comes with the dev tools

    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


# ---------------------------------------------------------------------- Block Kit

BLOCK_TYPES = {
    "section",
    "header",
    "context",
    "actions",
    "divider",
    "image",
    "rich_text",
    "input",
    "file",
    "video",
}


def block_kit_errors(blocks: Any) -> list[str]:
    """What Slack would say is wrong with these blocks (empty when they are valid)."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    errors: list[str] = []
    if len(blocks) > 50:
        errors.append(f"too many blocks: {len(blocks)} > 50")
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"[block {index}]"
        if not isinstance(block, dict):
            errors.append(f"{where} must be an object")
            continue
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            errors.append(f"{where} unknown block type {kind!r}")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not 1 <= len(block_id) <= 255:
                errors.append(f"{where} block_id must be 1..255 characters")
            elif block_id in block_ids:
                errors.append(f"{where} duplicate block_id {block_id!r}")
            else:
                block_ids.add(block_id)
        errors.extend(f"{where} {e}" for e in _block_errors(kind, block, action_ids))
    return errors


def _text_errors(obj: Any, name: str, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{name} must be a text object"]
    kind = obj.get("type")
    allowed = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
    if kind not in allowed:
        return [f"{name} must be of type {' or '.join(sorted(allowed))}"]
    extra = set(obj) - {"type", "text", "emoji" if kind == "plain_text" else "verbatim"}
    if extra:
        return [f"{name} has unknown fields {sorted(extra)}"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"{name}.text must be a non-empty string"]
    if len(text) > limit:
        return [f"{name}.text must be at most {limit} characters (got {len(text)})"]
    return []


def _block_errors(kind: str, block: dict[str, Any], action_ids: set[str]) -> list[str]:
    errors: list[str] = []
    if kind == "header":
        errors += _text_errors(block.get("text"), "header", 150, plain_only=True)
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append("section needs text or fields")
        if "text" in block:
            errors += _text_errors(block["text"], "section", 3000)
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                errors.append("section fields must be 1..10 items")
            else:
                for i, f in enumerate(fields):
                    errors += _text_errors(f, f"fields[{i}]", 2000)
        if "accessory" in block:
            errors += _element_errors(block["accessory"], "accessory", action_ids)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            errors.append("context elements must be 1..10 items")
        else:
            for i, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") == "image":
                    continue
                errors += _text_errors(element, f"elements[{i}]", 3000)
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
            errors.append("actions elements must be 1..25 items")
        else:
            for i, element in enumerate(elements):
                errors += _element_errors(element, f"elements[{i}]", action_ids)
    elif kind == "divider":
        extra = set(block) - {"type", "block_id"}
        if extra:
            errors.append(f"divider has unknown fields {sorted(extra)}")
    return errors


def _element_errors(element: Any, name: str, action_ids: set[str]) -> list[str]:
    if not isinstance(element, dict):
        return [f"{name} must be an object"]
    errors: list[str] = []
    if element.get("type") == "button":
        errors += _text_errors(element.get("text"), f"{name}.text", 75, plain_only=True)
        for key, limit in (("value", 2000), ("url", 3000)):
            value = element.get(key)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                errors.append(f"{name}.{key} must be a string of at most {limit} characters")
        style = element.get("style")
        if style is not None and style not in ("primary", "danger"):
            errors.append(f"{name}.style must be primary or danger")
    action_id = element.get("action_id")
    if action_id is not None:
        if not isinstance(action_id, str) or not 1 <= len(action_id) <= 255:
            errors.append(f"{name}.action_id must be 1..255 characters")
        elif action_id in action_ids:
            errors.append(f"{name} duplicate action_id {action_id!r}")
        else:
            action_ids.add(action_id)
    return errors


# ---------------------------------------------------------------------- records


@dataclass
class Call:
    """One request the fake received, and what it answered."""

    method: str
    args: dict[str, Any]
    token: str
    status: int
    response: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str:
        return str(self.response.get("error", ""))


@dataclass
class Channel:
    id: str
    member: bool = True
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Fault:
    remaining: int
    status: int
    method: str | None
    retry_after: float = 0.0


class SlackError(Exception):
    def __init__(self, error: str, status: int = 200, **extra: Any):
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


_TRUE = {"1", "true", "True"}


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value in _TRUE) or value == 1


class FakeSlack:
    """A Slack Web API (and Socket Mode server) on loopback; see the module docstring."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        channels: Iterable[str] = ("C0ALERTS",),
        scopes: frozenset[str] | None = None,
        team_id: str = "T0TEAM",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0APP",
        strict_arguments: bool = True,
    ):
        self.bot_token = bot_token
        self.app_token = app_token
        self.scopes = scopes
        self.app_scopes = frozenset({"connections:write"})
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.strict_arguments = strict_arguments
        self.channels: dict[str, Channel] = {c: Channel(c) for c in channels}
        self.calls: list[Call] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.response_posts: list[tuple[str, dict[str, Any]]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections_opened = 0
        self._faults: list[_Fault] = []
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_tickets: set[str] = set()
        self._changed = asyncio.Condition()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeSlack:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_get("/socket-mode", self._socket_mode)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str = "") -> str:
        return f"{self.url}/response/{key or uuid.uuid4().hex}"

    # ------------------------------------------------------------------ control

    def add_channel(self, channel_id: str, *, member: bool = True) -> None:
        self.channels[channel_id] = Channel(channel_id, member=member)

    def rate_limit(
        self, n: int, retry_after: float = 1, method: str | None = "chat.postMessage"
    ) -> None:
        """Answer the next n calls (of `method`, or of any method) with 429."""
        self._faults.append(_Fault(n, 429, method, retry_after))

    def fail(self, n: int, status: int = 500, method: str | None = "chat.postMessage") -> None:
        """Answer the next n calls with an HTML 5xx page, as a broken edge would."""
        self._faults.append(_Fault(n, status, method))

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        return self.channels[channel_id].messages

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Wait until predicate() is true (checked whenever the fake records something)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ Web API

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args, token = await self._arguments(request)
        fault = self._take_fault(method)
        status = 200
        if fault is not None:
            status = fault.status
            if status == 429:
                body: dict[str, Any] = {"ok": False, "error": "ratelimited"}
                self._record(method, args, token, status, body)
                await self._notify()
                return web.json_response(
                    body, status=429, headers={"Retry-After": f"{fault.retry_after:g}"}
                )
            self._record(method, args, token, status, {"ok": False, "error": f"http_{status}"})
            await self._notify()
            return web.Response(
                status=status,
                text="<html><body>Service unavailable</body></html>",
                content_type="text/html",
            )
        try:
            body = {"ok": True, **self._dispatch(method, args, token)}
        except SlackError as error:
            status = error.status
            body = {"ok": False, "error": error.error, **error.extra}
        self._record(method, args, token, status, body)
        await self._notify()
        return web.json_response(body, status=status)

    async def _arguments(self, request: web.Request) -> tuple[dict[str, Any], str]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                loaded = await request.json()
                if isinstance(loaded, dict):
                    args.update(loaded)
            else:
                args.update(dict(await request.post()))
        token = ""
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ")
        token = str(args.pop("token", "") or token)
        return args, token

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method in (None, method):
                fault.remaining -= 1
                return fault
        return None

    def _record(
        self, method: str, args: dict[str, Any], token: str, status: int, body: dict[str, Any]
    ) -> None:
        self.calls.append(Call(method, args, token, status, body))

    def _dispatch(self, method: str, args: dict[str, Any], token: str) -> dict[str, Any]:
        spec = method_spec(method)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if spec is None or handler is None:
            raise SlackError("unknown_method", status=404)
        self._check_token(method, token)
        granted = self.app_scopes if token == self.app_token else self.scopes
        if granted is not None and spec["scopes"] and not spec["scopes"] & granted:
            raise SlackError("missing_scope", needed=",".join(sorted(spec["scopes"])))
        unknown = (
            set(args) - spec["args"] - NEWER_ARGUMENTS.get(method, set()) - ANY_METHOD_ARGUMENTS
        )
        if unknown and self.strict_arguments:
            messages = [f"[ERROR] unknown argument '{name}'" for name in sorted(unknown)]
            raise SlackError("invalid_arguments", response_metadata={"messages": messages})
        for name in sorted(spec["required"] | EXTRA_REQUIRED.get(method, set())):
            if args.get(name) in (None, ""):
                error = "channel_not_found" if name == "channel" else "invalid_arguments"
                raise SlackError(
                    error,
                    response_metadata={"messages": [f"[ERROR] missing required field: {name}"]},
                )
        result: dict[str, Any] = handler(args)
        return result

    def _check_token(self, method: str, token: str) -> None:
        if not token:
            raise SlackError("not_authed")
        if method == "apps.connections.open":
            if token == self.bot_token:
                raise SlackError("not_allowed_token_type")
            if token != self.app_token:
                raise SlackError("invalid_auth")
            return
        if token == self.app_token:
            raise SlackError("not_allowed_token_type")
        if token != self.bot_token:
            raise SlackError("invalid_auth")

    def _channel(self, args: Mapping[str, Any], *, post: bool = False) -> Channel:
        channel = self.channels.get(str(args.get("channel", "")))
        if channel is None:
            raise SlackError("channel_not_found")
        if post and not channel.member:
            raise SlackError("not_in_channel")
        return channel

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    @staticmethod
    def _blocks(args: Mapping[str, Any]) -> list[Any] | None:
        blocks = args.get("blocks")
        if blocks is None:
            return None
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                raise SlackError("invalid_blocks_format") from None
        errors = block_kit_errors(blocks)
        if errors:
            raise SlackError(
                "invalid_blocks", errors=errors, response_metadata={"messages": errors}
            )
        return list(blocks)

    @staticmethod
    def _text(args: Mapping[str, Any], blocks: list[Any] | None) -> str:
        text = args.get("text")
        if (text in (None, "")) and not blocks:
            raise SlackError("no_text")
        text = "" if text is None else str(text)
        if len(text) > 40_000:
            raise SlackError("msg_too_long")
        return text

    @staticmethod
    def _metadata(args: Mapping[str, Any]) -> dict[str, Any] | None:
        metadata = args.get("metadata")
        if metadata is None:
            return None
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                raise SlackError("invalid_metadata_format") from None
        if (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload"), dict)
        ):
            raise SlackError("invalid_metadata_format")
        if len(json.dumps(metadata)) > 8_000:
            raise SlackError("metadata_too_large")
        return metadata

    def _m_auth_test(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.test/",
            "team": "Fake Newsroom",
            "user": "denialwatch",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, args: Mapping[str, Any]) -> dict[str, Any]:
        ticket = uuid.uuid4().hex
        self._socket_tickets.add(ticket)
        return {"url": f"ws://127.0.0.1:{self._port}/socket-mode?ticket={ticket}"}

    def _m_chat_postMessage(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._channel(args, post=True)
        blocks = self._blocks(args)
        text = self._text(args, blocks)
        metadata = self._metadata(args)
        thread_ts = str(args.get("thread_ts") or "")
        if thread_ts and not any(m["ts"] == thread_ts for m in channel.messages):
            raise SlackError("thread_not_found")
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": text,
            "ts": self._next_ts(),
        }
        if blocks is not None:
            message["blocks"] = blocks
        if metadata is not None:
            message["metadata"] = metadata
        if thread_ts:
            message["thread_ts"] = thread_ts
        channel.messages.append(message)
        public = {k: v for k, v in message.items() if k != "metadata"}
        return {"channel": channel.id, "ts": message["ts"], "message": public}

    def _m_chat_update(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args["ts"])
        message = next((m for m in channel.messages if m["ts"] == ts), None)
        if message is None:
            raise SlackError("message_not_found")
        blocks = self._blocks(args)
        text = self._text(args, blocks if blocks is not None else message.get("blocks"))
        if blocks is not None:
            message["blocks"] = blocks
        if "text" in args:
            message["text"] = text
        metadata = self._metadata(args)
        if metadata is not None:
            message["metadata"] = metadata
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel.id, "ts": ts, "text": message["text"]}

    def _m_chat_postEphemeral(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._channel(args, post=True)
        blocks = self._blocks(args)
        text = self._text(args, blocks)
        ts = self._next_ts()
        self.ephemerals.append(
            {"channel": channel.id, "user": str(args["user"]), "text": text, "ts": ts}
        )
        return {"message_ts": ts}

    def _page(self, messages: list[dict[str, Any]], args: Mapping[str, Any]) -> dict[str, Any]:
        try:
            limit = min(max(int(args.get("limit") or 100), 1), 1000)
            start = int(args.get("cursor") or 0)
        except ValueError:
            raise SlackError("invalid_cursor") from None
        include_metadata = _truthy(args.get("include_all_metadata"))
        page = []
        for message in messages[start : start + limit]:
            shown = dict(message)
            if not include_metadata:
                shown.pop("metadata", None)
            page.append(shown)
        more = start + limit < len(messages)
        return {
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_conversations_history(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        top = [m for m in channel.messages if m.get("thread_ts", m["ts"]) == m["ts"]]
        return self._page(list(reversed(top)), args)

    def _m_conversations_replies(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = str(args["ts"])
        parent = [m for m in channel.messages if m["ts"] == ts]
        if not parent:
            raise SlackError("thread_not_found")
        replies = [m for m in channel.messages if m.get("thread_ts") == ts and m["ts"] != ts]
        return self._page(parent + replies, args)

    # ------------------------------------------------------------------ response URLs

    async def _response_url(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        self.response_posts.append((request.match_info["key"], body))
        await self._notify()
        return web.Response(text="ok", content_type="text/plain")

    # ------------------------------------------------------------------ Socket Mode

    async def _socket_mode(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._socket_tickets:
            return web.Response(status=401, text="invalid ticket")
        self._socket_tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.connections_opened += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id},
            }
        )
        await self._notify()
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                with contextlib.suppress(ValueError):
                    data = json.loads(message.data)
                    if isinstance(data, dict) and "envelope_id" in data:
                        self.acks[str(data["envelope_id"])] = data
                        await self._notify()
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
            await self._notify()
        return ws

    @property
    def open_connections(self) -> int:
        return sum(1 for ws in self._sockets if not ws.closed)

    async def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str = "",
    ) -> str:
        """Deliver one envelope (`events_api`, `slash_commands`, `interactive`)."""
        live = [ws for ws in self._sockets if not ws.closed]
        if not live:
            raise RuntimeError("no Socket Mode connection is open")
        envelope_id = envelope_id or str(uuid.uuid4())
        await live[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": retry_reason,
            }
        )
        return envelope_id

    async def wait_ack(self, envelope_id: str, timeout: float = 3.0) -> dict[str, Any]:
        await self.wait_for(lambda: envelope_id in self.acks, timeout)
        return self.acks[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every client to reconnect, as Slack does every few hours."""
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_json(
                    {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-slack"}}
                )


# ---------------------------------------------------------------------- Slack's sending side


def signed_headers(
    secret: str, body: bytes, *, timestamp: int | None = None, content_type: str = ""
) -> dict[str, str]:
    """Headers Slack sends with a request: timestamp and v0 HMAC signature."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


FORM = "application/x-www-form-urlencoded"


def slash_command(
    text: str,
    *,
    response_url: str,
    channel_id: str = "C0ALERTS",
    user_id: str = "U0EDITOR",
    team_id: str = "T0TEAM",
    trigger_id: str = "",
) -> dict[str, str]:
    """The fields of a `/denialwatch` slash-command POST, as Slack sends them."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": "newsroom",
        "channel_id": channel_id,
        "channel_name": "alerts",
        "user_id": user_id,
        "user_name": "editor",
        "command": "/denialwatch",
        "text": text,
        "api_app_id": "A0APP",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}",
    }


def form_body(fields: Mapping[str, str]) -> bytes:
    return urlencode(fields).encode()


def block_actions(
    action_id: str,
    value: str,
    *,
    message: Mapping[str, Any],
    response_url: str,
    channel_id: str = "C0ALERTS",
    user_id: str = "U0EDITOR",
    team_id: str = "T0TEAM",
) -> dict[str, Any]:
    """A `block_actions` interactivity payload for one button press."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "editor", "name": "editor", "team_id": team_id},
        "api_app_id": "A0APP",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}",
        "team": {"id": team_id, "domain": "newsroom"},
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "alerts"},
        "message": dict(message),
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "dw_feedback",
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def interactive_body(payload: Mapping[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_callback(
    event: Mapping[str, Any], *, event_id: str = "", team_id: str = "T0TEAM"
) -> dict[str, Any]:
    """An Events API `event_callback` envelope."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "api_app_id": "A0APP",
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {"enterprise_id": None, "team_id": team_id, "user_id": "U0BOT", "is_bot": True}
        ],
    }
