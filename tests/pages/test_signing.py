"""Page links: HMAC over path and expiry; the settings that turn pages on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.entry.config import SettingsError, load_settings
from bot.entry.pages.signing import PageSigner, agency_path, alert_path

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
SIGNER = PageSigner(b"k" * 32, "https://dw.example.org", timedelta(days=30))
SECRET = "s" * 40


def query(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def test_a_link_opens_its_own_path_until_it_expires() -> None:
    link = SIGNER.link(alert_path("belgian federal police|clearview ai"), NOW)
    assert link.startswith("https://dw.example.org/alerts/belgian%20federal%20police%7Cclearview")
    q = query(link)
    path = urlsplit(link).path
    assert SIGNER.verify(path, q["exp"], q["sig"], NOW) == int(
        (NOW + timedelta(days=30)).timestamp()
    )
    assert SIGNER.verify(path, q["exp"], q["sig"], NOW + timedelta(days=31)) is None


@pytest.mark.parametrize(
    "change",
    ["other path", "longer expiry", "wrong key", "no signature", "no expiry", "junk", "huge"],
)
def test_a_changed_link_is_refused(change: str) -> None:
    path = alert_path("a|b")
    q = query(SIGNER.signed(path, SIGNER.expiry(NOW)))
    exp, sig, signer = q["exp"], q["sig"], SIGNER
    if change == "other path":
        path = agency_path("b")
    elif change == "longer expiry":
        exp = str(int(exp) + 86400)
    elif change == "wrong key":
        signer = PageSigner(b"x" * 32, SIGNER.public_url)
    elif change == "no signature":
        sig = ""
    elif change == "no expiry":
        exp = ""
    elif change == "junk":
        exp, sig = "-1", "zz"
    elif change == "huge":
        exp, sig = "9" * 40, "a" * 10_000
    assert signer.verify(path, exp, sig, NOW) is None


def test_links_keep_the_folder_the_app_is_published_under() -> None:
    signer = PageSigner(b"k" * 32, "https://news.example.org/dw")
    link = signer.link("/", NOW)
    assert link.startswith("https://news.example.org/dw/?exp=")
    assert signer.signed("/", 5).startswith("/dw/?")


def test_agency_paths_ignore_case() -> None:
    assert agency_path("Belgian Federal Police") == agency_path("belgian federal POLICE")


def test_pages_are_off_by_default() -> None:
    settings = load_settings({}, env_file=None)
    assert not settings.pages_enabled


def test_pages_without_a_secret_stop_start_up_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"^DENIALWATCH_WEB_SECRET: required"):
        load_settings({"DENIALWATCH_PUBLIC_URL": "https://dw.example.org"}, env_file=None)


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"DENIALWATCH_PUBLIC_URL": "javascript:alert(1)"}, "DENIALWATCH_PUBLIC_URL"),
        ({"DENIALWATCH_PUBLIC_URL": "https://x.org/?a=1"}, "DENIALWATCH_PUBLIC_URL"),
        ({"DENIALWATCH_WEB_SECRET": "short"}, "DENIALWATCH_WEB_SECRET"),
        ({"DENIALWATCH_WEB_TRUSTED_HEADER": "X User"}, "DENIALWATCH_WEB_TRUSTED_HEADER"),
    ],
)
def test_bad_page_settings_name_their_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=f"^{variable}:"):
        load_settings(environ, env_file=None)


def test_the_secret_can_come_from_a_file(tmp_path: object) -> None:
    from pathlib import Path

    secret = Path(str(tmp_path)) / "web_secret"
    secret.write_text(SECRET + "\n")
    settings = load_settings(
        {
            "DENIALWATCH_PUBLIC_URL": "https://dw.example.org/",
            "DENIALWATCH_WEB_SECRET_FILE": str(secret),
        },
        env_file=None,
    )
    assert settings.pages_enabled and settings.public_url == "https://dw.example.org"
    assert settings.web_secret is not None and settings.web_secret.get_secret_value() == SECRET
    assert settings.described()["web_secret"] == "set"
