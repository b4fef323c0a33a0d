"""PostgreSQL refusing connections for 10 s: clear 503s, nothing half-stored, service resumes by itself.

The test starts its own PostgreSQL cluster (initdb + pg_ctl on a free port), never the machine's.
"""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core.db import Database
from crm import Conversation, Message, migrate
from tests import fakes
from tests.conftest import make_settings
from tests.servers import PostgresCluster
from web.app import create_app
from web.unavailable import DETAIL


def test_postgres_gone_for_10s_answers_503_stores_nothing_half_and_resumes(tmp_path: Path) -> None:
    pg = PostgresCluster()
    pg.start()
    db = Database(pg.url)
    try:
        migrate(db)
        app = create_app(make_settings(tmp_path / "app"), runtime_factory=lambda st: fakes.runtime(st, db))
        with TestClient(app, base_url="http://testserver") as client:
            r = client.post("/api/conversations", json={})
            cid, auth = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}
            assert client.post(f"/api/conversations/{cid}/messages", json={"text": "hello"},
                               headers=auth).status_code == 201

            pg.stop()
            stopped = time.monotonic()
            during = client.post(f"/api/conversations/{cid}/messages",
                                 json={"text": "my internet is down", "client_id": "retry-1"}, headers=auth)
            assert during.status_code == 503
            assert during.json() == {"detail": DETAIL}
            assert during.headers["retry-after"] == "5"
            assert client.post("/api/conversations", json={}).status_code == 503
            assert client.get(f"/api/conversations/{cid}", headers=auth).status_code == 503
            assert client.get("/health").status_code == 503
            time.sleep(max(0.0, 10 - (time.monotonic() - stopped)))
            pg.start()

            # The widget retries with the same key: stored once, answered, as if nothing happened.
            again = client.post(f"/api/conversations/{cid}/messages",
                                json={"text": "my internet is down", "client_id": "retry-1"}, headers=auth)
            assert again.status_code == 201, again.text
            assert again.json()["duplicate"] is False
            assert [m["sender"] for m in again.json()["messages"]] == ["customer", "bot"]
            assert client.get("/health").status_code == 200
        with db.session() as s:
            texts = s.scalars(select(Message.text).where(Message.conversation_id == cid,
                                                         Message.sender == "customer").order_by(Message.id)).all()
            assert texts == ["hello", "my internet is down"]
            assert s.scalar(select(func.count()).select_from(Conversation)) == 1  # the refused start left nothing
    finally:
        db.dispose()
        pg.remove()
