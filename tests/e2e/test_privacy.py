"""Erasure against the real product: after an admin erases a customer, nothing of them is found by any
API, in the app database, in Rasa's own tracker store or in the running app's caches."""

from __future__ import annotations

import sqlite3
import uuid

import httpx
import pytest
from sqlalchemy import inspect, text

from core.db import Database
from tests.e2e.conftest import Product

pytestmark = pytest.mark.e2e


def dump_app_db(product: Product) -> str:
    db = Database(product.db_url())
    try:
        with db.engine.connect() as conn:
            return "\n".join(repr(tuple(r)) for t in inspect(conn).get_table_names()
                             for r in conn.execute(text(f'SELECT * FROM "{t}"')))
    finally:
        db.dispose()


def dump_tracker(product: Product) -> str:
    with sqlite3.connect(product.data_dir / "rasa" / "tracker.db") as conn:
        return "\n".join(repr(r) for r in conn.execute("SELECT * FROM events"))


def test_erased_customer_is_gone_from_every_api_and_both_databases(product: Product) -> None:
    tag = uuid.uuid4().hex[:8]
    name, email = f"Jordan Quill{tag}", f"jordan.quill.{tag}@example.com"
    # a second real question after an answered one: the escalation policy compares them (its vector cache)
    said = [f"hi, my email is {email}", f"how do I reset my password for My Account? ref {tag}",
            f"and how do I pay my bill? ref {tag}"]
    with httpx.Client(base_url=product.base, timeout=30) as client:
        r = client.post("/api/conversations", json={"customer": {"name": name}})
        cid, auth = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}
        for line in said:
            r = client.post(f"/api/conversations/{cid}/messages", json={"text": line}, headers=auth)
            assert r.status_code == 201, r.text
        assert cid in dump_tracker(product) and email in dump_tracker(product)  # Rasa really stored it
        assert name in dump_app_db(product)

        with httpx.Client(base_url=product.base, timeout=30) as admin:
            admin.post("/login", data={"username": "admin", "password": product.credentials()["admin"]})
            admin.headers["X-CSRF-Token"] = admin.get("/api/console/me").json()["csrf_token"]
            page = admin.get(f"/admin/customers?q={tag}").text
            assert name in page
            customer_id = page.split("/api/admin/customers/")[1].split("/export")[0]
            exported = admin.get(f"/api/admin/customers/{customer_id}/export").json()
            assert [m["text"] for m in exported["conversations"][0]["messages"] if m["sender"] == "customer"] == said

            # The running app holds their words in its caches (one process in the embedded mode)...
            held = admin.post("/api/admin/customers/memory", json={"texts": said})
            assert held.status_code == 200, held.text
            caches = held.json()["caches"]
            assert sorted(caches) == ["kb_queries", "nlu_parses", "surge_samples", "text_vectors"]
            assert all(n > 0 for n in caches.values()), caches
            assert caches["nlu_parses"] == len(said)  # every message parsed, each once

            r = admin.post(f"/api/admin/customers/{customer_id}/erase")
            assert r.status_code == 200, r.text
            assert r.json()["counts"]["tracker_events"] > 0
            # ... and none after the erasure.
            after = admin.post("/api/admin/customers/memory", json={"texts": said}).json()
            assert after == {"pid": held.json()["pid"], "caches": dict.fromkeys(held.json()["caches"], 0)}

            assert client.get(f"/api/conversations/{cid}", headers=auth).status_code == 404
            assert admin.get(f"/api/console/conversations/{cid}").status_code == 404
            assert admin.get(f"/api/admin/customers/{customer_id}/export").status_code == 404
            assert name not in admin.get(f"/admin/customers?q={tag}").text
            assert tag not in admin.get("/admin/gaps").text
    app_db, tracker = dump_app_db(product), dump_tracker(product)
    for needle in (name, email, tag, cid):
        assert needle not in app_db, needle
        assert needle not in tracker, needle
