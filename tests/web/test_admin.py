from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.db import Database
from core.embedding import FakeEmbedder
from core.events import events
from core.settings import CoreSettings
from crm import Sender, store
from knowledge_base import ArticleRepository, KBSettings, KnowledgeBase
from tests import factories, fakes
from web.app import create_app

ARTICLES = Path(__file__).parents[2] / "knowledge_base" / "articles"


@pytest.fixture
def admin(settings: CoreSettings, db: Database, tmp_path: Path) -> Iterator[TestClient]:
    with db.session() as s:
        factories.agent(s, "root", role="admin", display_name="Admin")
        factories.agent(s, "maria", display_name="Maria Lopez")
        ArticleRepository().import_folder(s, ARTICLES)

    def runtime(st: CoreSettings):  # type: ignore[no-untyped-def]
        kb = KnowledgeBase.open(db, KBSettings(index_dir=tmp_path / "kb", answer_threshold=0.0), FakeEmbedder())
        rt = fakes.runtime(st, db, kb=kb)
        rt.embedder = FakeEmbedder()
        rt.bus.on(events.ARTICLE_CHANGED, lambda e: kb.sync_article(e.data["article_id"]))
        return rt

    with TestClient(create_app(settings, runtime_factory=runtime)) as client:
        client.post("/login", data={"username": "root", "password": "correct-horse"})
        yield client


def test_agent_cannot_open_admin_pages(admin: TestClient) -> None:
    admin.post("/logout")
    admin.post("/login", data={"username": "maria", "password": "correct-horse"})
    for path in ("/admin/articles", "/admin/try", "/admin/gaps", "/admin/articles/new"):
        assert admin.get(path).status_code == 403


def test_list_and_search_articles(admin: TestClient) -> None:
    page = admin.get("/admin/articles?q=password").text
    assert "Resetting your My Account password" in page and "Moving home" not in page
    drafts = admin.get("/admin/articles?status=draft").text
    assert "TV Plus channel line-up for 2027" in drafts and "Moving home" not in drafts


def test_create_edit_version_diff_restore(admin: TestClient, db: Database) -> None:
    r = admin.post("/admin/articles", data={"article_id": "router-lights", "title": "Router lights",
                                            "body": "## Lights\nA blue light means zebra mode.", "tags": "router",
                                            "audience": "all", "status": "published"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/admin/articles/router-lights")
    assert admin.app.state.runtime.kb.search("zebra mode", k=1)[0].article_id == "router-lights"  # type: ignore[attr-defined]
    admin.post("/admin/articles/router-lights", data={"title": "Router lights", "body": "## Lights\nBlue means okapi.",
                                                      "tags": "router", "audience": "all", "status": "published"})
    diff = admin.get("/admin/articles/router-lights/diff?a=1&b=2").text
    assert "-A blue light means zebra mode." in diff and "+Blue means okapi." in diff
    assert admin.app.state.runtime.kb.search("okapi", k=1)[0].article_id == "router-lights"  # type: ignore[attr-defined]
    admin.post("/admin/articles/router-lights/versions/1/restore")
    with db.session() as s:
        a = ArticleRepository().get(s, "router-lights")
        assert (a.version, a.body) == (3, "## Lights\nA blue light means zebra mode.\n")


def test_bad_article_shows_the_field_and_stores_nothing(admin: TestClient, db: Database) -> None:
    r = admin.post("/admin/articles", data={"article_id": "Bad Id", "title": "x", "body": "text"})
    assert r.status_code == 422 and "id: must be a slug" in r.text
    r = admin.post("/admin/articles", data={"article_id": "empty-one", "title": "Empty", "body": "   "})
    assert r.status_code == 422 and "body: is empty" in r.text
    r = admin.post("/admin/articles", data={"article_id": "reset-password", "title": "Dup", "body": "x"})
    assert r.status_code == 422 and "id: is already used by another article" in r.text
    with db.session() as s:
        assert ArticleRepository().list(s, "empty-one") == []


def test_unpublish_delete_and_restore_follow_through_to_retrieval(admin: TestClient) -> None:
    kb = admin.app.state.runtime.kb  # type: ignore[attr-defined]
    admin.post("/admin/articles/moving-home/unpublish")
    assert "moving-home" not in kb.index.by_article
    admin.post("/admin/articles/moving-home/publish")
    assert "moving-home" in kb.index.by_article
    admin.post("/admin/articles/moving-home/delete")
    assert "moving-home" not in kb.index.by_article
    assert "Moving home" in admin.get("/admin/articles?deleted=1").text
    admin.post("/admin/articles/moving-home/restore")
    assert "moving-home" in kb.index.by_article


def test_preview_is_sanitised(admin: TestClient) -> None:
    html = admin.post("/admin/preview", data={"body": "**hi** <script>alert(1)</script>"}).text
    assert "<strong>hi</strong>" in html and "<script>" not in html


def test_try_a_question_shows_both_retrievers(admin: TestClient) -> None:
    page = admin.get("/admin/try?q=reset+my+password").text
    assert 'id="mode-dense"' in page and 'id="mode-bm25"' in page and 'id="mode-hybrid"' in page
    assert "Resetting your My Account password" in page


def test_gaps_report_clusters_failures_and_turns_them_into_work(
    admin: TestClient, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.routes.admin as admin_routes

    monkeypatch.setattr(admin_routes, "NLU_DIR", tmp_path)
    with db.session() as s:
        conv = factories.conversation(s)
        for text in ("can I pay with bitcoin", "can I pay with bitcoin please"):
            store.add_message(s, conv, Sender.CUSTOMER, text)
            store.add_message(s, conv, Sender.BOT, "…", meta={"kind": "no_answer"})
    page = admin.get("/admin/gaps").text
    assert "can I pay with bitcoin" in page and "no answer: 2" in page
    r = admin.post("/admin/gaps/0/draft", follow_redirects=False)
    assert r.headers["location"].startswith("/admin/articles/draft-can-i-pay-with-bitcoin")
    r = admin.post("/admin/gaps/0/nlu", data={"intent": "billing_question"}, follow_redirects=False)
    assert r.status_code == 303
    text = (tmp_path / "from_gaps_billing_question.yml").read_text()
    assert "- can I pay with bitcoin\n" in text and "- can I pay with bitcoin please\n" in text
    assert admin.post("/admin/gaps/0/nlu", data={"intent": "not_an_intent"}).status_code == 422
