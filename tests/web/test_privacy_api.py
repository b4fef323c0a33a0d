"""Admins export and erase customers through the API and the Customers page; nobody else can."""

from __future__ import annotations

import os
from typing import Any

from fastapi.testclient import TestClient

from core.db import Database
from core.settings import CoreSettings
from crm import Customer, store
from tests.web.conftest import start
from tests.web.staff import login


def customer_of(db: Database, cid: str) -> str:
    with db.session() as s:
        return store.get_conversation(s, cid).customer_id


def test_admin_exports_then_erases_a_customer_and_no_api_finds_them(app_client: TestClient, db: Database) -> None:
    cid, auth = start(app_client, customer={"name": "Jordan Lee"})
    app_client.post(f"/api/conversations/{cid}/messages", json={"text": "my bill is wrong"}, headers=auth)
    customer_id = customer_of(db, cid)
    login(app_client, "maria")
    assert app_client.get(f"/api/admin/customers/{customer_id}/export").status_code == 403
    assert app_client.post(f"/api/admin/customers/{customer_id}/erase").status_code == 403
    login(app_client, "root")
    r = app_client.get(f"/api/admin/customers/{customer_id}/export")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert r.json()["profile"]["name"] == "Jordan Lee"
    assert [m["text"] for m in r.json()["conversations"][0]["messages"]][:1] == ["my bill is wrong"]
    csrf = app_client.headers.pop("X-CSRF-Token")
    assert app_client.post(f"/api/admin/customers/{customer_id}/erase").status_code == 403  # no CSRF token
    r = app_client.post(f"/api/admin/customers/{customer_id}/erase", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert (r.json()["customer_id"], r.json()["erased_by"], r.json()["counts"]["conversations"]) == (
        customer_id, "root", 1)
    assert app_client.get(f"/api/conversations/{cid}", headers=auth).status_code == 404
    assert app_client.post(f"/api/conversations/{cid}/messages", json={"text": "hi"}, headers=auth).status_code == 404
    assert app_client.get(f"/api/console/conversations/{cid}").status_code == 404
    assert app_client.get(f"/api/admin/customers/{customer_id}/export").status_code == 404
    page = app_client.get("/admin/customers?q=Jordan").text
    assert "Jordan Lee" not in page and customer_id in page  # only the audit line: the id, who, when


def test_customers_page_erases_only_after_the_id_is_typed(app_client: TestClient, db: Database) -> None:
    cid, _ = start(app_client, customer={"name": "Sam Park"})
    customer_id = customer_of(db, cid)
    login(app_client, "root")
    page = app_client.get("/admin/customers?q=Sam").text
    assert "Sam Park" in page and f'action="/admin/customers/{customer_id}/erase"' in page
    assert app_client.post(f"/admin/customers/{customer_id}/erase", data={"confirm": "yes"}).status_code == 422
    r = app_client.post(f"/admin/customers/{customer_id}/erase", data={"confirm": customer_id},
                        follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/admin/customers?erased={customer_id}")
    with db.session() as s:
        assert s.get(Customer, customer_id) is None


def test_erasure_empties_this_workers_caches_and_the_admin_can_check(settings: CoreSettings, db: Database) -> None:
    from core.embedding import FakeEmbedder
    from core.embedding_cache import CachedEmbedder
    from privacy.memory import worker_memory
    from tests import factories, fakes
    from web.app import create_app

    vectors = CachedEmbedder(FakeEmbedder())

    def runtime(st: CoreSettings) -> Any:
        rt = fakes.runtime(st, db)
        rt.extras["escalation_gate"].embedder = vectors  # the policy's sentence vectors, as the real gate keeps
        worker_memory(rt)
        return rt

    with db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez")
        factories.agent(s, "root", role="admin", display_name="Admin")
    said = "my bill is wrong, ref 83c1"
    with TestClient(create_app(settings, runtime_factory=runtime), base_url="http://testserver") as client:
        cid, auth = start(client, customer={"name": "Jo Reyes"})
        client.post(f"/api/conversations/{cid}/messages", json={"text": said}, headers=auth)
        vectors.encode([said, "my router is blinking"])
        customer_id = customer_of(db, cid)
        check = {"texts": [said, "my router is blinking"]}
        assert client.post("/api/admin/customers/memory", json=check).status_code == 401
        login(client, "maria")
        assert client.post("/api/admin/customers/memory", json=check).status_code == 403
        login(client, "root")
        csrf = client.headers.pop("X-CSRF-Token")
        assert client.post("/api/admin/customers/memory", json=check).status_code == 403  # no CSRF token
        client.headers["X-CSRF-Token"] = csrf
        r = client.post("/api/admin/customers/memory", json=check)
        assert r.status_code == 200 and r.json() == {"pid": os.getpid(), "caches": {"text_vectors": 2}}
        assert client.post("/api/admin/customers/memory", json={"texts": ["x" * 2001]}).status_code == 422

        assert client.post(f"/api/admin/customers/{customer_id}/erase").status_code == 200

        assert client.post("/api/admin/customers/memory", json={"texts": [said]}).json()["caches"] == {
            "text_vectors": 0}
        assert vectors.holding(["my router is blinking"]) == 1  # nobody else's words went
