"""The matcher benchmark reports the SPEC's figures (shape only: no timing is asserted)."""

from __future__ import annotations

import pytest

from bot.tools.bench import run_bench

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
