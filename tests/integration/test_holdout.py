"""Streams written blind to the rules' code hold the rules to generalising."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.entry.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("stream", ["holdout", "holdout2"])
def test_holdout_stream_meets_precision_and_recall_floor(
    stream: str, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = str(DATA / stream)
    code = main(["eval", directory, "--json", "--min-precision", "0.9", "--min-recall", "0.9"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result["errors"]
    assert result["gold_reports"] >= 10
