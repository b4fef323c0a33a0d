from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.db import Database
from core.embedding import FakeEmbedder
from core.events import events
from core.settings import CoreSettings
from crm import Sender, store
from knowledge_base import ArticleRepository, KBSettings, KnowledgeBase, parse_article
from tests import factories, fakes
from tests.web.staff import login
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
        login(client, "root")
        yield client


def test_agent_cannot_open_admin_pages(admin: TestClient) -> None:
    login(admin, "maria")
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


def test_form_errors_name_the_article_and_mark_the_field(admin: TestClient) -> None:
    r = admin.post("/admin/articles", data={"article_id": "empty-one", "title": "Empty", "body": "   "})
    assert r.status_code == 422 and "Article &#39;empty-one&#39; was not saved. body: is empty" in r.text
    assert '<textarea name="body" id="body" rows="18" aria-invalid="true">' in r.text
    r = admin.post("/admin/articles/moving-home", data={"title": "Moving <b>home</b>", "body": "text"})
    assert r.status_code == 422 and "Article &#39;moving-home&#39; was not saved. title: contains HTML" in r.text


def test_body_over_the_limit_gives_the_form_back_not_raw_json(admin: TestClient, db: Database) -> None:
    from knowledge_base.articles import MAX_BODY_CHARS

    huge = "word " * (MAX_BODY_CHARS // 5 + 10)
    r = admin.post("/admin/articles", data={"article_id": "huge", "title": "Huge", "body": huge})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert f"body: is longer than {MAX_BODY_CHARS} characters" in r.text and huge.strip() in r.text
    r = admin.post("/admin/articles/moving-home", data={"title": "Moving home", "body": huge, "status": "published"})
    assert r.status_code == 422 and f"body: is longer than {MAX_BODY_CHARS} characters" in r.text
    assert f"body: is longer than {MAX_BODY_CHARS} characters" in admin.post("/admin/preview", data={"body": huge}).text
    with db.session() as s:
        assert ArticleRepository().get(s, "moving-home").body != huge


def test_last_import_errors_are_shown_on_the_admin_pages(admin: TestClient, db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.md").write_text("---\nid: good\ntitle: Good\nstatus: published\n---\n\nFine.\n")
    (folder / "copy.md").write_text("---\nid: good\ntitle: Copy\nstatus: published\n---\n\nAgain.\n")
    (folder / "broken.md").write_text("---\nid: [unclosed\n---\n\nBody.\n")
    with db.session() as s:
        ArticleRepository().import_folder(s, folder)
    for path in ("/admin", "/admin/articles"):
        section = admin.get(path).text.split('id="import-errors"', 1)[1].split("</section>", 1)[0]
        rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", section)
        assert [(a, f) for a, f, _ in rows] == [("broken.md", "front matter"), ("good.md", "id")], path
        assert "duplicates copy.md (good)" in section


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
    for mode in ("hybrid", "dense", "bm25"):
        table = page.split(f'id="mode-{mode}"', 1)[1].split("</table>", 1)[0]
        scores = re.findall(r'data-article="([^"]+)" data-score="([^"]+)" data-dense="([^"]+)" data-bm25="([^"]+)"',
                            table)
        assert scores, mode
        assert all(0.0 <= float(p) <= 1.0 and -1.0 <= float(d) <= 1.0 and float(b) >= 0.0 for _, p, d, b in scores)
        # the bm25 ranking holds only passages BM25 retrieved; the others show BM25 where it exists
        if mode == "bm25":
            assert all(float(b) > 0 for *_, b in scores)
    assert any(float(b) > 0 for *_, b in re.findall(r'data-bm25="([^"]+)"', page))


def test_try_a_question_shows_the_route_the_dialogue_takes(admin: TestClient) -> None:
    page = admin.get("/admin/try?q=reset+my+password").text  # FakeNLU: password_reset
    assert '<code id="route-action">action_answer</code>' in page and 'id="route-kind">kb_answer<' in page
    page = admin.get("/admin/try?q=how+do+I+move+home").text  # FakeNLU: nlu_fallback
    assert '<code id="route-action">action_fallback</code>' in page
    # the knowledge base, not "didn't understand": two close articles, so it asks which one
    assert "tries the knowledge base first" in page and 'id="route-kind">clarify<' in page
    assert "Moving home" in page.split('id="route-kind"', 1)[1].split("</blockquote>", 1)[0]
    page = admin.get("/admin/try?q=hello+there").text  # greet: not a knowledge-base answer
    assert '<code id="route-action">action_greet</code>' in page and 'id="route-kind"' not in page


def _failures(db: Database, *texts: str) -> None:
    with db.session() as s:
        conv = factories.conversation(s)
        for text in texts:
            store.add_message(s, conv, Sender.CUSTOMER, text)
            store.add_message(s, conv, Sender.BOT, "…", meta={"kind": "no_answer"})


def _keys(page: str) -> list[str]:
    return re.findall(r'name="key" value="([^"]*)"', page)[::2]  # two forms per cluster


def test_gaps_report_clusters_failures_and_turns_them_into_work(
    admin: TestClient, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.routes.admin as admin_routes

    monkeypatch.setattr(admin_routes, "NLU_DIR", tmp_path)
    _failures(db, "can I pay with bitcoin", "can I pay with bitcoin please")
    page = admin.get("/admin/gaps").text
    assert "can I pay with bitcoin" in page and "no answer: 2" in page
    key = _keys(page)[0]
    r = admin.post("/admin/gaps/draft", data={"key": key}, follow_redirects=False)
    assert r.headers["location"].startswith("/admin/articles/draft-can-i-pay-with-bitcoin")
    r = admin.post("/admin/gaps/nlu", data={"key": key, "intent": "billing_question"}, follow_redirects=False)
    assert r.status_code == 303
    text = (tmp_path / "from_gaps_billing_question.yml").read_text()
    assert "- can I pay with bitcoin\n" in text and "- can I pay with bitcoin please\n" in text
    assert admin.post("/admin/gaps/nlu", data={"key": key, "intent": "not_an_intent"}).status_code == 422
    assert admin.post("/admin/gaps/draft", data={"key": "999999"}).status_code == 404


def test_gaps_report_shows_out_of_scope_declines_masked(admin: TestClient, db: Database) -> None:
    with db.session() as s:
        conv = factories.conversation(s)
        store.add_message(s, conv, Sender.CUSTOMER, "do you sell phone cases? reply to ana.b@example.com",
                          parse={"intent": {"name": "out_of_scope", "confidence": 0.8}})
        store.add_message(s, conv, Sender.BOT, "Sorry, that's not something I can help with.")
    page = admin.get("/admin/gaps").text
    assert "do you sell phone cases? reply to [email]" in page and "out of scope: 1" in page
    assert "ana.b@example.com" not in page


def test_gap_actions_act_on_the_cluster_shown_even_when_the_report_changed(admin: TestClient, db: Database) -> None:
    _failures(db, "router light blinking orange")
    key = _keys(admin.get("/admin/gaps").text)[0]
    _failures(db, "can I pay with bitcoin", "can I pay with bitcoin please", "pay with bitcoin")  # now first
    r = admin.post("/admin/gaps/draft", data={"key": key}, follow_redirects=False)
    assert r.headers["location"] == "/admin/articles/draft-router-light-blinking-orange"


def test_gap_draft_with_tag_like_customer_text_makes_a_plain_draft(admin: TestClient, db: Database) -> None:
    _failures(db, "why is my <b>bill</b> so high <script>alert(1)</script>")
    r = admin.post("/admin/gaps/draft", data={"key": _keys(admin.get("/admin/gaps").text)[0]},
                   follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/admin/articles/draft-why-is-my-bill-so-high-alert-1")
    with db.session() as s:
        a = ArticleRepository().get(s, "draft-why-is-my-bill-so-high-alert-1")
        assert (a.title, a.status) == ("why is my bill so high alert(1)", "draft")
        assert "- why is my &lt;b&gt;bill&lt;/b&gt; so high &lt;script&gt;alert(1)&lt;/script&gt;" in a.body
    html = admin.get("/admin/articles/draft-why-is-my-bill-so-high-alert-1").text
    assert "<script>alert(1)</script>" not in html


def test_export_md_is_the_article_as_markdown_with_front_matter(admin: TestClient) -> None:
    r = admin.get("/admin/articles/reset-password/export.md")
    assert r.status_code == 200 and r.headers["content-disposition"] == 'attachment; filename="reset-password.md"'
    back = parse_article(r.text, "reset-password.md")
    assert (back.id, back.title, back.status, back.audience) == (
        "reset-password", "Resetting your My Account password", "published", "all")
    assert back.updated == "2026-09-01"
    assert admin.get("/admin/articles/no-such/export.md").status_code == 404


def test_version_page_shows_that_version_sanitised_with_author(admin: TestClient) -> None:
    admin.post("/admin/articles", data={"article_id": "v-page", "title": "Version page", "status": "draft",
                                        "body": "## One\nFirst **text**. [x](javascript:alert(1))"})
    admin.post("/admin/articles/v-page", data={"title": "Version page", "body": "## Two\nSecond text."})
    page = admin.get("/admin/articles/v-page/versions/1").text
    assert "<strong>text</strong>" in page and "Second text" not in page and "root" in page
    assert 'href="javascript:' not in page
    assert "Second text" in admin.get("/admin/articles/v-page/versions/2").text
    assert admin.get("/admin/articles/v-page/versions/9").status_code == 404


def test_delete_and_restore_show_in_the_history(admin: TestClient) -> None:
    admin.post("/admin/articles/moving-home/delete")
    admin.post("/admin/articles/moving-home/restore")
    rows = re.findall(r"<td>(root)</td><td>(deleted|restored)</td>",
                      admin.get("/admin/articles/moving-home").text)
    assert rows == [("root", "restored"), ("root", "deleted")]
