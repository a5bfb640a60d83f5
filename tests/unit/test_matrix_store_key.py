"""The Matrix E2EE store: a per-install pickle key from a secret or made once, files 0600."""

from __future__ import annotations

import stat
from pathlib import Path

from adapters.matrix.adapter import restrict_store
from bot.entry.config import load_settings
from bot.entry.service import LEGACY_PICKLE_KEY, PICKLE_KEY_FILE, matrix_pickle_key


def _settings(store: Path, key: str | None = None):  # type: ignore[no-untyped-def]  # helper
    env = {"DENIALWATCH_MATRIX_STORE": str(store)}
    if key:
        env["DENIALWATCH_MATRIX_PICKLE_KEY"] = key
    return load_settings(env, env_file=None)


def test_the_pickle_key_is_made_once_per_install_and_kept_private(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    first = matrix_pickle_key(_settings(store))
    assert first != LEGACY_PICKLE_KEY and len(first) >= 32
    assert matrix_pickle_key(_settings(store)) == first
    assert stat.S_IMODE((store / PICKLE_KEY_FILE).stat().st_mode) == 0o600
    other = tmp_path / "other"
    other.mkdir()
    assert matrix_pickle_key(_settings(other)) != first


def test_a_configured_secret_wins(tmp_path: Path) -> None:
    assert matrix_pickle_key(_settings(tmp_path, "from-the-secret")) == "from-the-secret"


def test_an_old_store_keeps_its_old_key(tmp_path: Path) -> None:
    (tmp_path / "@bot_DEVICE.db").write_bytes(b"")
    assert matrix_pickle_key(_settings(tmp_path)) == LEGACY_PICKLE_KEY


def test_the_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    olm = tmp_path / "@bot_DEVICE.db"
    olm.write_bytes(b"keys")
    olm.chmod(0o644)
    tmp_path.chmod(0o755)
    restrict_store(tmp_path)
    assert stat.S_IMODE(olm.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
