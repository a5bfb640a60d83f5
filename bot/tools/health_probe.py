"""`python -m bot.tools.health_probe URL`: GET URL every 100 ms until stdin closes.

Then prints one JSON object, `{"latencies": [seconds…], "failed": n}`. The load
benchmark runs it as a process of its own, so that what it measures is the service:
in the process that also posts and watches the database, that process's own pauses
(its posting loop, its watcher thread, its collector) were counted as the service's.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import httpx

EVERY_S = 0.1


def probe(url: str, done: threading.Event, every_s: float = EVERY_S) -> tuple[list[float], int]:
    """Latencies of the 200 answers, and how many polls got none, until `done`."""
    latencies: list[float] = []
    failed = 0
    with httpx.Client(timeout=60) as client:
        tick = time.perf_counter()
        while not done.is_set():
            sent = time.perf_counter()
            try:
                answered = client.get(url).status_code == 200
            except httpx.HTTPError:
                answered = False
            if answered:
                latencies.append(time.perf_counter() - sent)
            else:
                failed += 1
            tick += every_s
            done.wait(max(tick - time.perf_counter(), 0.0))
    return latencies, failed


def main() -> None:
    done = threading.Event()

    def until_stdin_closes() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    latencies, failed = probe(sys.argv[1], done)
    json.dump({"latencies": latencies, "failed": failed}, sys.stdout)


if __name__ == "__main__":
    main()
