"""The container's entrypoint command, run outside Docker against SQLite, starts and serves."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.conftest import VENV_BIN, Dockerfile

START_TIMEOUT_S = 60.0
# SIGTERM drains in-flight work within 10 s (issue 8); allow for interpreter shutdown.
STOP_TIMEOUT_S = 12.0


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    port: int
    stdout: Path
    stderr: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def logs(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), error.headers.get("Content-Type", "")


def entrypoint_argv(dockerfile: Dockerfile) -> list[str]:
    """ENTRYPOINT + CMD, with the console script resolved in this virtualenv."""
    entrypoint = dockerfile.runtime.last("ENTRYPOINT").exec_form()
    cmd = dockerfile.runtime.last("CMD").exec_form()
    return [str(VENV_BIN / entrypoint[0]), *entrypoint[1:], *cmd]


def container_environment(dockerfile: Dockerfile, workdir: Path, port: int) -> dict[str, str]:
    """The image's ENV on a scrubbed host environment, with paths moved under workdir."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DENIALWATCH_", "SLACK_", "MATRIX_"))
    }
    image_env = {k: v for k, v in dockerfile.runtime.env().items() if k != "PATH"}
    return {
        **inherited,
        **image_env,
        # Loopback only: tests never listen on other interfaces.
        "DENIALWATCH_HTTP_HOST": "127.0.0.1",
        "DENIALWATCH_HTTP_PORT": str(port),
        "DENIALWATCH_DATABASE_URL": f"sqlite:///{workdir / 'denialwatch.db'}",
        "DENIALWATCH_MATRIX_STORE": str(workdir / "matrix-store"),
    }


@pytest.fixture(scope="module")
def run_command(dockerfile: Dockerfile) -> list[str]:
    argv = entrypoint_argv(dockerfile)
    if not Path(argv[0]).exists():
        pytest.skip(f"{argv[0]} is not installed")
    probe = subprocess.run(
        [*argv, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"`{' '.join(argv[-1:])}` is not implemented yet: {last}")
    return argv


def _start(argv: list[str], dockerfile: Dockerfile, workdir: Path) -> Service:
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    stdout, stderr = workdir / "stdout.log", workdir / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            argv,
            cwd=workdir,
            env=container_environment(dockerfile, workdir, port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    service = Service(process, port, stdout, stderr)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode} before serving:\n{service.logs()}")
        try:
            if _get(service.url("/healthz"), timeout=2)[0] == 200:
                return service
        except OSError:
            pass
        time.sleep(0.2)
    _stop(service)
    pytest.fail(f"/healthz did not answer within {START_TIMEOUT_S} s:\n{service.logs()}")


def _stop(service: Service) -> int | None:
    """Send SIGTERM; return the exit code, or None if it had to be killed."""
    if service.process.poll() is None:
        service.process.send_signal(signal.SIGTERM)
    try:
        return service.process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        service.process.kill()
        service.process.wait(timeout=10)
        return None


@pytest.fixture(scope="module")
def service(
    run_command: list[str], dockerfile: Dockerfile, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    started = _start(run_command, dockerfile, tmp_path_factory.mktemp("entrypoint"))
    yield started
    _stop(started)


def test_entrypoint_answers_healthz(service: Service) -> None:
    status, body, _ = _get(service.url("/healthz"))
    assert status == 200
    assert json.loads(body) == {"status": "ok"}


def test_image_healthcheck_passes_against_the_running_service(
    service: Service, dockerfile: Dockerfile
) -> None:
    argv = json.loads(dockerfile.runtime.last("HEALTHCHECK").args.partition("CMD ")[2])
    env = {**os.environ, "DENIALWATCH_HTTP_PORT": str(service.port)}
    result = subprocess.run(
        [sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr


def test_entrypoint_becomes_ready_on_sqlite_with_the_console_adapter(service: Service) -> None:
    deadline = time.monotonic() + 30
    status, body = 0, b""
    while time.monotonic() < deadline:
        status, body, _ = _get(service.url("/readyz"))
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200, body


def test_entrypoint_serves_prometheus_metrics(service: Service) -> None:
    status, body, content_type = _get(service.url("/metrics"))
    assert status == 200
    assert content_type.startswith("text/plain")
    assert b"# TYPE " in body


def test_entrypoint_logs_json_lines_off_a_terminal(service: Service) -> None:
    _get(service.url("/healthz"))
    lines = [line for line in service.logs().splitlines() if line.strip()]
    assert lines, "the service logged nothing at start-up"
    for line in lines:
        assert isinstance(json.loads(line), dict), line


def test_sigterm_stops_the_entrypoint_cleanly_and_promptly(
    run_command: list[str], dockerfile: Dockerfile, tmp_path: Path
) -> None:
    started = _start(run_command, dockerfile, tmp_path)
    began = time.monotonic()
    code = _stop(started)
    # Exit code 0 (not -SIGTERM) shows a handler drained and exited: as PID 1 in a
    # container an unhandled SIGTERM would be ignored until SIGKILL.
    assert code == 0, f"exit {code}:\n{started.logs()}"
    assert time.monotonic() - began < STOP_TIMEOUT_S
