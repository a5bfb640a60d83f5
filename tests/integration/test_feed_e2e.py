"""A loopback RSS feed added with `feeds add` yields the contradiction in /api/v1/alerts."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.conftest import dev_report, free_port
from tests.running import run_cli, running_service, service_env

pytestmark = pytest.mark.shared


def _rss(data_dir: Path, ids: tuple[str, ...]) -> bytes:
    items = []
    for line in (data_dir / "dev" / "reports.jsonl").read_text().splitlines():
        report = json.loads(line)
        if report["id"] not in ids:
            continue
        published = datetime.fromisoformat(report["published"]).replace(tzinfo=UTC)
        items.append(
            f"<item><title>{escape(report['title'])}</title>"
            f"<link>https://news.example.org/{report['id']}</link>"
            f"<guid>{report['id']}</guid><pubDate>{format_datetime(published)}</pubDate>"
            f"<description>{escape(report['text'])}</description></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        "<title>Loopback wire</title><link>https://news.example.org/</link>"
        "<description>test</description>" + "".join(items) + "</channel></rss>"
    ).encode()


@pytest.fixture
def feed_server(data_dir: Path) -> Iterator[str]:
    rss = _rss(data_dir, ("dev-01", "dev-06"))
    article = dev_report(data_dir, "dev-06")
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in str(article["text"]).split("\n") if p)
    title = escape(str(article["title"]))
    page = (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{paragraphs}</article></body></html>"
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            is_page = self.path.startswith("/article")
            body = page if is_page else rss
            kind = "text/html" if is_page else "application/rss+xml"
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/rss.xml"
    finally:
        server.shutdown()
        server.server_close()


def test_feed_added_by_cli_yields_the_alert(
    tmp_path: Path, data_dir: Path, feed_server: str
) -> None:
    host = feed_server.split("/")[2]
    extra = {
        "DENIALWATCH_FETCH_ALLOW_HOSTS": host,
        "DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json"),
    }
    env = service_env(tmp_path, extra)
    added = run_cli("feeds", "add", feed_server, "--every", "1", env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    with running_service(tmp_path, extra) as service:
        alerts = service.wait_for(
            "/api/v1/alerts", lambda r: r.json()["alerts"], timeout=120
        ).json()["alerts"]
    [alert] = alerts
    [contradiction] = alert["contradictions"]
    assert contradiction["kind"] == "denial_contradicted"
    assert alert["agency"] == "Belgian Federal Police"


def test_feeds_add_refuses_a_private_address_before_connecting(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    for url in (
        "http://127.0.0.1:9/feed",
        "http://169.254.169.254/latest",
        "file:///etc/passwd",
        "http://10.0.0.1/rss",
    ):
        done = run_cli("feeds", "add", url, env=env, cwd=tmp_path)
        assert done.returncode == 2, url
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("denialwatch: error: refused"), line
    listed = run_cli("feeds", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0
    assert listed.stdout == ""


def test_a_report_with_only_a_url_is_fetched_and_analysed(
    tmp_path: Path, data_dir: Path, feed_server: str
) -> None:
    host = feed_server.split("/")[2]
    extra = {
        "DENIALWATCH_FETCH_ALLOW_HOSTS": host,
        "DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json"),
    }
    with running_service(tmp_path, extra) as service:
        service.post_report(dev_report(data_dir, "dev-01"))
        response = service.post_report(
            {"id": "page", "published": "2021-10-29", "url": f"http://{host}/article/belgium"}
        )
        assert response.status_code == 202, response.text
        alerts = service.wait_for("/api/v1/alerts", lambda r: r.json()["alerts"]).json()
        [contradiction] = alerts["alerts"][0]["contradictions"]
        assert (contradiction["report_id"], contradiction["contradicts"]) == ("page", "dev-01")
        refused = service.post_report(
            {
                "id": "p2",
                "published": "2021-10-29",
                "url": "http://169.254.169.254/latest/meta-data",
            }
        )
        assert refused.status_code == 422
