from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.staff import login


@pytest.mark.parametrize("path", ["/console", "/admin"])
def test_staff_pages_redirect_to_login_when_logged_out(app_client: TestClient, path: str) -> None:
    r = app_client.get(path, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/login?next={path}")


def test_login_with_wrong_password_is_refused(app_client: TestClient) -> None:
    r = app_client.post("/login", data={"username": "maria", "password": "wrong-password"})
    assert r.status_code == 401
    assert "Wrong username or password." in r.text
    assert app_client.get("/console", follow_redirects=False).status_code == 303


def test_agent_can_open_console_but_not_admin(app_client: TestClient) -> None:
    r = app_client.post("/login", data={"username": "maria", "password": "correct-horse"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/console")
    assert app_client.get("/console").status_code == 200
    assert app_client.get("/admin").status_code == 403


def test_admin_lands_in_admin(app_client: TestClient) -> None:
    r = app_client.post("/login", data={"username": "root", "password": "correct-horse"}, follow_redirects=False)
    assert r.headers["location"] == "/admin"
    assert "Admin" in app_client.get("/admin").text


def test_login_never_redirects_off_site(app_client: TestClient) -> None:
    r = app_client.post("/login", data={"username": "maria", "password": "correct-horse",
                                        "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/console"
    r = app_client.post("/login", data={"username": "maria", "password": "correct-horse", "next": "//evil.example"},
                        follow_redirects=False)
    assert r.headers["location"] == "/console"


def test_logout_ends_the_session(app_client: TestClient) -> None:
    login(app_client, "maria")
    assert app_client.post("/logout", follow_redirects=False).status_code == 303
    assert app_client.get("/console", follow_redirects=False).status_code == 303


def test_rasa_endpoints_require_the_internal_token(app_client: TestClient) -> None:
    from web.security import internal_token

    assert app_client.post("/nlu/model/parse", json={"text": "hi"}).status_code == 401
    assert app_client.post("/nlu/model/parse", json={"text": "hi", "token": "nope"}).status_code == 401
    r = app_client.post("/nlu/model/parse", json={"text": "hello", "token": internal_token("test-secret")})
    assert r.json()["intent"] == {"name": "greet", "confidence": 0.9}
    assert app_client.post("/webhook", json={}).status_code == 401
