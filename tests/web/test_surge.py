"""Surge banner data, the banner on staff pages, and the admin page that writes and clears the notice."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from core.db import Database
from core.events import EventBus
from insights.notice import notice_history
from insights.surge import Alert, Driver
from insights.surge_settings import SurgeSettings
from insights.surge_watch import SurgeWatch
from tests.web.test_console import login

HOSTILE = 'Outage in Leeds <script>alert("x")</script> <b>fixed by 6pm</b>'


def with_alert(client: TestClient, db: Database) -> None:
    s = SurgeSettings(_env_file=None, tick_seconds=0)  # type: ignore[call-arg]
    watch = SurgeWatch(db, EventBus(), s)
    alert = Alert("a1", datetime(2026, 12, 3, 18, 0, tzinfo=UTC),
                  {"outage": Driver("outage", "conversations", 42, 3.0, 10.0, ["no internet <i>in Leeds</i>"])}, 10)
    watch.detector.restore(alert)
    client.app.state.runtime.extras["surge_watch"] = watch  # type: ignore[attr-defined]


def test_admin_writes_a_notice_that_is_stored_as_text_and_shown_escaped(app_client: TestClient, db: Database) -> None:
    login(app_client, "root")
    seen: list[dict] = []
    app_client.app.state.runtime.bus.on("notice.changed", lambda e: seen.append(e.data))  # type: ignore[attr-defined]
    r = app_client.post("/admin/surge/notice", data={"text": HOSTILE}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/admin/surge")
    assert seen == [{"action": "set", "by": "root"}]
    assert app_client.get("/api/surge").json()["notice"]["text"] == HOSTILE
    page = app_client.get("/admin/surge").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    login(app_client, "maria")
    console = app_client.get("/console").text
    assert 'id="surge-banner"' in console and "&lt;b&gt;fixed by 6pm&lt;/b&gt;" in console and "<b>fixed" not in console


def test_admin_clears_the_notice_and_history_says_who_and_when(app_client: TestClient, db: Database) -> None:
    login(app_client, "root")
    app_client.post("/admin/surge/notice", data={"text": "Outage in Leeds"})
    app_client.post("/admin/surge/notice/clear")
    assert app_client.get("/api/surge").json() == {"alert": None, "notice": None}
    with db.session() as s:
        [n] = notice_history(s)
        assert (n.created_by, n.cleared_by) == ("root", "root") and n.cleared_at is not None
    assert "root ·" in app_client.get("/admin/surge").text


def test_empty_notice_is_refused_with_the_form_and_stores_nothing(app_client: TestClient, db: Database) -> None:
    login(app_client, "root")
    r = app_client.post("/admin/surge/notice", data={"text": "   "})
    assert r.status_code == 422 and "The notice was not saved: the notice is empty." in r.text
    r = app_client.post("/admin/surge/notice", data={"text": "x" * 600})
    assert r.status_code == 422 and "longer than 500 characters (600)" in r.text
    with db.session() as s:
        assert notice_history(s) == []


def test_agents_cannot_write_or_clear_the_notice(app_client: TestClient) -> None:
    login(app_client, "maria")
    assert app_client.post("/admin/surge/notice", data={"text": "hi"}).status_code == 403
    assert app_client.post("/admin/surge/notice/clear").status_code == 403
    assert app_client.get("/admin/surge").status_code == 403
    assert app_client.get("/api/surge").status_code == 200  # the banner's data is for every agent
    app_client.post("/logout")
    assert app_client.get("/api/surge").status_code == 401


def test_running_surge_shows_on_the_console_and_admin_pages_on_load(app_client: TestClient, db: Database) -> None:
    with_alert(app_client, db)
    login(app_client, "maria")
    data = app_client.get("/api/surge").json()
    assert data["alert"]["summary"] == "outage: 42 conversations in 10 min, baseline 3"
    console = app_client.get("/console").text
    assert "outage: 42 conversations in 10 min, baseline 3" in console
    assert "no internet &lt;i&gt;in Leeds&lt;/i&gt;" in console and "No notice for customers yet." in console
    assert 'href="/admin/surge"' not in console  # only admins are offered to write one
    login(app_client, "root")
    admin = app_client.get("/admin").text
    assert "outage: 42 conversations in 10 min, baseline 3" in admin and '<a href="/admin/surge">Write one</a>' in admin
