"""v0 request signatures: accept exactly the authentic, fresh requests (RELIABILITY T-10)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.signature import Rejection, check_request, check_signature, sign

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_700_000_000
BODY = b"token=x&command=%2Fdenialwatch&text=help"


def test_slack_documented_example_verifies() -> None:
    # The worked example of Slack's "Verifying requests from Slack" page.
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body) == signature
    assert check_signature(SECRET, body, "1531420618", signature, 1531420618 + 10) is None


@pytest.mark.parametrize("skew", [0, 1, 299, 300, -299, -300])
def test_fresh_requests_are_accepted(skew: int) -> None:
    stamp = str(NOW)
    assert check_signature(SECRET, BODY, stamp, sign(SECRET, stamp, BODY), NOW + skew) is None


@pytest.mark.parametrize("skew", [301, -301, 86_400, -86_400])
def test_stale_requests_are_rejected(skew: int) -> None:
    stamp = str(NOW)
    rejection = check_signature(SECRET, BODY, stamp, sign(SECRET, stamp, BODY), NOW + skew)
    assert rejection is Rejection.STALE


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [(None, "v0=abc"), (str(NOW), None), ("", "v0=abc"), (str(NOW), ""), (None, None)],
)
def test_missing_headers_are_rejected(timestamp: str | None, signature: str | None) -> None:
    assert check_signature(SECRET, BODY, timestamp, signature, NOW) is Rejection.MISSING_HEADERS


@pytest.mark.parametrize("timestamp", ["+1700000000", " 1700000000", "1.7e9", "abc", "１７"])
def test_odd_timestamps_are_rejected_without_crashing(timestamp: str) -> None:
    rejection = check_signature(SECRET, BODY, timestamp, "v0=" + "0" * 64, NOW)
    assert rejection is Rejection.BAD_TIMESTAMP


def test_non_utf8_body_is_verified_on_its_bytes() -> None:
    body = b"text=\xff\xfe\x00binary"
    stamp = str(NOW)
    assert check_signature(SECRET, body, stamp, sign(SECRET, stamp, body), NOW) is None
    assert check_signature(SECRET, body + b"!", stamp, sign(SECRET, stamp, body), NOW) is not None


def test_non_ascii_signature_is_rejected() -> None:
    assert check_signature(SECRET, BODY, str(NOW), "v0=é", NOW) is Rejection.BAD_SIGNATURE


def test_headers_are_looked_up_case_insensitively() -> None:
    stamp = str(NOW)
    headers = {"X-Slack-Request-Timestamp": stamp, "X-SLACK-SIGNATURE": sign(SECRET, stamp, BODY)}
    assert check_request(SECRET, BODY, headers, NOW) is None


def _flip(data: bytes, bit: int) -> bytes:
    index, offset = divmod(bit % (len(data) * 8), 8)
    return data[:index] + bytes([data[index] ^ (1 << offset)]) + data[index + 1 :]


@settings(max_examples=1000, deadline=None)
@given(
    body=st.binary(min_size=1, max_size=2048),
    skew=st.integers(-300, 300),
    part=st.sampled_from(["body", "timestamp", "signature", "secret"]),
    bit=st.integers(0, 10_000),
)
def test_any_single_bit_flip_is_rejected(body: bytes, skew: int, part: str, bit: int) -> None:
    stamp = str(NOW)
    signature = sign(SECRET, stamp, body)
    assert check_signature(SECRET, body, stamp, signature, NOW + skew) is None
    secret = SECRET
    if part == "body":
        body = _flip(body, bit)
    elif part == "timestamp":
        stamp = _flip(stamp.encode(), bit).decode("latin-1")
    elif part == "signature":
        signature = _flip(signature.encode(), bit).decode("latin-1")
    else:
        secret = _flip(SECRET.encode(), bit).decode("latin-1")
    assert check_signature(secret, body, stamp, signature, NOW + skew) is not None
