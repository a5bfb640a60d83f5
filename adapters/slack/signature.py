"""Verify that an HTTP request comes from Slack (v0 HMAC-SHA256 signatures).

Works on the raw body bytes, so a body that is not UTF-8 is rejected cleanly rather
than crashing the decoder (slack_sdk's verifier decodes first and parses the
timestamp with `int()`, which accepts signs and spaces). Comparison is constant-time.
Nothing here logs: callers log the returned reason, never the signature or secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum

MAX_SKEW_SECONDS = 300
_MAX_TIMESTAMP_DIGITS = 12


class Rejection(StrEnum):
    """Why a request was refused."""

    MISSING_HEADERS = "missing_headers"
    BAD_TIMESTAMP = "bad_timestamp"
    STALE = "stale_timestamp"
    BAD_SIGNATURE = "bad_signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` Slack would send for this timestamp and body."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def check_signature(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float
) -> Rejection | None:
    """Return None when the request is authentic and fresh, else the reason."""
    if not timestamp or not signature:
        return Rejection.MISSING_HEADERS
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        return Rejection.BAD_TIMESTAMP
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return Rejection.STALE
    if not signature.isascii():
        return Rejection.BAD_SIGNATURE
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        return Rejection.BAD_SIGNATURE
    return None


def check_request(
    secret: str, body: bytes, headers: Mapping[str, str], now: float
) -> Rejection | None:
    """`check_signature` with the two headers looked up case-insensitively."""
    lowered = {key.lower(): value for key, value in headers.items()}
    return check_signature(
        secret,
        body,
        lowered.get("x-slack-request-timestamp"),
        lowered.get("x-slack-signature"),
        now,
    )
