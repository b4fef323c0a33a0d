"""Helpers for end-to-end tests that need staff: create agents in the product's database, log in."""

from __future__ import annotations

import httpx

from core.db import Database
from crm.demo import create_staff
from tests.e2e.conftest import Product

PASSWORD = "e2e-password-1"


def ensure_agent(product: Product, username: str, name: str, team: str = "Technical Support") -> None:
    """Create an agent with no working hours (always on shift), so tests never depend on the clock."""
    db = Database(product.db_url())
    with db.session() as s:
        from crm import store

        if store.agent_by_username(s, username) is None:
            agent = create_staff(s, username, PASSWORD, name, role="agent")
            agent.team, agent.capacity = team, 5
    db.dispose()


def agent_client(product: Product, username: str, status: str = "online") -> httpx.Client:
    c = httpx.Client(base_url=product.base, timeout=30)
    r = c.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code in (200, 303), r.text
    c.headers["X-CSRF-Token"] = c.get("/api/console/me").json()["csrf_token"]  # as console.js sends it
    assert c.put("/api/console/me/status", json={"status": status}).status_code == 200
    return c


def all_offline(product: Product) -> None:
    db = Database(product.db_url())
    with db.session() as s:
        from crm import Agent

        for a in s.query(Agent):
            a.status = "offline"
    db.dispose()
