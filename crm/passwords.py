"""Password hashing for staff accounts (bcrypt)."""

from __future__ import annotations

import bcrypt

MAX_PASSWORD_BYTES = 72  # bcrypt ignores bytes beyond 72; refuse rather than silently truncate


def hash_password(password: str) -> str:
    raw = password.encode("utf-8")
    if not 8 <= len(raw) <= MAX_PASSWORD_BYTES:
        raise ValueError("password must be 8 to 72 bytes long")
    return bcrypt.hashpw(raw, bcrypt.gensalt()).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    raw = password.encode("utf-8")
    if len(raw) > MAX_PASSWORD_BYTES or not hashed:
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode("ascii"))
    except ValueError:
        return False
