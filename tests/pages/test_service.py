"""`denialwatch run` with pages on: alerts carry the link, the link opens the page."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import dev_report, free_port
from tests.running import run_cli, running_service, service_env

SECRET = "e2e-web-secret-" + "0" * 32


@pytest.mark.shared
def test_the_running_service_links_each_alert_to_its_signed_page(
    tmp_path: Path, data_dir: Path
) -> None:
    port = free_port()
    extra = {
        "DENIALWATCH_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DENIALWATCH_WEB_SECRET": SECRET,
        "DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json"),
    }
    with running_service(tmp_path, extra, port=port) as service:
        for report_id in ("dev-01", "dev-06"):
            assert service.post_report(dev_report(data_dir, report_id)).status_code == 202
        deadline = time.monotonic() + 30
        link = None
        while link is None and time.monotonic() < deadline:
            found = re.search(r"timeline: (\S+)", service.stdout.read_text())
            link = found[1] if found else None
            time.sleep(0.2)
        assert link is not None, service.stdout.read_text()[-2000:]
        assert link.startswith(f"{service.url}/alerts/")
        page = httpx.get(link, timeout=10)
        assert page.status_code == 200
        assert "had never used Clearview AI" in page.text
        assert httpx.get(link.split("?")[0], timeout=10).status_code == 401


def test_pages_on_without_a_secret_stop_start_up_with_one_line(tmp_path: Path) -> None:
    env = service_env(tmp_path, {"DENIALWATCH_PUBLIC_URL": "https://dw.example.org"})
    result = run_cli("run", env=env, cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DENIALWATCH_WEB_SECRET" in lines[0]


def test_pages_are_off_without_a_public_url(tmp_path: Path) -> None:
    with running_service(tmp_path) as service:
        assert httpx.get(f"{service.url}/", timeout=10).status_code == 404
        assert httpx.get(f"{service.url}/alerts/a%7Cb", timeout=10).status_code == 404


def test_pages_link_prints_a_signed_link_an_operator_can_hand_out(tmp_path: Path) -> None:
    from datetime import UTC, datetime
    from urllib.parse import parse_qs, urlsplit

    from bot.entry.pages.signing import PageSigner

    env = service_env(
        tmp_path,
        {"DENIALWATCH_PUBLIC_URL": "https://dw.example.org/", "DENIALWATCH_WEB_SECRET": SECRET},
    )
    result = run_cli("pages", "link", "--agency", "Belgian Federal Police", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    link = urlsplit(result.stdout.strip())
    assert (link.scheme, link.netloc, link.path) == (
        "https",
        "dw.example.org",
        "/agencies/belgian%20federal%20police",
    )
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    signer = PageSigner(SECRET.encode(), "https://dw.example.org")
    assert signer.verify(link.path, query["exp"], query["sig"], datetime.now(UTC)) is not None
    off = run_cli("pages", "link", env=service_env(tmp_path), cwd=tmp_path)
    assert off.returncode == 2 and "DENIALWATCH_PUBLIC_URL" in off.stderr
