"""Three `denialwatch run` replicas on one PostgreSQL database."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.running import RunningService, running_service

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

AGENCIES = [
    ("Danish Security Service", "DK"),
    ("Austrian Federal Police", "AT"),
    ("Hungarian Intelligence Office", "HU"),
    ("Greek National Intelligence Service", "GR"),
    ("Spanish National Police", "ES"),
]
TOPICS = [
    "Predator spyware",
    "Pegasus spyware",
    "Clearview AI",
    "Graphite spyware",
    "Candiru spyware",
    "PimEyes",
    "Palantir Gotham",
    "FinFisher",
]


def _stream() -> tuple[list[dict[str, str]], dict[str, object], int]:
    reports: list[dict[str, str]] = []
    pairs = 0
    for a, (agency, _) in enumerate(AGENCIES):
        for t, topic in enumerate(TOPICS):
            key = f"{a}-{t}"
            reports.append(
                {
                    "id": f"deny-{key}",
                    "published": "2022-01-10",
                    "source": "Wire A",
                    "text": f"The {agency} said it has never used {topic}.",
                }
            )
            if (a + t) % 2 == 0:
                pairs += 1
                reports.append(
                    {
                        "id": f"admit-{key}",
                        "published": "2023-03-01",
                        "source": "Wire B",
                        "text": f"The {agency} admitted on Monday that it had used "
                        f"{topic} in several investigations.",
                    }
                )
            reports.append(
                {
                    "id": f"noise-{key}",
                    "published": "2022-06-01",
                    "source": "Wire C",
                    "text": f"Lawmakers debated a budget for the {agency} on Tuesday.",
                }
            )
    watchlist = {
        "agencies": [{"name": n, "country": c, "aliases": []} for n, c in AGENCIES],
        "topics": [{"name": t, "aliases": []} for t in TOPICS],
    }
    return reports, watchlist, pairs


def _leaders(services: list[RunningService]) -> list[int]:
    found = []
    for i, service in enumerate(services):
        if service.process.poll() is not None:
            continue
        text = httpx.get(f"{service.url}/metrics", timeout=5).text
        if "denialwatch_scheduler_leader 1.0" in text:
            found.append(i)
    return found


def test_three_replicas_analyse_and_deliver_each_thing_once(tmp_path: Path, database: str) -> None:
    reports, watchlist, pairs = _stream()
    (tmp_path / "watchlist.json").write_text(json.dumps(watchlist))
    extra = {
        "DENIALWATCH_DATABASE_URL": database,
        "DENIALWATCH_WATCHLIST": str(tmp_path / "watchlist.json"),
    }
    with ExitStack() as stack:
        services = []
        for i in range(3):
            home = tmp_path / f"replica-{i}"
            home.mkdir()
            services.append(stack.enter_context(running_service(home, extra)))
        for i, report in enumerate(reports):
            assert services[i % 3].post_report(report).status_code == 202
        for report in reports[::7]:
            services[1].post_report(report)  # the same report again, to another replica

        def all_sent(response: httpx.Response) -> bool:
            alerts = response.json()["alerts"]
            return len(alerts) == pairs and all(
                d["status"] == "sent" for a in alerts for d in a["deliveries"]
            )

        alerts = services[0].wait_for("/api/v1/alerts", all_sent, timeout=120).json()["alerts"]
        assert sum(len(a["contradictions"]) for a in alerts) == pairs
        assert all(len(a["deliveries"]) == 1 for a in alerts)
        time.sleep(2)
        logs = [
            json.loads(line)
            for s in services
            for line in s.stderr.read_text().splitlines()
            if line.startswith("{")
        ]
        analysed = Counter(e["report"] for e in logs if e.get("event") == "report analysed")
        assert set(analysed) == {r["id"] for r in reports}
        assert max(analysed.values()) == 1
        printed = sum(s.stdout.read_text().count("== ") for s in services)
        assert printed == pairs

        leaders = _leaders(services)
        deadline = time.monotonic() + 30
        while len(leaders) != 1 and time.monotonic() < deadline:
            time.sleep(1)
            leaders = _leaders(services)
        assert len(leaders) == 1
        services[leaders[0]].process.send_signal(signal.SIGKILL)
        services[leaders[0]].process.wait(timeout=10)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now_leading = _leaders(services)
            if now_leading:
                break
            time.sleep(1)
        assert len(now_leading) == 1 and now_leading[0] != leaders[0]
