"""A real Synapse homeserver on loopback for the Matrix adapter tests.

The `synapse` fixture (session scope) starts one homeserver with relaxed rate
limits; `synapse_stock_limits` (module scope) starts another that keeps Synapse's
default `rc_message` so a burst of sends meets `M_LIMIT_EXCEEDED`. Both run from
`.venv-synapse` (made by `make synapse`), because Synapse's pins clash with ours.

`Homeserver.register()` creates users by shared-secret registration (admin API,
HMAC-SHA1), and `MatrixUser` is a small raw client-server API client for the
"editor" side of a test: create a room, invite, send, react, wait for events.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from nio import AsyncClient, AsyncClientConfig, LoginResponse, SyncResponse

from adapters.matrix.adapter import MatrixAdapter
from bot.tools.bench import stop_process

ROOT = Path(__file__).resolve().parents[2]
SYNAPSE_PYTHON = ROOT / ".venv-synapse" / "bin" / "python"
SERVER_NAME = "denialwatch.test"
START_TIMEOUT_S = 60.0

_RELAXED = {"per_second": 1000, "burst_count": 1000}
RELAXED_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _RELAXED,
    "rc_registration": _RELAXED,
    "rc_login": {"address": _RELAXED, "account": _RELAXED, "failed_attempts": _RELAXED},
    "rc_joins": {"local": _RELAXED, "remote": _RELAXED},
    "rc_joins_per_room": _RELAXED,
    "rc_invites": {"per_room": _RELAXED, "per_user": _RELAXED, "per_issuer": _RELAXED},
    "rc_room_creation": _RELAXED,
    "rc_admin_redaction": _RELAXED,
    "rc_key_requests": _RELAXED,
    "rc_presence": {"per_user": _RELAXED},
}
# Even the stock server must let the tests log in and set up rooms quickly.
SETUP_RATE_LIMITS = {
    key: value for key, value in RELAXED_RATE_LIMITS.items() if key != "rc_message"
}

_usernames = itertools.count(1)


@dataclass(frozen=True)
class Account:
    user_id: str
    password: str
    access_token: str
    device_id: str


@dataclass
class Homeserver:
    """A running Synapse: its base URL and how to make accounts on it."""

    url: str
    server_name: str
    shared_secret: str
    directory: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def stop(self) -> None:
        """Stop the homeserver (its data stays, so `start` brings it back as it was)."""
        stop_synapse(self.process)

    def start(self) -> None:
        """Start a stopped homeserver again on the same port and database."""
        self.process = _launch(self.directory, self.url)

    def register(self, prefix: str = "user", *, admin: bool = False) -> Account:
        """Create a fresh user through the shared-secret registration admin API."""
        username = f"{prefix}{next(_usernames)}{secrets.token_hex(2)}"
        password = secrets.token_urlsafe(12)
        with httpx.Client(base_url=self.url, timeout=30) as http:
            nonce = http.get("/_synapse/admin/v1/register").raise_for_status().json()["nonce"]
            mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
            mac.update(
                b"\x00".join(
                    [
                        nonce.encode(),
                        username.encode(),
                        password.encode(),
                        b"admin" if admin else b"notadmin",
                    ]
                )
            )
            body = {
                "nonce": nonce,
                "username": username,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            }
            data = http.post("/_synapse/admin/v1/register", json=body).raise_for_status().json()
        return Account(data["user_id"], password, data["access_token"], data["device_id"])

    def user(self, account: Account) -> MatrixUser:
        return MatrixUser(self.url, account)


class MatrixUser:
    """A plain client-server API client acting as a person in the tests."""

    def __init__(self, url: str, account: Account):
        self.account = account
        self.user_id = account.user_id
        self._http = httpx.AsyncClient(
            base_url=url,
            timeout=30,
            headers={"Authorization": f"Bearer {account.access_token}"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = await self._http.request(method, path, json=body, params=params)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        return result

    async def create_room(
        self, *, invite: tuple[str, ...] = (), encrypted: bool = False, name: str = "newsroom"
    ) -> str:
        body: dict[str, Any] = {"name": name, "preset": "private_chat", "invite": list(invite)}
        if encrypted:
            body["initial_state"] = [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ]
        room_id: str = (await self._call("POST", "/_matrix/client/v3/createRoom", body))["room_id"]
        return room_id

    async def invite(self, room_id: str, user_id: str) -> None:
        await self._call(
            "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/invite", {"user_id": user_id}
        )

    async def join(self, room_id: str) -> None:
        await self._call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})

    async def send(
        self, room_id: str, content: Mapping[str, Any], event_type: str = "m.room.message"
    ) -> str:
        txn = secrets.token_hex(8)
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/send/{event_type}/{txn}"
        event_id: str = (await self._call("PUT", path, content))["event_id"]
        return event_id

    async def say(self, room_id: str, body: str, msgtype: str = "m.text") -> str:
        return await self.send(room_id, {"msgtype": msgtype, "body": body})

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        return await self.send(room_id, content, "m.reaction")

    async def members(self, room_id: str) -> dict[str, str]:
        """Return user id → membership for a room."""
        data = await self._call("GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/members")
        return {e["state_key"]: e["content"]["membership"] for e in data["chunk"]}

    async def messages(self, room_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """Return the room's latest timeline events, oldest first."""
        data = await self._call(
            "GET",
            f"/_matrix/client/v3/rooms/{quote(room_id)}/messages",
            params={"dir": "b", "limit": limit},
        )
        return list(reversed(data["chunk"]))

    async def wait_for(
        self, room_id: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15.0
    ) -> dict[str, Any]:
        """Poll the room until an event matches, and return it."""
        deadline = time.monotonic() + timeout
        while True:
            for event in await self.messages(room_id):
                if predicate(event):
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching event in {room_id} within {timeout}s")
            await asyncio.sleep(0.1)

    async def wait_membership(
        self, room_id: str, user_id: str, membership: str, timeout: float = 15.0
    ) -> None:
        deadline = time.monotonic() + timeout
        while (await self.members(room_id)).get(user_id) != membership:
            if time.monotonic() > deadline:
                raise AssertionError(f"{user_id} not {membership} in {room_id}")
            await asyncio.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _synapse_available() -> None:
    if SYNAPSE_PYTHON.exists():
        return
    reason = f"Synapse is not installed at {SYNAPSE_PYTHON.parent.parent} (run `make synapse`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI requires a real homeserver: {reason}", pytrace=False)
    pytest.skip(reason)


def start_synapse(directory: Path, rate_limits: Mapping[str, Any]) -> Homeserver:
    """Generate a config in directory, start Synapse on a free loopback port, wait for it."""
    _synapse_available()
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "homeserver.yaml"
    subprocess.run(
        [
            str(SYNAPSE_PYTHON),
            "-m",
            "synapse.app.homeserver",
            "--server-name",
            SERVER_NAME,
            "--config-path",
            str(config),
            "--data-directory",
            str(directory),
            "--generate-config",
            "--report-stats=no",
        ],
        check=True,
        cwd=directory,
        capture_output=True,
    )
    port = _free_port()
    secret = secrets.token_hex(16)
    (directory / "log.yaml").write_text(
        json.dumps(
            {
                "version": 1,
                "formatters": {
                    "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
                },
                "handlers": {
                    "file": {
                        "class": "logging.FileHandler",
                        "formatter": "plain",
                        "filename": str(directory / "homeserver.log"),
                    }
                },
                "root": {"level": "INFO", "handlers": ["file"]},
                "disable_existing_loggers": False,
            }
        )
    )
    # JSON is YAML; Synapse merges later config files over earlier ones key by key.
    overrides = {
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
        "log_config": str(directory / "log.yaml"),
        "media_store_path": str(directory / "media"),
        "registration_shared_secret": secret,
        "enable_registration": False,
        "federation_domain_whitelist": [],
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "report_stats": False,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        **rate_limits,
    }
    override_file = directory / "overrides.yaml"
    override_file.write_text(json.dumps(overrides))
    url = f"http://127.0.0.1:{port}"
    process = _launch(directory, url)
    return Homeserver(url, SERVER_NAME, secret, directory, process)


def _launch(directory: Path, url: str) -> subprocess.Popen[bytes]:
    """Start Synapse on an already generated config and wait until it answers."""
    configs = [directory / "homeserver.yaml", directory / "overrides.yaml"]
    with (directory / "stderr.log").open("ab") as stderr:
        process = subprocess.Popen(
            [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver"]
            + [arg for config in configs for arg in ("--config-path", str(config))],
            cwd=directory,
            stdout=stderr,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            log = (directory / "stderr.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"Synapse exited with {process.returncode}:\n{log}")
        try:
            if httpx.get(f"{url}/_matrix/client/versions", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_synapse(process)
            raise RuntimeError(f"Synapse did not answer on {url} within {START_TIMEOUT_S}s")
        time.sleep(0.1)


def stop_synapse(process: subprocess.Popen[bytes]) -> None:
    stop_process(process, timeout_s=15)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """A Synapse homeserver with relaxed rate limits, shared by the whole session."""
    directory = tmp_path_factory.mktemp("synapse")
    server = start_synapse(directory, RELAXED_RATE_LIMITS)
    yield server
    stop_synapse(server.process)
    shutil.rmtree(directory / "media", ignore_errors=True)


@pytest.fixture(scope="module")
def synapse_stock_limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """A Synapse homeserver that keeps the default message rate limit."""
    server = start_synapse(tmp_path_factory.mktemp("synapse-stock"), SETUP_RATE_LIMITS)
    yield server
    stop_synapse(server.process)


@pytest.fixture
def bot_account(synapse: Homeserver) -> Account:
    return synapse.register("bot")


@pytest.fixture
async def editor(synapse: Homeserver) -> AsyncIterator[MatrixUser]:
    user = synapse.user(synapse.register("editor"))
    yield user
    await user.aclose()


class MemoryState:
    """The Store port's get_state/set_state, in memory."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_state(self, key: str) -> str | None:
        return self.values.get(key)

    def set_state(self, key: str, value: str) -> None:
        self.values[key] = value


AdapterFactory = Callable[..., MatrixAdapter]


@pytest.fixture
async def make_adapter(tmp_path: Path) -> AsyncIterator[AdapterFactory]:
    """Build MatrixAdapters (stopped at teardown); defaults: fresh store under tmp_path."""
    made: list[MatrixAdapter] = []

    def factory(server: Homeserver, account: Account, **kwargs: Any) -> MatrixAdapter:
        kwargs.setdefault("store_path", tmp_path / "matrix-store")
        kwargs.setdefault("sync_timeout", timedelta(seconds=1))
        if "access_token" not in kwargs and "password" not in kwargs:
            kwargs["password"] = account.password
        adapter = MatrixAdapter(server.url, account.user_id, **kwargs)
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        await adapter.stop()


class EncryptedUser:
    """A person with an end-to-end encrypting matrix-nio client (its own key store)."""

    def __init__(self, server: Homeserver, account: Account, store_path: Path):
        store_path.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        self.account = account
        self.user_id = account.user_id
        self.raw = server.user(account)
        self.client = AsyncClient(
            server.url, account.user_id, store_path=str(store_path), config=config
        )
        self.seen: dict[str, dict[str, Any]] = {}

    async def login(self) -> None:
        response = await self.client.login(self.account.password)
        assert isinstance(response, LoginResponse), response
        await self.sync(full_state=True)
        await self.client.keys_upload()

    async def aclose(self) -> None:
        await self.client.close()
        await self.raw.aclose()

    async def sync(self, timeout_ms: int = 0, *, full_state: bool = False) -> None:
        """Sync once, do the key housekeeping, and keep every decrypted room event."""
        response = await self.client.sync(timeout=timeout_ms, full_state=full_state or None)
        await self.client.send_to_device_messages()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())
        if isinstance(response, SyncResponse):
            for info in response.rooms.join.values():
                for event in info.timeline.events:
                    if isinstance(getattr(event, "source", None), dict):
                        self.seen[event.event_id] = event.source

    async def prepare(self, room_id: str) -> None:
        """Learn the room's members and their devices before sending encrypted."""
        await self.sync(full_state=True)
        await self.client.joined_members(room_id)
        if self.client.should_query_keys:
            await self.client.keys_query()

    async def say(self, room_id: str, body: str) -> str:
        await self.prepare(room_id)
        response = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": body},
            ignore_unverified_devices=True,
        )
        event_id: str = response.event_id
        return event_id

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0
    ) -> dict[str, Any]:
        """Sync until a decrypted event matches, and return it."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.seen.values():
                if predicate(event):
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching decrypted event within {timeout}s")
            await self.sync(500)


@pytest.fixture
async def encrypted_editor(synapse: Homeserver, tmp_path: Path) -> AsyncIterator[EncryptedUser]:
    user = EncryptedUser(synapse, synapse.register("editor"), tmp_path / "editor-keys")
    await user.login()
    yield user
    await user.aclose()
