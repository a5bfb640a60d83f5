"""Shared fixtures: where the evaluation data lies, and free loopback ports."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_data() -> Path:
    """Return ../shared/data, or skip (fail in CI) when it is not beside the checkout."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_DATA} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{SHARED_DATA} is absent: the evaluation data lives in ../shared")
    return SHARED_DATA


@pytest.fixture
def data_dir() -> Path:
    return shared_data()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dev_report(data_dir: Path, report_id: str) -> dict[str, object]:
    """Return one report of the development stream, read where it lies."""
    import json

    for line in (data_dir / "dev" / "reports.jsonl").read_text("utf-8").splitlines():
        report: dict[str, object] = json.loads(line)
        if report["id"] == report_id:
            return report
    raise KeyError(report_id)
