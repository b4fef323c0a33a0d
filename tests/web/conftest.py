from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from core.db import Database
from core.settings import CoreSettings
from tests import factories, fakes
from web.app import create_app


@pytest.fixture
def app_client(settings: CoreSettings, db: Database) -> Iterator[TestClient]:
    with db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez")
        factories.agent(s, "root", role="admin", display_name="Admin")
    app = create_app(settings, runtime_factory=lambda st: fakes.runtime(st, db))
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def start(client: TestClient, **body: object) -> tuple[str, dict[str, str]]:
    r = client.post("/api/conversations", json=body)
    assert r.status_code == 201, r.text
    data = r.json()
    return data["conversation_id"], {"X-Conversation-Token": data["token"]}
