"""Signed page links: an HMAC over the path and an expiry, so a link is its own pass.

A link in an alert lets any member of the channel open the page without an account.
The signature covers the path only (not the query), so a search form or a page
number can change the query of a signed index link; it never covers more time than
the link it came from, because pages sign their own links with the expiry they were
opened with.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit

_CONTEXT = b"denialwatch page link v1\n"
MAX_SIGNATURE_CHARS = 128


def alert_path(alert_key: str) -> str:
    """The page path of an alert: its key, percent-encoded as one path segment."""
    return "/alerts/" + quote(alert_key, safe="")


def agency_path(agency: str) -> str:
    """The page path of an agency, keyed by its case-folded name."""
    return "/agencies/" + quote(agency_key(agency), safe="")


def agency_key(agency: str) -> str:
    return agency.casefold().strip()


@dataclass(frozen=True)
class PageSigner:
    """Sign and check page links with one secret key."""

    secret: bytes
    public_url: str
    lifetime: timedelta = timedelta(days=30)

    @property
    def base_path(self) -> str:
        """Where the app sits under the public URL (a proxy may mount it in a folder)."""
        return urlsplit(self.public_url).path.rstrip("/")

    def signature(self, path: str, expires: int) -> str:
        message = _CONTEXT + f"{path}\n{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def signed(self, path: str, expires: int, **query: str | int) -> str:
        """Return a root-relative signed link (under the base path) to `path`."""
        params = {k: str(v) for k, v in query.items() if v not in ("", None)}
        params.update(exp=str(expires), sig=self.signature(path, expires))
        return f"{self.base_path}{path}?{urlencode(params)}"

    def expiry(self, now: datetime) -> int:
        return int((now + self.lifetime).timestamp())

    def link(self, path: str, now: datetime) -> str:
        """Return the absolute signed URL a chat alert carries."""
        origin = self.public_url.removesuffix(self.base_path) if self.base_path else ""
        return (origin or self.public_url) + self.signed(path, self.expiry(now))

    def verify(self, path: str, exp: str | None, sig: str | None, now: datetime) -> int | None:
        """Return the link's expiry when the signature is valid and unexpired, else None."""
        if not exp or not sig or len(sig) > MAX_SIGNATURE_CHARS or not exp.isdigit():
            return None
        if len(exp) > 12:
            return None
        expires = int(exp)
        # Compare first, then check the time, so both failures take the same path.
        valid = hmac.compare_digest(self.signature(path, expires).encode(), sig.encode("utf-8"))
        if not valid or expires <= now.timestamp():
            return None
        return expires
