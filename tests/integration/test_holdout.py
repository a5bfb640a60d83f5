"""A second stream, written blind to the rules' code, holds the rules to generalising."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

HOLDOUT = Path(__file__).resolve().parents[1] / "data" / "holdout"


def test_holdout_stream_meets_precision_and_recall_floor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["eval", str(HOLDOUT), "--json", "--min-precision", "0.9", "--min-recall", "0.9"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result["errors"]
    assert result["gold_reports"] >= 10
