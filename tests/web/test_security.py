"""Security probes (issue 12): every staff route and WebSocket needs a login and the right role, origins
are checked, logins, starts and messages are rate-limited, sessions and forms are CSRF-safe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from core.db import Database
from core.settings import CoreSettings
from tests import factories, fakes
from tests.conftest import make_settings
from tests.web.conftest import start
from tests.web.staff import login
from web.app import create_app
from web.settings import WebSettings

STAFF_PREFIXES = ("/api/console", "/api/admin", "/admin", "/console")
ADMIN_PREFIXES = ("/api/admin", "/admin")


def make_client(sqlite_db: Database, settings: CoreSettings, **web: object) -> TestClient:
    with sqlite_db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez")
        factories.agent(s, "root", role="admin", display_name="Admin")
    app = create_app(settings, runtime_factory=lambda st: fakes.runtime(st, sqlite_db),
                     web_settings=WebSettings(_env_file=None, **web))  # type: ignore[call-arg]
    return TestClient(app, base_url="http://testserver")


@pytest.fixture
def client(sqlite_db: Database, settings: CoreSettings) -> Iterator[TestClient]:
    with make_client(sqlite_db, settings, site_origins="https://www.tidewater.example") as c:
        yield c


def flat(routes: list[Any]) -> Iterator[Any]:
    for route in routes:  # FastAPI keeps included routers as wrappers around the original router
        original = getattr(route, "original_router", None)
        yield from flat(original.routes) if original is not None else [route]


def staff_routes(client: TestClient) -> list[tuple[str, str]]:
    out = []
    for route in flat(client.app.routes):  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path.startswith(STAFF_PREFIXES):
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            out += [(m, path) for m in sorted(route.methods)]
    assert len(out) > 25, out  # the console API and the admin area, all of them
    return out


def test_every_staff_route_refuses_a_visitor(client: TestClient) -> None:
    for method, path in staff_routes(client):
        r = client.request(method, path, follow_redirects=False)
        expected = 401 if path.startswith("/api/") else 303
        assert r.status_code == expected, (method, path, r.status_code)


def test_every_admin_route_refuses_an_agent(client: TestClient) -> None:
    login(client, "maria")
    for method, path in staff_routes(client):
        if path.startswith(ADMIN_PREFIXES):
            r = client.request(method, path, follow_redirects=False)
            assert r.status_code == 403, (method, path, r.status_code)


def test_console_websocket_needs_a_login(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as exc, client.websocket_connect("/api/console/ws") as ws:
        ws.receive_json()
    assert exc.value.code == 4401


def test_console_websocket_refuses_a_foreign_origin(client: TestClient) -> None:
    login(client, "maria")
    for origin in ("https://evil.example", "https://www.tidewater.example", "null"):
        with pytest.raises(WebSocketDisconnect) as exc, client.websocket_connect(
                "/api/console/ws", headers={"Origin": origin}) as ws:
            ws.receive_json()
        assert exc.value.code == 4403, origin
    for origin in ("http://testserver", "http://127.0.0.1:8000"):  # the page's own host, the public URL
        with client.websocket_connect("/api/console/ws", headers={"Origin": origin}) as ws:
            ws.send_text("ping")


def test_customer_websocket_allows_our_sites_only(client: TestClient) -> None:
    cid, auth = start(client)
    url = f"/api/conversations/{cid}/ws?token={auth['X-Conversation-Token']}"
    with pytest.raises(WebSocketDisconnect) as exc, client.websocket_connect(
            url, headers={"Origin": "https://evil.example"}) as ws:
        ws.receive_json()
    assert exc.value.code == 4403
    for origin in ("https://www.tidewater.example", "http://testserver"):
        with client.websocket_connect(url, headers={"Origin": origin}) as ws:
            ws.send_text("ping")


def test_login_is_rate_limited_per_address(sqlite_db: Database, settings: CoreSettings) -> None:
    with make_client(sqlite_db, settings, rate_login_per_ip="3/minute") as c:
        for _ in range(3):
            assert c.post("/login", data={"username": "maria", "password": "wrong"}).status_code == 401
        r = c.post("/login", data={"username": "maria", "password": "correct-horse"})
        assert r.status_code == 429
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert "Too many login attempts" in r.text


def test_conversation_start_is_rate_limited_per_address(sqlite_db: Database, settings: CoreSettings) -> None:
    with make_client(sqlite_db, settings, rate_start_per_ip="2/minute") as c:
        start(c)
        start(c)
        r = c.post("/api/conversations", json={})
        assert r.status_code == 429
        assert r.json()["detail"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 60


def test_messages_are_rate_limited_per_conversation_and_per_address(sqlite_db: Database,
                                                                    settings: CoreSettings) -> None:
    with make_client(sqlite_db, settings, rate_message_per_conversation="2/minute",
                     rate_message_per_ip="3/minute") as c:
        cid, auth = start(c)
        for text in ("hello", "my bill"):
            assert c.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=auth).status_code == 201
        r = c.post(f"/api/conversations/{cid}/messages", json={"text": "again"}, headers=auth)
        assert (r.status_code, r.json()["detail"]["code"]) == (429, "rate_limited")
        assert "too fast" in r.json()["detail"]["message"] and int(r.headers["Retry-After"]) >= 1
        other, other_auth = start(c)  # a fresh conversation from the same address: the address budget
        assert c.post(f"/api/conversations/{other}/messages", json={"text": "hi"},
                      headers=other_auth).status_code == 429
        # A wrong token is a 404 and costs the conversation nothing.
        assert c.post(f"/api/conversations/{cid}/messages", json={"text": "x"}).status_code == 404


def test_rate_limits_can_be_switched_off_for_benchmarks(sqlite_db: Database, settings: CoreSettings) -> None:
    with make_client(sqlite_db, settings, rate_start_per_ip="1/minute", rate_limits_enabled=False) as c:
        for _ in range(3):
            start(c)


def test_session_cookie_is_httponly_samesite_and_secure_outside_local(sqlite_db: Database,
                                                                      tmp_path: Path) -> None:
    for mode, secure in (("local", False), ("production", True)):
        st = CoreSettings(_env_file=None, data_dir=tmp_path, mode=mode,  # type: ignore[call-arg]
                          secret_key="a-real-secret-of-32-characters!!")
        with make_client(sqlite_db, st) as c:
            r = c.post("/login", data={"username": "maria", "password": "correct-horse"}, follow_redirects=False)
            cookie = r.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie
            assert ("secure" in cookie.split(";")[-1] or "; secure" in cookie) is secure, cookie
        with sqlite_db.session() as s:  # the next round creates the staff again
            from crm import Agent

            s.query(Agent).delete()


def test_state_changing_staff_requests_need_the_csrf_token(client: TestClient) -> None:
    login(client, "root")
    token = client.headers.pop("X-CSRF-Token")
    assert client.put("/api/console/me/status", json={"status": "away"}).status_code == 403
    assert client.put("/api/console/me/status", json={"status": "away"},
                      headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.put("/api/console/me/status", json={"status": "away"},
                      headers={"X-CSRF-Token": token}).status_code == 200
    assert client.post("/admin/preview", data={"body": "hi"}).status_code == 403  # a form without the field
    assert client.post("/admin/preview", data={"body": "hi", "csrf_token": token}).status_code == 200
    assert client.post("/logout", follow_redirects=False).status_code == 403
    page = client.get("/admin/articles/new").text
    assert f'name="csrf_token" value="{token}"' in page and f'<meta name="csrf-token" content="{token}">' in page
    login(client, "root")  # a new login starts a new token
    assert client.headers["X-CSRF-Token"] != token


@pytest.mark.parametrize("secret", ["", "change-me", "changeme", "secret", "short-secret"])
def test_placeholder_or_short_secrets_are_refused_outside_local_mode(tmp_path: Path, secret: str) -> None:
    def settings(mode: str) -> CoreSettings:
        return CoreSettings(_env_file=None, data_dir=tmp_path, mode=mode, secret_key=secret)  # type: ignore[call-arg]

    with pytest.raises(ValueError, match="FIRSTLINE_SECRET_KEY"):
        settings("production")
    assert settings("local").secret_key


def test_each_demo_agent_gets_their_own_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm import Agent, verify_password
    from firstline.launch import Product
    from web import startup

    monkeypatch.setattr(startup, "ARTICLES", tmp_path / "no-articles")  # the logins are what this is about
    st = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'demo.db'}")
    db, notes = startup.prepare_database(st)
    product = Product("", "", tmp_path, [], "")
    creds = product.credentials()
    agents = [n for n in creds if n != "admin"]
    assert len(agents) >= 2 and len({creds[a] for a in agents}) == len(agents)
    with db.session() as s:
        for a in s.query(Agent):
            assert verify_password(creds[a.username], a.password_hash)
    db.dispose()


def test_every_state_changing_staff_route_refuses_a_request_without_the_csrf_token(client: TestClient) -> None:
    login(client, "root")
    client.headers.pop("X-CSRF-Token")
    changing = [(m, p) for m, p in staff_routes(client) if m in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(changing) > 15, changing
    for method, path in changing:
        r = client.request(method, path, follow_redirects=False)
        assert r.status_code == 403, (method, path, r.status_code)
