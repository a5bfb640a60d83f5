"""Run the matcher benchmark at 10k, 100k and 1M statements and record bench/RESULTS.md."""

from __future__ import annotations

import io
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.tools.bench import run_api_bench, run_bench
from bot.tools.retrieval_eval import evaluate_retrieval
from bot.tools.startup_bench import fill, measure

SCALES = ((10_000, 2_000), (100_000, 2_000), (1_000_000, 1_000))
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CHECKTHAT = DATA / "checkthat2020-task2-en"
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


ONE_PAIR_SECTION = "## One pair re-sent 3,000 times"
ONE_PAIR_COLUMNS = (
    "stream",
    "store",
    "reports",
    "replay_s",
    "replay_reports_per_s",
    "contradictions",
    "max_per_report",
    "max_others_in_an_alert",
)


def one_pair_rows() -> list[dict[str, float | int | str]]:
    """The Belgian denial and its contradiction (dev-01, dev-06) re-sent 3,000 times."""
    from bot.inputs.loading import read_reports, read_watchlist
    from bot.tools.extraction_bench import run_one_pair_bench

    if not (DATA / "dev" / "reports.jsonl").is_file():
        return []
    pair = [r for r in read_reports(DATA / "dev" / "reports.jsonl") if r.id in ("dev-01", "dev-06")]
    watchlist = read_watchlist(DATA / "dev" / "watchlist.json")
    rows = [run_one_pair_bench(pair, watchlist)]
    with tempfile.TemporaryDirectory() as tmp:
        # The service's store: a SQLite file, candidates read from `statement_groups`.
        rows.append(run_one_pair_bench(pair, watchlist, store_url=f"sqlite:///{tmp}/pair.db"))
    return rows


def recorded(heading: str, command: str, body: str, notes: str) -> str:
    """A section: its heading, when and by what command on which machine it was
    recorded, its table(s) and the notes kept by hand in `bench/<notes>`."""
    path = Path(__file__).resolve().parent / notes
    return (
        f"{heading}\n\n"
        f"Recorded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by {command} on: {machine()}.\n\n"
        + body
        + "\n"
        + (path.read_text() if path.is_file() else "")
    )


def one_pair_section(rows: list[dict[str, float | int | str]]) -> str:
    """The one-pair table and its notes (`bench/ONE_PAIR.md`)."""
    return recorded(
        ONE_PAIR_SECTION,
        "`make bench BENCH=one-pair`",
        table(rows, ONE_PAIR_COLUMNS),
        "ONE_PAIR.md",
    )


API_SECTION = "## Write API while analysing"
API_COLUMNS = (
    "database",
    "client",
    "clients",
    "reports",
    "mode",
    "p50_ms",
    "p99_ms",
    "max_ms",
    "all_analysed_s",
    "analysed_per_s",
    "throttled",
    "p99_vs_in_process",
    "analysed_s_vs_in_process",
)
API_RUNS = (
    (20, 0, "lean"),
    (20, 1, "lean"),
    (20, 1, "httpx"),
    (20, 2, "lean"),
    (50, 0, "lean"),
    (50, 1, "lean"),
    (50, 2, "lean"),
)
"""(clients, DENIALWATCH_WORKERS, client): the in-process baseline first in each group;
one run with httpx's client shows what a heavier client on the same cores adds."""


def api_section(reports: int = 600) -> str:
    """Post the dev stream to `denialwatch run` in each mode; return the Markdown section.

    SQLite always; PostgreSQL too when DENIALWATCH_BENCH_DATABASE_URL names a server
    (a fresh database is made there for each run and dropped after).
    """
    dev = CHECKTHAT.parent / "dev"
    if not (dev / "reports.jsonl").is_file():
        return f"{API_SECTION}\n\nNot run: {dev} is missing.\n"
    servers: list[str | None] = [None]
    if os.environ.get("DENIALWATCH_BENCH_DATABASE_URL"):
        servers.append(os.environ["DENIALWATCH_BENCH_DATABASE_URL"])
    rows: list[dict[str, float | int | str]] = []
    for server in servers:
        baseline: dict[str, float | int | str] = {}
        for clients, workers, client in API_RUNS:
            with _database(server) as url:
                row = run_api_bench(
                    dev,
                    reports=reports,
                    clients=clients,
                    workers=workers,
                    database_url=url,
                    client=client,
                )
            if workers == 0:
                baseline = row
            row["p99_vs_in_process"] = _ratio(row["p99_ms"], baseline["p99_ms"])
            row["analysed_s_vs_in_process"] = _ratio(
                row["all_analysed_s"], baseline["all_analysed_s"]
            )
            print(json.dumps(row), flush=True)
            rows.append(row)
    body = "".join(
        "| " + " | ".join(str(row.get(c, "")) for c in API_COLUMNS) + " |\n" for row in rows
    )
    head = "| " + " | ".join(API_COLUMNS) + " |\n"
    head += "| " + " | ".join("---" for _ in API_COLUMNS) + " |\n"
    return recorded(API_SECTION, "`make bench`", head + body, "API_NOTES.md")


COMPARE_SECTION = "## Write API: the 202 path before and after"
COMPARE_COLUMNS = (
    "database",
    "clients",
    "reports",
    "mode",
    "tree",
    "p50_ms",
    "p99_ms",
    "max_ms",
    "posted_s",
    "all_analysed_s",
    "p50_after_over_before",
    "p99_after_over_before",
    "max_after_over_before",
)
COMPARE_RUNS = (20, 50)
"""Client counts compared, each with the default DENIALWATCH_WORKERS=1."""


def compare_section(commit: str, reports: int = 600) -> str:
    """The write-API bench on `commit` (a `git archive` of it) and on this tree, in turns."""
    import subprocess
    import tarfile
    import tempfile

    dev = CHECKTHAT.parent / "dev"
    if not (dev / "reports.jsonl").is_file():
        return f"{COMPARE_SECTION}\n\nNot run: {dev} is missing.\n"
    root = Path(__file__).resolve().parents[1]
    servers: list[str | None] = [None]
    if os.environ.get("DENIALWATCH_BENCH_DATABASE_URL"):
        servers.append(os.environ["DENIALWATCH_BENCH_DATABASE_URL"])
    rows: list[dict[str, float | int | str]] = []
    with tempfile.TemporaryDirectory(prefix="dw-before-") as before:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", commit], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(f"{before}/tree", filter="data")
        old_tree: tuple[Path, ...] = (Path(before) / "tree",)
        pyproject = Path(before) / "tree" / "pyproject.toml"
        if "httptools" not in pyproject.read_text(encoding="utf-8"):
            # A tree from before httptools was a dependency ran on uvicorn's pure-Python
            # HTTP parser: hide httptools from it, or uvicorn would pick the one here.
            hidden = Path(before) / "without-httptools" / "httptools"
            hidden.mkdir(parents=True)
            (hidden / "__init__.py").write_text('raise ImportError("hidden by the bench")\n')
            old_tree = (*old_tree, hidden.parent)
        for server in servers:
            for clients in COMPARE_RUNS:
                pair: dict[str, dict[str, float | int | str]] = {}
                trees: tuple[tuple[str, tuple[Path, ...]], ...] = (
                    ("before", old_tree),
                    ("after", ()),
                )
                for tree, source in trees:
                    with _database(server) as url:
                        row = run_api_bench(
                            dev,
                            reports=reports,
                            clients=clients,
                            workers=1,
                            database_url=url,
                            source=source,
                        )
                    row["tree"] = f"{tree} ({commit[:7]})" if source else tree
                    pair[tree] = row
                    print(json.dumps(row), flush=True)
                    rows.append(row)
                for figure in ("p50_ms", "p99_ms", "max_ms"):
                    name = figure.removesuffix("_ms") + "_after_over_before"
                    pair["after"][name] = _ratio(pair["after"][figure], pair["before"][figure])
    return recorded(
        COMPARE_SECTION,
        f'`make bench BENCH="api-before {commit[:7]}"`',
        table(rows, COMPARE_COLUMNS),
        "COMPARE_NOTES.md",
    )


def _ratio(value: float | int | str, baseline: float | int | str) -> float | str:
    return round(float(value) / float(baseline), 3) if float(baseline) else ""


@contextmanager
def _database(server: str | None) -> Iterator[str | None]:
    """None for SQLite (the bench makes its own file); else a fresh PostgreSQL database."""
    if server is None:
        yield None
        return
    import uuid

    import psycopg

    name = f"dw_bench_{uuid.uuid4().hex[:10]}"
    admin = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


LOAD_SECTION = "## The service at 1M statements under load"
LOAD_COLUMNS = (
    "database",
    "statements",
    "workers",
    "first_readyz_s",
    "readyz_s",
    "restart_readyz_s",
    "rate_per_s",
    "seconds",
    "posts",
    "status_5xx",
    "status_other",
    "accepted_p50_ms",
    "accepted_p99_ms",
    "alerted_reports",
    "alert_p50_ms",
    "alert_p99_ms",
    "healthz_p50_ms",
    "healthz_p99_ms",
    "healthz_max_ms",
    "backlog_drained_after_s",
    "service_peak_mb",
)
LOAD_STATEMENTS = 1_000_000
LOAD_SECONDS = 300.0


def load_section(
    statements: int = LOAD_STATEMENTS,
    seconds: float = LOAD_SECONDS,
    pg_statements: int | None = None,
    pg_workers: int | None = None,
) -> str:
    """Fill N statements, start `denialwatch run`, post at 20/s; return the Markdown section.

    SQLite always; PostgreSQL too when DENIALWATCH_BENCH_DATABASE_URL names a server
    (a fresh database, dropped after), at `pg_statements` (default: `statements`) with
    `pg_workers` analysis workers (default: the service's).
    """
    from bot.tools.load_bench import run_load_bench

    dev = CHECKTHAT.parent / "dev"
    if not (dev / "reports.jsonl").is_file():
        return f"{LOAD_SECTION}\n\nNot run: {dev} is missing.\n"
    runs: list[tuple[str | None, int, int | None]] = [(None, statements, None)]
    if os.environ.get(STARTUP_PG):
        runs.append((os.environ[STARTUP_PG], pg_statements or statements, pg_workers))
    rows: list[dict[str, float | int | str]] = []
    for server, size, workers in runs:
        with _database(server) as url:
            row = run_load_bench(dev, size, database_url=url, seconds=seconds, workers=workers)
        print(json.dumps(row), flush=True)
        rows.append(row)
    return recorded(LOAD_SECTION, "`make bench`", table(rows, LOAD_COLUMNS), "LOAD_NOTES.md")


def _load_args(args: list[str]) -> dict[str, float | int]:
    """`load [--seconds S] [--statements N] [--pg-statements N]` → load_section's options."""
    options: dict[str, float | int] = {}
    names = {
        "--seconds": "seconds",
        "--statements": "statements",
        "--pg-statements": "pg_statements",
        "--pg-workers": "pg_workers",
    }
    for flag, value in zip(args[1::2], args[2::2], strict=False):
        if flag not in names:
            raise SystemExit(f"unknown option {flag}; use {', '.join(names)}")
        options[names[flag]] = float(value) if flag == "--seconds" else int(value)
    return options


def replace_section(text: str, heading: str, section: str) -> str:
    """`text` with the section under `heading` (up to the next `## `) replaced or appended."""
    start = text.find(heading)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + section
    end = text.find("\n## ", start + len(heading))
    return text[:start] + section.rstrip("\n") + "\n" + (text[end:] if end >= 0 else "")


def main(argv: list[str] | None = None) -> None:
    """Run every benchmark and write RESULTS.md.

    `api` runs only the write-API section, `one-pair` only the one-pair stream,
    `api-before COMMIT` that bench on COMMIT
    and on this tree in turns (its own section), `load [--seconds S] [--statements N]
    [--pg-statements N] [--pg-workers N]` only the service under load at 1M statements.
    """
    args = sys.argv[1:] if argv is None else argv
    if args == ["api"]:
        old = RESULTS.read_text() if RESULTS.is_file() else "# Benchmark results\n"
        RESULTS.write_text(replace_section(old, API_SECTION, api_section()))
        print(f"wrote {RESULTS}", file=sys.stderr)
        return
    if args[:1] == ["api-before"] and len(args) == 2:
        old = RESULTS.read_text() if RESULTS.is_file() else "# Benchmark results\n"
        RESULTS.write_text(replace_section(old, COMPARE_SECTION, compare_section(args[1])))
        print(f"wrote {RESULTS}", file=sys.stderr)
        return
    if args == ["one-pair"]:
        old = RESULTS.read_text() if RESULTS.is_file() else "# Benchmark results\n"
        RESULTS.write_text(
            replace_section(old, ONE_PAIR_SECTION, one_pair_section(one_pair_rows()))
        )
        print(f"wrote {RESULTS}", file=sys.stderr)
        return
    if args[:1] == ["load"]:
        old = RESULTS.read_text() if RESULTS.is_file() else "# Benchmark results\n"
        section = load_section(**_load_args(args))  # type: ignore[arg-type]
        RESULTS.write_text(replace_section(old, LOAD_SECTION, section))
        print(f"wrote {RESULTS}", file=sys.stderr)
        return
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
    extraction = extraction_rows()
    for row in extraction:
        print(json.dumps(row), flush=True)
    throughput = throughput_rows()
    for row in throughput:
        print(json.dumps(row), flush=True)
    one_pair = one_pair_rows()
    for row in one_pair:
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
    here = Path(__file__).resolve().parent
    if extraction:
        text += "\n## Extraction against watchlist size\n\n" + table(extraction, EXTRACTION_COLUMNS)
    if throughput:
        text += "\n## Replay against its floor\n\n" + table(throughput, THROUGHPUT_COLUMNS)
    if one_pair:
        text += "\n" + one_pair_section(one_pair)
    for name in ("EXTRACTION.md", "EARLIER.md"):
        if (here / name).is_file():
            text += "\n" + (here / name).read_text()
    text += "\n" + api_section()
    text += "\n" + load_section()
    # The before-and-after comparison needs a commit to compare with: kept from the last
    # `make bench BENCH="api-before COMMIT"`, not re-run here.
    old = RESULTS.read_text() if RESULTS.is_file() else ""
    if COMPARE_SECTION in old:
        start = old.index(COMPARE_SECTION)
        end = old.find("\n## ", start + len(COMPARE_SECTION))
        text += "\n" + (old[start:end] if end >= 0 else old[start:]).rstrip("\n") + "\n"
    RESULTS.write_text(text)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
