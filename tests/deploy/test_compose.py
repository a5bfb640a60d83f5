"""deploy/compose.yaml, deploy/env.example and deploy/.yamllint."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyOptions

from tests.deploy.conftest import DEPLOY, REPO, venv_tool

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "env.example"
SPEC = REPO.parent / "shared" / "SPEC.md"

# Variables of SPEC's configuration table (checked against SPEC.md itself when it is there).
SPEC_VARIABLES = {
    "DENIALWATCH_DATABASE_URL",
    "DENIALWATCH_HTTP_HOST",
    "DENIALWATCH_HTTP_PORT",
    "DENIALWATCH_API_TOKEN",
    "DENIALWATCH_ADMINS",
    "DENIALWATCH_WATCHLIST",
    "DENIALWATCH_FETCH_ALLOW_HOSTS",
    "DENIALWATCH_LOG_FORMAT",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "DENIALWATCH_SLACK_API_URL",
    "DENIALWATCH_PUBLIC_URL",
    "DENIALWATCH_WEB_SECRET",
    "MATRIX_HOMESERVER",
    "MATRIX_USER_ID",
    "MATRIX_ACCESS_TOKEN",
    "MATRIX_PASSWORD",
    "DENIALWATCH_MATRIX_STORE",
}
SECRETS = {
    "DENIALWATCH_DATABASE_URL",
    "DENIALWATCH_API_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "MATRIX_ACCESS_TOKEN",
    "MATRIX_PASSWORD",
    "DENIALWATCH_WEB_SECRET",
}

_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    """A `${VAR:?}` reference found no value, so `docker compose` would refuse to start."""


def interpolate(text: str, env: dict[str, str]) -> str:
    """Apply Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` interpolation."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = env.get(name)
        if op in (":?", "?"):
            if not value:
                raise MissingVariable(f"{name}: {arg}")
            return value
        if op in (":-", "-"):
            return value or arg
        return value or ""

    return _INTERPOLATION.sub(substitute, text)


def compose_project(env: dict[str, str]) -> dict[str, Any]:
    """Parse compose.yaml with a Compose-spec-validating parser after interpolation."""
    text = interpolate(COMPOSE.read_text(encoding="utf-8"), env)
    project = PyOptions(apply_merge=True).from_yaml(text)
    project.validate()
    result: dict[str, Any] = project.to_dict()
    return result


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return compose_project({"POSTGRES_PASSWORD": "s3cret"})


def env_example_variables() -> dict[str, str]:
    """Variables in env.example (set or commented out) with the comment block above each."""
    found: dict[str, str] = {}
    comment: list[str] = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#? ?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            found.setdefault(match[1], " ".join(comment))
        elif line.startswith("#"):
            comment.append(line.lstrip("# "))
        else:
            comment = []
    return found


def test_deploy_yaml_passes_yamllint() -> None:
    result = subprocess.run(
        [str(venv_tool("yamllint")), "--strict", "-c", ".yamllint", "."],
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_yamllint_checks_compose_and_chart_values() -> None:
    """The linter must not silently skip the files it is meant to check."""
    result = subprocess.run(
        [str(venv_tool("yamllint")), "--list-files", "-c", ".yamllint", "."],
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    listed = {Path(line).as_posix().removeprefix("./") for line in result.stdout.split()}
    assert {
        "compose.yaml",
        "helm/denialwatch/values.yaml",
        "helm/denialwatch/Chart.yaml",
    } <= listed
    assert not any("/templates/" in name for name in listed)


def test_compose_file_is_valid_compose_spec(project: dict[str, Any]) -> None:
    assert {"denialwatch", "postgres"} <= set(project["services"])


def test_compose_validator_rejects_unknown_keys() -> None:
    """Guards the check above: the parser is strict, not a plain YAML load."""
    broken = COMPOSE.read_text(encoding="utf-8").replace(
        "    shm_size: 128mb", "    shm_size: 128mb\n    healtcheck: {}"
    )
    with pytest.raises(ValueError, match="healtcheck"):
        PyOptions(apply_merge=True).from_yaml(interpolate(broken, {"POSTGRES_PASSWORD": "x"}))


def test_compose_refuses_to_start_without_a_database_password() -> None:
    with pytest.raises(MissingVariable, match="POSTGRES_PASSWORD"):
        compose_project({})


def test_postgres_keeps_its_data_in_a_named_volume_and_reports_health(
    project: dict[str, Any],
) -> None:
    postgres = project["services"]["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert "postgres-data" in project["volumes"]
    assert "pg_isready" in str(postgres["healthcheck"]["test"])


def test_denialwatch_waits_for_a_healthy_database_and_uses_it(project: dict[str, Any]) -> None:
    service = project["services"]["denialwatch"]
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    url = service["environment"]["DENIALWATCH_DATABASE_URL"].strip()
    user = project["services"]["postgres"]["environment"]["POSTGRES_USER"]
    database = project["services"]["postgres"]["environment"]["POSTGRES_DB"]
    assert url == f"postgresql+psycopg://{user}:s3cret@postgres:5432/{database}"


def test_denialwatch_is_built_from_the_deploy_dockerfile(project: dict[str, Any]) -> None:
    build = project["services"]["denialwatch"]["build"]
    context = (DEPLOY / build["context"]).resolve()
    assert (context / build["dockerfile"]).resolve() == (DEPLOY / "Dockerfile").resolve()


def test_denialwatch_reads_settings_from_dotenv_next_to_the_compose_file(
    project: dict[str, Any],
) -> None:
    env_files = project["services"]["denialwatch"]["env_file"]
    assert {"path": ".env", "required": False} in env_files
    # `.env` holds secrets: git must ignore it wherever it is.
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/.env"], cwd=REPO, timeout=30, check=False
    )
    assert ignored.returncode == 0


def test_denialwatch_container_is_hardened(project: dict[str, Any]) -> None:
    service = project["services"]["denialwatch"]
    assert service["read_only"] is True
    assert "/tmp" in service["tmpfs"]
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]
    assert any(v.endswith(":/var/lib/denialwatch") for v in service["volumes"])
    # Published on loopback unless the operator chooses otherwise.
    assert service["ports"] == ["127.0.0.1:8080:8080"]


def test_synapse_runs_only_in_the_matrix_profile(project: dict[str, Any]) -> None:
    services = project["services"]
    assert "profiles" not in services["denialwatch"]
    assert "profiles" not in services["postgres"]
    for name in ("synapse", "synapse-config"):
        assert services[name]["profiles"] == ["matrix"]
    assert (
        services["synapse"]["depends_on"]["synapse-config"]["condition"]
        == "service_completed_successfully"
    )


def test_env_example_lists_every_configuration_variable_with_a_comment() -> None:
    variables = env_example_variables()
    missing = SPEC_VARIABLES - set(variables)
    assert not missing, f"not in env.example: {sorted(missing)}"
    undocumented = [name for name, comment in variables.items() if not comment.strip()]
    assert not undocumented, f"no comment above: {undocumented}"


def test_env_example_offers_a_file_variant_for_every_secret() -> None:
    variables = env_example_variables()
    assert {f"{name}_FILE" for name in SECRETS} <= set(variables)


def test_env_example_documents_every_variable_compose_interpolates() -> None:
    used = {m["name"] for m in _INTERPOLATION.finditer(COMPOSE.read_text(encoding="utf-8"))}
    assert used <= set(env_example_variables())


def test_env_example_holds_no_real_secret_values() -> None:
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#") and name in SECRETS:
            assert value == "", f"{name} has a value in env.example"
    token = re.compile(r"xox[abposr]-[0-9A-Za-z]{4}|xapp-\d-|syt_[0-9A-Za-z]")
    assert not token.search(ENV_EXAMPLE.read_text(encoding="utf-8"))


@pytest.mark.shared
def test_spec_configuration_table_matches_the_variables_checked_here() -> None:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} not present")
    table = SPEC.read_text(encoding="utf-8").split("### Configuration", 1)[1].split("\n\n", 2)[1]
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert named == SPEC_VARIABLES


def test_helm_values_are_valid_yaml_with_env_example_keys() -> None:
    values = yaml.safe_load((DEPLOY / "helm" / "denialwatch" / "values.yaml").read_text())
    assert set(values["config"]) <= set(env_example_variables())
