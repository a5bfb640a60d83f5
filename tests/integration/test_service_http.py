"""`denialwatch run` over real HTTP: the report API, health, metrics and alerts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import dev_report
from tests.running import TOKEN, RunningService, running_service

pytestmark = pytest.mark.shared


@pytest.fixture
def service(tmp_path: Path, data_dir: Path) -> RunningService:
    extra = {"DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json")}
    with running_service(tmp_path, extra) as running:
        yield running  # type: ignore[misc]


def test_posted_reports_raise_an_alert_on_the_console(
    service: RunningService, data_dir: Path
) -> None:
    first = service.post_report(dev_report(data_dir, "dev-01"))
    assert first.status_code == 202 and first.json() == {"id": "dev-01", "status": "accepted"}
    assert service.post_report(dev_report(data_dir, "dev-06")).status_code == 202

    alerts = service.wait_for("/api/v1/alerts", lambda r: r.json()["alerts"]).json()["alerts"]
    [alert] = alerts
    assert alert["agency"] == "Belgian Federal Police" and alert["topic"] == "Clearview AI"
    [contradiction] = alert["contradictions"]
    assert contradiction["kind"] == "denial_contradicted"
    assert contradiction["contradicts"] == "dev-01"
    service.wait_for(
        "/api/v1/alerts", lambda r: r.json()["alerts"][0]["deliveries"][0]["status"] == "sent"
    )
    printed = service.stdout.read_text()
    assert "Belgian Federal Police · Clearview AI" in printed
    assert "never used Clearview AI" in printed

    for since, count in (("2000-01-01", 1), ("2999-01-01T00:00:00Z", 0)):
        listed = service.get("/api/v1/alerts", since=since)
        assert len(listed.json()["alerts"]) == count
    bad = service.get("/api/v1/alerts", since="yesterday")
    assert bad.status_code == 422

    detail = service.get("/api/v1/reports/dev-06").json()
    assert detail["analysed"] and detail["contradictions"]
    assert any(s["role"] == "primary" and s["polarity"] == "affirms" for s in detail["statements"])


def test_same_report_twice_is_stored_once(service: RunningService, data_dir: Path) -> None:
    report = dev_report(data_dir, "dev-02")
    assert service.post_report(report).json()["status"] == "accepted"
    assert service.post_report(report).json()["status"] == "duplicate"


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b'{"id": "x", "published": "2020-01-01", "text": "t"}', 401),
        ({"Authorization": "Bearer wrong"}, b'{"id": "x", "published": "2020-01-01"}', 401),
        (None, b"{not json", 422),
        (None, b'{"id": "x", "published": "2020-01-01"}', 422),
        (None, b'{"id": "x", "published": "2020-01-01", "text": "' + b"a" * 1_100_000 + b'"}', 413),
    ],
    ids=["no-token", "wrong-token", "malformed", "no-text", "too-large"],
)
def test_bad_requests_are_refused_and_store_nothing(
    service: RunningService, headers: dict[str, str] | None, body: bytes, status: int
) -> None:
    sent = headers if headers is not None else {"Authorization": f"Bearer {TOKEN}"}
    response = httpx.post(
        f"{service.url}/api/v1/reports",
        content=body,
        headers={**sent, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == status
    assert "error" in response.json()
    assert service.get("/api/v1/reports/x").status_code == 404


def test_health_readiness_metrics_and_openapi(service: RunningService) -> None:
    assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{service.url}/readyz").status_code == 200
    metrics = httpx.get(f"{service.url}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "denialwatch_deliveries_total" in metrics.text or "# TYPE" in metrics.text
    paths = httpx.get(f"{service.url}/openapi.json").json()["paths"]
    assert {"/healthz", "/readyz", "/api/v1/reports", "/api/v1/alerts"} <= set(paths)


def test_write_api_is_off_without_a_token(tmp_path: Path) -> None:
    with running_service(tmp_path, {"DENIALWATCH_API_TOKEN": ""}) as running:
        response = running.post_report({"id": "x", "published": "2020-01-01", "text": "t"})
        assert response.status_code == 403
