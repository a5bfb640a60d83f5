"""Fetching user-supplied URLs safely: egress policy, pinned connections, size caps."""

from bot.inputs.fetching.decoding import BodyTooLarge
from bot.inputs.fetching.fetcher import (
    FetchResult,
    FetchTimeout,
    SafeFetcher,
    accepts_feed,
    accepts_html,
    media_type,
)
from bot.inputs.fetching.policy import (
    EgressPolicy,
    FetchError,
    Resolver,
    UnsafeURL,
    address_refusal,
    parse_allow_hosts,
    redact_credentials,
    system_resolver,
)

__all__ = [
    "BodyTooLarge",
    "EgressPolicy",
    "FetchError",
    "FetchResult",
    "FetchTimeout",
    "Resolver",
    "SafeFetcher",
    "UnsafeURL",
    "accepts_feed",
    "accepts_html",
    "address_refusal",
    "media_type",
    "parse_allow_hosts",
    "redact_credentials",
    "system_resolver",
]
