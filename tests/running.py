"""Start `denialwatch run` as a real process on loopback, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.tools.bench import stop_process
from tests.conftest import free_port

TOKEN = "test-token-0123456789"


@dataclass
class RunningService:
    url: str
    process: subprocess.Popen[str]
    stdout: Path
    stderr: Path

    def post_report(self, report: Mapping[str, object], token: str = TOKEN) -> httpx.Response:
        return httpx.post(
            f"{self.url}/api/v1/reports",
            json=dict(report),
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    def get(self, path: str, **params: str) -> httpx.Response:
        """GET from the read API with the token (it takes the write API's token too)."""
        return httpx.get(
            f"{self.url}{path}",
            params=params or None,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )

    def wait_for(self, path: str, predicate: object, timeout: float = 20.0) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(path)
            if callable(predicate) and predicate(response):
                return response
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting on {path}: {response.text[:500]}")
            time.sleep(0.2)


def service_env(tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DENIALWATCH_", "SLACK_", "MATRIX_"))
    }
    env.update(
        {
            "DENIALWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}",
            "DENIALWATCH_API_TOKEN": TOKEN,
            "DENIALWATCH_LOG_FORMAT": "json",
            "DENIALWATCH_MATRIX_STORE": str(tmp_path / "matrix-store"),
        }
    )
    env.update(extra or {})
    return env


@contextmanager
def running_service(
    tmp_path: Path, extra: Mapping[str, str] | None = None, port: int | None = None
) -> Iterator[RunningService]:
    port = port or free_port()
    env = service_env(tmp_path, extra)
    env["DENIALWATCH_HTTP_PORT"] = str(port)
    stdout, stderr = tmp_path / f"out-{port}.log", tmp_path / f"err-{port}.log"
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.entry.cli", "run"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=err,
            text=True,
        )
    service = RunningService(f"http://127.0.0.1:{port}", process, stdout, stderr)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{service.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("service did not start: " + stderr.read_text()[-2000:])
            time.sleep(0.1)
        yield service
    finally:
        stop_process(process, timeout_s=15)


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `denialwatch ARGS…` as a separate process and capture what it prints."""
    return subprocess.run(
        [sys.executable, "-m", "bot.entry.cli", *args],
        env=None if env is None else dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
