from __future__ import annotations

import hashlib
import hmac

import pytest

from outbound import sign_body, verify_signature


def test_sign_body_is_hmac_sha256_hex_with_prefix() -> None:
    expected = hmac.new(b"s3cret", b'{"a":1}', hashlib.sha256).hexdigest()
    assert sign_body("s3cret", b'{"a":1}') == f"sha256={expected}"


def test_verify_signature_accepts_own_signature() -> None:
    assert verify_signature("k", b"body", sign_body("k", b"body"))


def test_verify_signature_accepts_uppercase_hex() -> None:
    sig = sign_body("k", b"body")
    assert verify_signature("k", b"body", "sha256=" + sig.removeprefix("sha256=").upper())


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha1=abcd", "abc", "sha256=" + "g" * 64, "sha256=" + "a" * 63, "sha256=" + "a" * 64],
)
def test_verify_signature_refuses_missing_or_malformed(header: str | None) -> None:
    assert verify_signature("k", b"body", header) is False


def test_verify_signature_refuses_other_secret_or_body() -> None:
    sig = sign_body("k", b"body")
    assert not verify_signature("other", b"body", sig)
    assert not verify_signature("k", b"body ", sig)
