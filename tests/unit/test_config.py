"""Settings: typed, one line naming the variable on a bad value, secrets from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.entry.config import SettingsError, load_settings


def test_embedded_defaults() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.database_url == "sqlite:///denialwatch.db"
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.api_token is None and not settings.slack_enabled
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.admin_ids == frozenset()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DENIALWATCH_HTTP_PORT", "eighty"),
        ("DENIALWATCH_HTTP_PORT", "70000"),
        ("DENIALWATCH_DATABASE_URL", "mysql://db/x"),
        ("DENIALWATCH_LOG_FORMAT", "xml"),
        ("DENIALWATCH_SLACK_API_URL", "slack.com/api"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token"),
        ("MATRIX_HOMESERVER", "matrix.example.org"),
        ("DENIALWATCH_GROUP_WINDOW_MINUTES", "-1"),
    ],
)
def test_a_bad_value_names_its_variable_in_one_line(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({variable: value}, env_file=None)
    message = str(raised.value)
    assert message.startswith(f"{variable}: ")
    assert "\n" not in message


def test_secrets_come_from_files_and_are_never_described(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("xoxb-canary-secret\n")
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN_FILE": str(token),
            "DENIALWATCH_DATABASE_URL": "postgresql+psycopg://u:pw@db/x",
            "DENIALWATCH_ADMINS": "U1, @ed:example.org",
        },
        env_file=None,
    )
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-canary-secret"
    described = repr(settings.described())
    assert "canary" not in described and "pw" not in described
    assert settings.described()["slack_bot_token"] == "set"
    assert settings.admin_ids == frozenset({"U1", "@ed:example.org"})


def test_an_unreadable_secret_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^SLACK_SIGNING_SECRET_FILE: cannot read"):
        load_settings({"SLACK_SIGNING_SECRET_FILE": str(tmp_path / "missing")}, env_file=None)
