"""Settings: every variable of the configuration table, typed, read in one place."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE_VARIABLES = (
    "DENIALWATCH_API_TOKEN",
    "DENIALWATCH_DATABASE_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "MATRIX_ACCESS_TOKEN",
    "MATRIX_PASSWORD",
    "DENIALWATCH_WEB_SECRET",
    "DENIALWATCH_READ_TOKEN",
    "DENIALWATCH_MATRIX_PICKLE_KEY",
)
MIN_WEB_SECRET_CHARS = 32


class SettingsError(ValueError):
    """A setting is invalid; the message names the variable."""


class Settings(BaseSettings):
    """denialwatch's configuration, from the environment and an optional .env file."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///denialwatch.db", alias="DENIALWATCH_DATABASE_URL")
    http_host: str = Field("127.0.0.1", alias="DENIALWATCH_HTTP_HOST")
    http_port: int = Field(8080, alias="DENIALWATCH_HTTP_PORT", ge=0, le=65535)
    api_token: SecretStr | None = Field(None, alias="DENIALWATCH_API_TOKEN")
    read_token: SecretStr | None = Field(None, alias="DENIALWATCH_READ_TOKEN")
    admins: str = Field("", alias="DENIALWATCH_ADMINS")
    watchlist_path: Path | None = Field(None, alias="DENIALWATCH_WATCHLIST")
    fetch_allow_hosts: str = Field("", alias="DENIALWATCH_FETCH_ALLOW_HOSTS")
    log_format: Literal["json", "console"] | None = Field(None, alias="DENIALWATCH_LOG_FORMAT")
    index_dir: str | None = Field(None, alias="DENIALWATCH_INDEX_DIR")
    group_window_minutes: float = Field(10.0, alias="DENIALWATCH_GROUP_WINDOW_MINUTES", gt=0)
    workers: int = Field(1, alias="DENIALWATCH_WORKERS", ge=0, le=64)
    """Analysis worker processes `run` starts; 0 analyses inside the service process."""
    max_backlog: int = Field(1000, alias="DENIALWATCH_MAX_BACKLOG", ge=0)
    """Reports awaiting analysis past which the write API answers 429; 0: no limit."""
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="DENIALWATCH_SLACK_API_URL")
    public_url: str | None = Field(None, alias="DENIALWATCH_PUBLIC_URL")
    web_secret: SecretStr | None = Field(None, alias="DENIALWATCH_WEB_SECRET")
    web_link_days: float = Field(30.0, alias="DENIALWATCH_WEB_LINK_DAYS", gt=0, le=3660)
    web_trusted_header: str | None = Field(None, alias="DENIALWATCH_WEB_TRUSTED_HEADER")
    matrix_homeserver: str | None = Field(None, alias="MATRIX_HOMESERVER")
    matrix_user_id: str | None = Field(None, alias="MATRIX_USER_ID")
    matrix_access_token: SecretStr | None = Field(None, alias="MATRIX_ACCESS_TOKEN")
    matrix_password: SecretStr | None = Field(None, alias="MATRIX_PASSWORD")
    matrix_store: Path = Field(Path("./matrix-store"), alias="DENIALWATCH_MATRIX_STORE")
    matrix_pickle_key: SecretStr | None = Field(None, alias="DENIALWATCH_MATRIX_PICKLE_KEY")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @field_validator("public_url", "web_trusted_header", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """A blank value leaves the setting unset; any other is read without its spaces."""
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("slack_api_url", "matrix_homeserver", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "?" in value or "#" in value:
            raise ValueError("must be a base URL without query or fragment")
        return value.rstrip("/")

    @field_validator("web_secret")
    @classmethod
    def _web_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_WEB_SECRET_CHARS:
            raise ValueError(f"must be at least {MIN_WEB_SECRET_CHARS} characters")
        return value

    @field_validator("web_trusted_header")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z0-9-]+", value):
            raise ValueError("must be an HTTP header name such as X-Forwarded-User")
        return value.lower()

    @property
    def pages_enabled(self) -> bool:
        return self.public_url is not None

    @property
    def web_link_lifetime(self) -> timedelta:
        return timedelta(days=self.web_link_days)

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.admins.split(",") if a.strip())

    @property
    def allow_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.fetch_allow_hosts.split(",") if h.strip())

    @property
    def group_window(self) -> timedelta:
        return timedelta(minutes=self.group_window_minutes)

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def matrix_enabled(self) -> bool:
        return self.matrix_homeserver is not None

    def described(self) -> dict[str, str]:
        """Return the settings for a start-up log line, secrets shown only as set/unset."""
        out: dict[str, str] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                out[name] = "set"
            elif name == "database_url":
                out[name] = _redact_url(str(value))
            else:
                out[name] = "" if value is None else str(value)
        return out


def _redact_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def _secret_files(environ: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in SECRET_FILE_VARIABLES:
        path = environ.get(f"{name}_FILE")
        if path and name not in environ:
            try:
                values[name] = Path(path).read_text("utf-8").strip()
            except OSError as error:
                raise SettingsError(f"{name}_FILE: cannot read {path}: {error.strerror}") from error
    return values


def load_settings(environ: dict[str, str] | None = None, env_file: str | None = ".env") -> Settings:
    """Read settings; raise SettingsError naming the first bad variable."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {k: v for k, v in environ.items() if k in _ALIASES}
    values.update(_secret_files(environ))
    try:
        settings = Settings(_env_file=env_file, **values)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        variable = _FIELD_TO_ALIAS.get(field, field)
        raise SettingsError(f"{variable}: {first['msg']}") from None
    if settings.pages_enabled and settings.web_secret is None:
        # Pages without a key would either be open to anyone or unusable: refuse both.
        raise SettingsError(
            "DENIALWATCH_WEB_SECRET: required when DENIALWATCH_PUBLIC_URL is set "
            "(it signs the page links)"
        )
    return settings


_FIELD_TO_ALIAS = {name: str(info.alias) for name, info in Settings.model_fields.items()}
_ALIASES = set(_FIELD_TO_ALIAS.values())
