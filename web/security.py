"""Signed tokens: conversation capabilities for the widget, identity checks, and Rasa's internal token."""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, URLSafeSerializer


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def conversation_token(secret: str, conversation_id: str) -> str:
    """Return the bearer token that lets a widget read and write one conversation."""
    return URLSafeSerializer(secret, salt="conversation").dumps(conversation_id)


def conversation_from_token(secret: str, token: str) -> str | None:
    try:
        value = URLSafeSerializer(secret, salt="conversation").loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def identity_hash(secret: str, external_id: str) -> str:
    """Return the HMAC a company's site computes to vouch for a logged-in customer's id.

    Without it anyone could type another customer's id into the widget and read their history.
    """
    return hmac.new(_key(secret, "identity"), external_id.encode(), hashlib.sha256).hexdigest()


def identity_ok(secret: str, external_id: str, given: str | None) -> bool:
    # Bytes, not str: compare_digest raises TypeError on non-ASCII text, and `given` is the caller's.
    expected = identity_hash(secret, external_id).encode()
    return bool(given) and hmac.compare_digest(expected, (given or "").encode("utf-8", "surrogatepass"))


def internal_token(secret: str) -> str:
    """Return the token Rasa presents when it calls the app's NLU and action endpoints."""
    return hmac.new(_key(secret, "internal"), b"rasa", hashlib.sha256).hexdigest()[:40]


def visitor_token(secret: str, customer_id: str) -> str:
    """Return the token that lets a returning browser be the same anonymous visitor (issue 10)."""
    return URLSafeSerializer(secret, salt="visitor").dumps(customer_id)


def visitor_from_token(secret: str, token: str) -> str | None:
    try:
        value = URLSafeSerializer(secret, salt="visitor").loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None
