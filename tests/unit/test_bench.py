"""The matcher benchmark reports the SPEC's figures (shape only: no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.run import COMPARE_COLUMNS, LOAD_COLUMNS, _load_args, replace_section
from bot.tools.bench import api_stream, run_bench

SPEC_KEYS = {
    "claims",
    "reports",
    "reports_per_s",
    "baseline_reports_per_s",
    "speedup",
    "recall_vs_baseline",
    "p50_ms",
    "p99_ms",
    "rss_mb",
}


def test_bench_reports_every_spec_figure_on_a_tiny_store() -> None:
    figures = run_bench(300, 20, seed=1)
    assert figures.keys() >= SPEC_KEYS
    assert figures["claims"] == 300
    assert figures["reports"] == 20
    assert 0.0 <= float(figures["recall_vs_baseline"]) <= 1.0
    assert float(figures["p99_ms"]) >= float(figures["p50_ms"]) >= 0.0
    assert float(figures["rss_mb"]) > 0


def test_bench_is_reproducible_for_a_seed() -> None:
    first = run_bench(200, 10, seed=3)
    second = run_bench(200, 10, seed=3)
    assert first["baseline_matches"] == second["baseline_matches"]
    assert first["recall_vs_baseline"] == second["recall_vs_baseline"]


def test_bench_refuses_an_empty_store() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_bench(0, 10)


@pytest.mark.shared
def test_the_api_bench_stream_stores_every_copy_once(data_dir: Path) -> None:
    stream = api_stream(data_dir / "dev", 60)
    assert len({d["id"] for d in stream}) == 60
    urls = [d["url"] for d in stream if d.get("url")]
    assert len(set(urls)) == len(urls)


def test_the_api_section_replaces_only_itself_in_the_results() -> None:
    api = "## Write API while analysing"
    old = f"# Results\n\n## Matcher\n\nm\n\n{api}\n\nold\n\n## Replay\n\nr\n"
    new = replace_section(old, api, f"{api}\n\nnew\n")
    assert new == f"# Results\n\n## Matcher\n\nm\n\n{api}\n\nnew\n\n## Replay\n\nr\n"
    assert replace_section("# R\n", "## X", "## X\n\nx\n") == "# R\n\n## X\n\nx\n"


def test_the_load_bench_takes_its_duration_and_sizes_from_make() -> None:
    assert _load_args(["load"]) == {}
    assert _load_args(
        ["load", "--seconds", "60", "--pg-statements", "100000", "--pg-workers", "2"]
    ) == {"seconds": 60.0, "pg_statements": 100_000, "pg_workers": 2}
    with pytest.raises(SystemExit, match="unknown option"):
        _load_args(["load", "--rate", "5"])


def test_the_before_and_after_table_shows_both_trees_and_their_ratios() -> None:
    assert {"tree", "p99_ms", "p99_after_over_before"} <= set(COMPARE_COLUMNS)


@pytest.mark.slow
@pytest.mark.shared
def test_the_load_bench_reports_every_figure_the_issue_asks_for(data_dir: Path) -> None:
    from bot.tools.load_bench import run_load_bench

    figures = run_load_bench(data_dir / "dev", 300, rate=10.0, seconds=3.0)
    assert set(LOAD_COLUMNS) <= figures.keys()
    assert figures["statements"] == 300
    assert figures["posts"] == 30
    assert figures["status_5xx"] == 0
    assert float(figures["readyz_s"]) > 0
    assert int(figures["healthz_polls"]) > 10
    # Copies of the dev stream contradict the originals: some of them alert.
    assert int(figures["alerted_reports"]) > 0
    assert float(figures["alert_p99_ms"]) >= float(figures["alert_p50_ms"]) > 0
