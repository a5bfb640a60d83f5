"""The HTTP API against malformed and hostile input, on SQLite and PostgreSQL: one-line 4xx
answers, never a 500; the read API behind a token; corrections kept as revisions."""

from __future__ import annotations

import json
from datetime import date

import anyio
import httpx
import pytest

from bot.app.clock import FixedClock
from bot.app.pipeline import Pipeline
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.entry.http_app import create_app
from bot.entry.metrics import Metrics
from storage.sql_store import SqlStore

TOKEN = "write-token"
READ = "read-token"
WRITE = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
TODAY = date(2026, 3, 1)


async def _ready() -> str | None:
    return None


class Client:
    """A synchronous face on the ASGI app (starlette's Client warns on this httpx)."""

    def __init__(self, app: object) -> None:
        self._app = app

    def _send(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._app)  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                return await c.request(method, path, **kwargs)  # type: ignore[arg-type]

        return anyio.run(send)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self._send("GET", path, **kwargs)

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return self._send("POST", path, **kwargs)


@pytest.fixture
def client(sql_store: SqlStore) -> Client:
    pipeline = Pipeline(sql_store, FixedClock(), load_lexicons(), load_vocabulary())
    app = create_app(
        sql_store,
        pipeline,
        Metrics(),
        api_token=TOKEN,
        read_token=READ,
        readiness=_ready,
        today=lambda: TODAY,
    )
    return Client(app)


def post(client: Client, body: str | bytes) -> tuple[int, str]:
    response = client.post("/api/v1/reports", content=body, headers=WRITE)
    return response.status_code, response.json().get("error", "")


GOOD = {"id": "r1", "published": "2021-10-27", "source": "Wire", "text": "Some text."}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(json.dumps({**GOOD, "text": "bad \ud800 text"}), "surrogate", id="surrogate"),
        pytest.param(json.dumps({**GOOD, "id": "bad\ud800"}), "surrogate", id="surrogate-id"),
        pytest.param("[" * 100_000 + "]" * 100_000, "nested", id="deep-json"),
        pytest.param(json.dumps({**GOOD, "source": "Wi\x00re"}), "NUL", id="nul-source"),
        pytest.param(json.dumps({**GOOD, "id": "r\x001"}), "NUL", id="nul-id"),
        pytest.param(json.dumps({**GOOD, "url": "https://x.org/\x00"}), "NUL", id="nul-url"),
        pytest.param(json.dumps({**GOOD, "title": "T" * 900_000}), "title", id="huge-title"),
        pytest.param(json.dumps({**GOOD, "published": "9999-12-31"}), "future", id="future"),
        pytest.param(
            json.dumps({**GOOD, "published": "9999-12-31T23:59:59-23:59"}), "", id="overflow"
        ),
    ],
)
def test_malformed_reports_get_a_one_line_422_and_store_nothing(
    client: Client, sql_store: SqlStore, body: str, expected: str
) -> None:
    status, error = post(client, body)
    assert status == 422
    assert expected in error and "\n" not in error
    assert sql_store.claim_unanalysed(10) == []


def test_a_report_dated_tomorrow_is_accepted(client: Client) -> None:
    status, _ = post(client, json.dumps({**GOOD, "published": "2026-03-02"}))
    assert status == 202


@pytest.mark.parametrize(
    "since", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "x" * 10_000, "\x00"]
)
def test_absurd_since_is_a_422(client: Client, since: str) -> None:
    response = client.get(
        "/api/v1/alerts", params={"since": since}, headers={"Authorization": f"Bearer {READ}"}
    )
    assert response.status_code == 422


def test_the_read_api_needs_a_token(client: Client) -> None:
    assert post(client, json.dumps(GOOD))[0] == 202
    for path in ("/api/v1/alerts", "/api/v1/reports/r1"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get(path, headers={"Authorization": f"Bearer {READ}"}).status_code == 200
        assert client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_a_correction_is_stored_as_a_revision_and_analysed_again(
    client: Client, sql_store: SqlStore
) -> None:
    assert post(client, json.dumps(GOOD))[0] == 202
    sql_store.claim_unanalysed(10)
    sql_store.skip_report(GOOD["id"], "test: as if analysed")  # type: ignore[arg-type]
    corrected = {**GOOD, "text": "Corrected text."}
    response = client.post("/api/v1/reports", content=json.dumps(corrected), headers=WRITE)
    assert response.status_code == 202 and response.json()["status"] == "accepted"
    assert [r.id for r in sql_store.claim_unanalysed(10)] == ["r1"]
    detail = client.get("/api/v1/reports/r1", headers={"Authorization": f"Bearer {READ}"}).json()
    assert detail["revision"] == 2
    assert detail["revisions"][0]["changed"] == ["text"]
    assert detail["revisions"][0]["text"] == "Some text."
    assert detail["skipped"] is None


def test_a_second_id_for_the_same_url_says_where_the_report_is(client: Client) -> None:
    first = {**GOOD, "url": "https://example.org/story"}
    assert post(client, json.dumps(first))[0] == 202
    again = client.post(
        "/api/v1/reports", content=json.dumps({**first, "id": "r2"}), headers=WRITE
    ).json()
    assert again == {"id": "r2", "status": "duplicate", "stored_as": "r1"}
    found = client.get("/api/v1/reports/r1", headers={"Authorization": f"Bearer {READ}"})
    assert found.status_code == 200
