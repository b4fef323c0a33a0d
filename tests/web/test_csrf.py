"""CSRF guard over the whole staff API: every state-changing route, whichever router it came from."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from core.db import Database
from core.settings import CoreSettings
from tests.web.staff import login
from tests.web.test_security import flat, make_client

# Staff APIs: the console's, the admin's, and the channel reply retry (a console action under /api/channels).
STAFF_API = re.compile(r"^/api/(console|admin)/|^/api/channels/replies/")
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def client(sqlite_db: Database, settings: CoreSettings) -> Iterator[TestClient]:
    with make_client(sqlite_db, settings) as c:
        yield c


def test_csrf_every_state_changing_staff_api_route_refuses_a_request_without_the_token(client: TestClient) -> None:
    login(client, "root")  # an admin, so no route answers 403 for the role instead
    token = client.headers.pop("X-CSRF-Token")
    routes = sorted({(m, re.sub(r"\{[^}]+\}", "1", r.path)) for r in flat(client.app.routes)  # type: ignore[attr-defined]
                     if isinstance(r, APIRoute) and STAFF_API.match(r.path) for m in r.methods & STATE_CHANGING})
    assert ("POST", "/api/console/canned") in routes and ("POST", "/api/channels/replies/1/retry") in routes
    unguarded = [(m, p, r.status_code) for m, p in routes
                 if (r := client.request(m, p, json={})).status_code != 403]
    assert not unguarded, unguarded
    # The same request with the token gets past the guard (to validation or the route itself).
    assert client.post("/api/console/followups/1/dismiss", headers={"X-CSRF-Token": token}).status_code == 404
