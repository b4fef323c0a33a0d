"""The customer-facing article page /kb/{id}: published articles only, rendered inert."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.db import Database
from knowledge_base import ArticleRepository


def add(db: Database, aid: str, body: str = "## Steps\nHold the **button**.", status: str = "published") -> None:
    with db.session() as s:
        ArticleRepository().create(s, {"id": aid, "title": aid.title(), "body": body, "status": status}, "root")


def test_kb_page_published_article_is_shown(app_client: TestClient, db: Database) -> None:
    add(db, "router")
    r = app_client.get("/kb/router")
    assert r.status_code == 200 and "<strong>button</strong>" in r.text and "Router" in r.text


def test_kb_page_draft_is_not_found(app_client: TestClient, db: Database) -> None:
    add(db, "secret-plan", "## Plan\nNot yet announced.", status="draft")
    r = app_client.get("/kb/secret-plan")
    assert r.status_code == 404 and "Not yet announced" not in r.text


def test_kb_page_deleted_article_is_not_found(app_client: TestClient, db: Database) -> None:
    add(db, "old-offer", "## Offer\nExpired offer text.")
    with db.session() as s:
        ArticleRepository().delete(s, "old-offer", "root")
    r = app_client.get("/kb/old-offer")
    assert r.status_code == 404 and "Expired offer text" not in r.text


def test_kb_page_unknown_article_is_not_found(app_client: TestClient) -> None:
    assert app_client.get("/kb/no-such-article").status_code == 404


def test_kb_page_markdown_link_with_script_url_is_inert(app_client: TestClient, db: Database) -> None:
    add(db, "links", "## Links\n[click](javascript:alert(1)) and ![x](x \"onerror=alert(1)\")")
    r = app_client.get("/kb/links")
    assert r.status_code == 200 and 'href="javascript:' not in r.text  # shown as text, never a link
    assert "<img" not in r.text or " onerror=" not in r.text
