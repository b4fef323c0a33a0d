"""Log a test client in as staff, the way the console does it."""

from __future__ import annotations

from fastapi.testclient import TestClient


def login(client: TestClient, username: str, password: str = "correct-horse") -> None:
    """Log in as username (any earlier session ends first)."""
    client.post("/logout")
    r = client.post("/login", data={"username": username, "password": password}, follow_redirects=False)
    assert r.status_code == 303, r.text
    # State-changing staff calls carry the session's CSRF token, as console.js sends it.
    client.headers["X-CSRF-Token"] = client.get("/api/console/me").json()["csrf_token"]
