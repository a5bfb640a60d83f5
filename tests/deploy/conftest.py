"""Shared helpers for checking the files under deploy/ without a Docker engine or a cluster."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
CHART = DEPLOY / "helm" / "denialwatch"
VENV_BIN = Path(sys.executable).parent


def venv_tool(name: str) -> Path:
    """Return the path of a console script installed next to the running interpreter."""
    path = VENV_BIN / name
    if not path.exists():
        pytest.fail(
            f"{name} is not installed in {VENV_BIN}: run `make test` (pyproject test extra)"
        )
    return path


@dataclass
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        """Arguments of a JSON (exec-form) instruction such as CMD ["run"]."""
        value = json.loads(self.args)
        assert isinstance(value, list), f"{self.keyword} is not in exec form: {self.args}"
        return [str(item) for item in value]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"stage {self.name or self.base} has no {keyword}"
        return found[-1]

    def env(self) -> dict[str, str]:
        """ENV key=value pairs of this stage (the only ENV form the Dockerfile uses)."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.args):
                key, sep, value = pair.partition("=")
                assert sep, f"ENV without '=' is ambiguous: {instruction.args}"
                values[key] = value
        return values


@dataclass
class Dockerfile:
    args: dict[str, str]
    stages: list[Stage]

    @property
    def runtime(self) -> Stage:
        return self.stages[-1]


def parse_dockerfile(path: Path) -> Dockerfile:
    """Parse the subset of Dockerfile syntax that deploy/Dockerfile uses."""
    text = path.read_text(encoding="utf-8")
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "Dockerfile ends inside a continued line"

    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword == "FROM":
            parts = args.split()
            base = re.sub(
                r"\$\{(\w+)\}", lambda m: global_args.get(m.group(1), m.group(0)), parts[0]
            )
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        elif not stages:
            assert keyword == "ARG", f"only ARG may precede FROM, found {keyword}"
            key, _, value = args.partition("=")
            global_args[key] = value
        else:
            stages[-1].instructions.append(Instruction(keyword, args))
    return Dockerfile(args=global_args, stages=stages)


@pytest.fixture(scope="session")
def dockerfile() -> Dockerfile:
    return parse_dockerfile(DEPLOY / "Dockerfile")


@pytest.fixture(scope="session")
def pyproject() -> dict[str, Any]:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


# The chart is rendered by Helm's own engine (Go templates, sprig functions) through the
# helm-python-sdk wheel, in a child process so the embedded Go runtime never shares a
# process (signals, threads) with the rest of the test suite.
_RENDER_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import helm_python as helm
    request = json.load(sys.stdin)
    if request["action"] == "lint":
        print(json.dumps(helm.lint(request["chart"])))
        raise SystemExit(0)
    try:
        with helm.Chart.load(request["chart"]) as chart:
            rendered = chart.render(
                request["values"], name=request["release"], namespace=request["namespace"]
            )
    except helm.HelmError as error:
        print(json.dumps({"error": str(error)}))
    else:
        print(json.dumps({"manifests": rendered}))
    """
)


def _helm(request: dict[str, Any]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", _RENDER_SCRIPT],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


class RenderError(Exception):
    """The chart refused to render (a `fail` in a template, or a template error)."""


def render_chart(
    values: dict[str, Any] | None = None, *, release: str = "newsroom", namespace: str = "news"
) -> dict[str, str]:
    """Render the chart like `helm template`; return template path -> manifest text."""
    result = _helm(
        {
            "action": "render",
            "chart": str(CHART),
            "values": values or {},
            "release": release,
            "namespace": namespace,
        }
    )
    if "error" in result:
        raise RenderError(result["error"])
    manifests: dict[str, str] = result["manifests"]
    return manifests


def lint_chart() -> dict[str, Any]:
    """Run Helm's chart linter with the default values."""
    return _helm({"action": "lint", "chart": str(CHART)})


@pytest.fixture(scope="session")
def render() -> Callable[..., dict[str, str]]:
    return render_chart
