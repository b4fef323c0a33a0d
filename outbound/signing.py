"""HMAC-SHA256 signatures of webhook bodies, in the "sha256=<hex>" form receivers check."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign_body", "verify_signature"]

_PREFIX = "sha256="


def sign_body(secret: str, body: bytes) -> str:
    """Return "sha256=<hex HMAC-SHA256 of body under secret>"."""
    return _PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Check a signature header against the body in constant time; False when missing or malformed."""
    if not header or not isinstance(header, str) or not header.startswith(_PREFIX):
        return False
    given = header[len(_PREFIX) :].strip().lower()
    if len(given) != 64 or any(c not in "0123456789abcdef" for c in given):
        return False
    return hmac.compare_digest(sign_body(secret, body), _PREFIX + given)
