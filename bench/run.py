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

SCALES = ((10_000, 2_000), (100_000, 2_000), (1_000_000, 1_000))
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CHECKTHAT = DATA / "checkthat2020-task2-en"
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


EXTRACTION_COLUMNS = (
    "names",
    "agencies",
    "topics",
    "reports",
    "ms_per_report",
    "ratio",
    "first_pass_ms",
    "statements",
    "build_s",
)
THROUGHPUT_COLUMNS = (
    "stream",
    "reports",
    "words",
    "replay_reports_per_s",
    "floor_reports_per_s",
    "floor_over_replay",
    "replay_s",
    "contradictions",
)


def table(rows: list[dict[str, float | int | str]], columns: tuple[str, ...] = COLUMNS) -> str:
    """Render benchmark rows as a Markdown table."""
    head = "| " + " | ".join(columns) + " |\n| " + " | ".join("---" for _ in columns) + " |\n"
    return head + "".join(
        "| " + " | ".join(str(row.get(column, "")) for column in columns) + " |\n" for row in rows
    )


def extraction_rows() -> list[dict[str, float | int | str]]:
    """Extraction with 10, 200 and 1,000 watched names on the dev and dev2 reports."""
    from bot.inputs.loading import read_reports, read_watchlist
    from bot.tools.extraction_bench import run_watchlist_bench

    if not all((DATA / name / "reports.jsonl").is_file() for name in ("dev", "dev2")):
        return []
    reports = read_reports(DATA / "dev" / "reports.jsonl")
    reports += read_reports(DATA / "dev2" / "reports.jsonl")
    return run_watchlist_bench(reports, read_watchlist(DATA / "dev" / "watchlist.json"))


def throughput_rows() -> list[dict[str, float | int | str]]:
    """Replay reports/s on wire items and on long articles, each against its floor."""
    from bot.core.domain import Watchlist
    from bot.inputs.loading import read_reports, read_watchlist
    from bot.tools.extraction_bench import long_articles, repeated, run_throughput_bench

    if not all((DATA / name / "reports.jsonl").is_file() for name in ("dev", "dev2")):
        return []
    dev = read_reports(DATA / "dev" / "reports.jsonl")
    dev2 = read_reports(DATA / "dev2" / "reports.jsonl")
    both = read_watchlist(DATA / "dev" / "watchlist.json")
    extra = read_watchlist(DATA / "dev2" / "watchlist.json")
    for agency in extra.agencies:
        both = both.with_agency(agency)
    for topic in extra.topics:
        both = both.with_topic(topic)
    watched: Watchlist = both
    return [
        run_throughput_bench("wire: dev stream", repeated(dev, 1_000), watched),
        run_throughput_bench(
            "long: 600-900 words", repeated(long_articles(dev + dev2), 200), watched
        ),
    ]


def main() -> None:
    """Run every scale, print each result as JSON and write RESULTS.md."""
    rows = []
    for claims, reports in SCALES:
        row = run_bench(claims, reports)
        print(json.dumps(row), flush=True)
        rows.append(row)
    retrieval = {}
    if (CHECKTHAT / "verified_claims.docs.tsv").is_file():
        for split in ("dev", "test"):
            retrieval[split] = evaluate_retrieval(CHECKTHAT, split)
            print(json.dumps({"split": split, **retrieval[split]}), flush=True)
    extraction = extraction_rows()
    for row in extraction:
        print(json.dumps(row), flush=True)
    throughput = throughput_rows()
    for row in throughput:
        print(json.dumps(row), flush=True)
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
    if retrieval:
        text += "\n## Claim retrieval (CheckThat! 2020 task 2, English)\n\n"
        text += "| split | map@5 | mrr | p@1 | queries |\n| --- | --- | --- | --- | --- |\n"
        for split, figures in retrieval.items():
            text += (
                f"| {split} | {figures['map@5']} | {figures['mrr']} | {figures['p@1']} "
                f"| {figures['queries']} |\n"
            )
    here = Path(__file__).resolve().parent
    if extraction:
        text += "\n## Extraction against watchlist size\n\n" + table(extraction, EXTRACTION_COLUMNS)
    if throughput:
        text += "\n## Replay against its floor\n\n" + table(throughput, THROUGHPUT_COLUMNS)
    for name in ("EXTRACTION.md", "EARLIER.md"):
        if (here / name).is_file():
            text += "\n" + (here / name).read_text()
    RESULTS.write_text(text)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
