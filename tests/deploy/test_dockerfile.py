"""deploy/Dockerfile: lint-clean, and consistent with the project it packages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import DEPLOY, REPO, Dockerfile, venv_tool


def healthcheck_command(dockerfile: Dockerfile) -> list[str]:
    options, marker, command = dockerfile.runtime.last("HEALTHCHECK").args.partition("CMD ")
    assert marker, "HEALTHCHECK has no CMD"
    assert "--timeout=" in options and "--interval=" in options
    argv: list[str] = json.loads(command)
    return argv


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [str(venv_tool("hadolint")), "--no-color", "--failure-threshold", "info", "Dockerfile"],
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_built_in_stages_on_slim_python(dockerfile: Dockerfile) -> None:
    assert len(dockerfile.stages) >= 2
    assert dockerfile.runtime.base == "python:3.11-slim"
    copies_from_builder = [
        i for i in dockerfile.runtime.all("COPY") if i.args.startswith("--from=builder ")
    ]
    assert copies_from_builder, "runtime stage must take the venv from the builder"
    # The runtime stage builds nothing: no source tree, no pip.
    assert not any("pip" in i.args for i in dockerfile.runtime.all("RUN"))


def test_runtime_runs_as_a_fixed_non_root_uid(dockerfile: Dockerfile) -> None:
    user = dockerfile.runtime.last("USER").args
    uid, _, gid = user.partition(":")
    # Numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
    assert uid.isdigit() and int(uid) != 0
    assert gid.isdigit() and int(gid) != 0


def test_entrypoint_is_the_projects_console_script(
    dockerfile: Dockerfile, pyproject: dict[str, Any]
) -> None:
    entrypoint = dockerfile.runtime.last("ENTRYPOINT").exec_form()
    cmd = dockerfile.runtime.last("CMD").exec_form()
    assert entrypoint == ["denialwatch"]
    assert entrypoint[0] in pyproject["project"]["scripts"]
    assert cmd == ["run"]


def test_environment_makes_the_http_app_reachable_in_a_container(dockerfile: Dockerfile) -> None:
    env = dockerfile.runtime.env()
    assert env["DENIALWATCH_HTTP_HOST"] == "0.0.0.0"
    port = env["DENIALWATCH_HTTP_PORT"]
    assert dockerfile.runtime.last("EXPOSE").args.split() == [port]
    assert dockerfile.runtime.last("STOPSIGNAL").args == "SIGTERM"
    # Writable state lives under the working directory, which the image creates for the user.
    workdir = dockerfile.runtime.last("WORKDIR").args
    assert env["DENIALWATCH_DATABASE_URL"] == f"sqlite:///{workdir}/denialwatch.db"
    assert env["DENIALWATCH_MATRIX_STORE"].startswith(workdir + "/")
    assert any(workdir in i.args for i in dockerfile.runtime.all("RUN"))


def test_healthcheck_probes_healthz_with_the_image_python(dockerfile: Dockerfile) -> None:
    argv = healthcheck_command(dockerfile)
    assert argv[0] == "python"  # slim images have no curl
    assert "/healthz" in " ".join(argv)
    assert "DENIALWATCH_HTTP_PORT" in " ".join(argv)


def test_builder_copies_every_package_the_wheel_needs(
    dockerfile: Dockerfile, pyproject: dict[str, Any]
) -> None:
    builder = dockerfile.stages[0]
    copied: set[str] = set()
    for instruction in builder.all("COPY"):
        *sources, _destination = instruction.args.split()
        copied.update(source.rstrip("/") for source in sources)
    for source in copied:
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert packages <= copied, f"packages not copied into the image: {packages - copied}"
    assert {"pyproject.toml", pyproject["project"]["readme"]} <= copied


def test_dockerignore_keeps_what_the_builder_copies(dockerfile: Dockerfile) -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "the ignore file starts by excluding everything"
    kept = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    for instruction in dockerfile.stages[0].all("COPY"):
        *sources, _destination = instruction.args.split()
        for source in sources:
            assert source.rstrip("/") in kept, f"{source} is excluded from the build context"


class _Probe(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/healthz" else 404
        body = json.dumps({"status": "ok"}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def _serve(status: int) -> Iterator[int]:
    handler = type("Probe", (_Probe,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def healthy_port() -> Iterator[int]:
    yield from _serve(200)


@pytest.fixture
def unhealthy_port() -> Iterator[int]:
    yield from _serve(503)


def _run_healthcheck(dockerfile: Dockerfile, port: int) -> int:
    argv = healthcheck_command(dockerfile)
    env = {**os.environ, "DENIALWATCH_HTTP_PORT": str(port)}
    return subprocess.run(
        [sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30, check=False
    ).returncode


def test_healthcheck_succeeds_when_healthz_answers_200(
    dockerfile: Dockerfile, healthy_port: int
) -> None:
    assert _run_healthcheck(dockerfile, healthy_port) == 0


def test_healthcheck_fails_when_healthz_answers_503(
    dockerfile: Dockerfile, unhealthy_port: int
) -> None:
    assert _run_healthcheck(dockerfile, unhealthy_port) != 0


def test_healthcheck_fails_when_nothing_listens(dockerfile: Dockerfile, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    assert _run_healthcheck(dockerfile, free_port) != 0
