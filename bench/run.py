"""Run the matcher benchmark at 10k, 100k and 1M statements and record bench/RESULTS.md."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.tools.bench import run_bench
from bot.tools.retrieval_eval import evaluate_retrieval
from bot.tools.startup_bench import fill, measure

SCALES = ((10_000, 2_000), (100_000, 2_000), (1_000_000, 1_000))
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
CHECKTHAT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CHECKTHAT = CHECKTHAT / "checkthat2020-task2-en"
STARTUP_SCALES = (100_000, 1_000_000)
STARTUP_PG = "DENIALWATCH_BENCH_DATABASE_URL"
"""A PostgreSQL database the start-up benchmark may empty and fill; unset: SQLite only."""
STARTUP_COLUMNS = (
    "store",
    "statements",
    "mode",
    "ready_s",
    "rss_mb",
    "rss_after_search_mb",
    "peak_mb",
    "search_ms",
)
COLUMNS = (
    "claims",
    "reports",
    "reports_per_s",
    "baseline_reports_per_s",
    "speedup",
    "recall_vs_baseline",
    "recall_strict",
    "p50_ms",
    "p99_ms",
    "rss_mb",
    "baseline_reports",
    "baseline_matches",
    "build_s",
)


def machine() -> str:
    """Describe the CPU, core count and Python running the benchmark."""
    model = platform.processor() or "unknown cpu"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"on {platform.system()} {platform.release()}"
    )


def table(rows: list[dict[str, float | int | str]], columns: tuple[str, ...] = COLUMNS) -> str:
    """Render benchmark rows as a Markdown table."""
    head = "| " + " | ".join(columns) + " |\n| " + " | ".join("---" for _ in columns) + " |\n"
    return head + "".join(
        "| " + " | ".join(str(row.get(column, "")) for column in columns) + " |\n" for row in rows
    )


def startup_rows() -> list[dict[str, float | int | str]]:
    """Start-up time and RSS of the claim index, old full rebuild against the snapshot."""
    import tempfile

    rows: list[dict[str, float | int | str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        stores = [("sqlite", f"sqlite:///{scratch}/bench.db")]
        if os.environ.get(STARTUP_PG):
            stores.append(("postgresql", os.environ[STARTUP_PG]))
        for size in STARTUP_SCALES:
            for name, url in stores:
                fill(url, size)
                for mode in ("full", "cold", "warm"):
                    row = {"store": name, **measure(mode, url, f"{scratch}/{name}.index")}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    return rows


def replay_seconds(count: int = 1_000) -> float | None:
    """Time `replay` of `count` reports: the dev stream repeated under fresh ids."""
    import time
    from dataclasses import replace

    from bot.core.domain import ReportId
    from bot.entry.replay import replay
    from bot.inputs.loading import read_reports, read_watchlist

    dev = CHECKTHAT.parent / "dev"
    if not (dev / "reports.jsonl").is_file():
        return None
    stream = read_reports(dev / "reports.jsonl")
    reports = [
        replace(stream[i % len(stream)], id=ReportId(f"{stream[i % len(stream)].id}-{i}"))
        for i in range(count)
    ]
    watchlist = read_watchlist(dev / "watchlist.json")
    started = time.perf_counter()
    for _ in replay(reports, watchlist):
        pass
    return time.perf_counter() - started


def main() -> None:
    """Run every scale, print each result as JSON and write RESULTS.md."""
    rows = []
    for claims, reports in SCALES:
        row = run_bench(claims, reports)
        print(json.dumps(row), flush=True)
        rows.append(row)
    startup = startup_rows()
    retrieval = {}
    if (CHECKTHAT / "verified_claims.docs.tsv").is_file():
        for split in ("dev", "test"):
            retrieval[split] = evaluate_retrieval(CHECKTHAT, split)
            print(json.dumps({"split": split, **retrieval[split]}), flush=True)
    seconds = replay_seconds()
    notes = Path(__file__).resolve().parent / "NOTES.md"
    text = (
        "# Benchmark results\n\n"
        f"Recorded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (`python -m bench.run`)"
        f" on: {machine()}.\n\n"
        "## Matcher against the naive rapidfuzz scan\n\n"
        + table(rows)
        + "\n"
        + (notes.read_text() if notes.is_file() else "")
    )
    text += (
        "\n## Start-up of the claim index\n\n"
        "`full`: the old start-up (every statement read, index built in memory); `cold`: "
        "no snapshot yet (built from the store by row, snapshot written); `warm`: the "
        "snapshot mapped and caught up.\n\n" + table(startup, STARTUP_COLUMNS)
    )
    if retrieval:
        text += "\n## Claim retrieval (CheckThat! 2020 task 2, English)\n\n"
        text += "| split | map@5 | mrr | p@1 | queries |\n| --- | --- | --- | --- | --- |\n"
        for split, figures in retrieval.items():
            text += (
                f"| {split} | {figures['map@5']} | {figures['mrr']} | {figures['p@1']} "
                f"| {figures['queries']} |\n"
            )
    if seconds is not None:
        text += (
            "\n## Replay\n\n"
            f"`denialwatch replay` of 1,000 reports (the dev stream repeated under new ids, "
            f"so every report makes statements and many contradict): {seconds:.1f} s.\n"
        )
    RESULTS.write_text(text)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
