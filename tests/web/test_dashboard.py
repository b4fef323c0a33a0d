"""The dashboard pages and CSV exports over HTTP: roles, range errors, escaped customer text."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from core.db import Database
from tests.insights.dashboard_data import XSS, seed

RANGE = "start=2026-03-01&end=2026-03-02&granularity=day"


def login(client: TestClient, username: str) -> None:
    r = client.post("/login", data={"username": username, "password": "correct-horse"}, follow_redirects=False)
    assert r.status_code == 303


def test_dashboard_anonymous_is_sent_to_login_and_csv_is_refused(app_client: TestClient) -> None:
    r = app_client.get("/admin/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/dashboard"
    r = app_client.get("/console/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/console/dashboard"
    assert app_client.get("/console/dashboard/conversations.csv", follow_redirects=False).status_code == 303


def test_dashboard_agent_gets_the_read_only_view_but_not_the_admin_one(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        seed(s)
    login(app_client, "maria")
    assert app_client.get("/admin/dashboard").status_code == 403
    assert app_client.get("/admin/dashboard/conversations.csv").status_code == 403
    r = app_client.get(f"/console/dashboard?{RANGE}")
    assert r.status_code == 200
    assert "read-only view" in r.text and 'href="/admin/gaps"' not in r.text and "subnav" not in r.text
    assert r.text.count("<svg") == 11


def test_dashboard_admin_sees_every_chart_with_its_table_and_the_gaps_link(app_client: TestClient,
                                                                         db: Database) -> None:
    with db.session() as s:
        seed(s)
    login(app_client, "root")
    r = app_client.get(f"/admin/dashboard?{RANGE}")
    assert r.status_code == 200
    assert r.text.count('<svg role="img"') == 11 and r.text.count("<table") == 11
    assert 'href="/admin/gaps"' in r.text
    assert "<th scope=\"row\">2026-03-02</th><td>4</td>" in r.text  # conversations on day 2


def test_dashboard_escapes_customer_text_in_tables_and_charts(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        seed(s)
    login(app_client, "root")
    r = app_client.get(f"/admin/dashboard?{RANGE}")
    assert XSS not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_dashboard_csv_has_the_tables_numbers_and_an_attachment_name(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        seed(s)
    login(app_client, "maria")
    r = app_client.get(f"/console/dashboard/time-to-person.csv?{RANGE}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == (
        'attachment; filename="firstline-time-to-person-2026-03-01-2026-03-02.csv"')
    assert list(csv.reader(io.StringIO(r.text))) == [["period", "accepted", "median s", "p90 s"],
                                                     ["2026-03-01", "1", "120.0", "120.0"],
                                                     ["2026-03-02", "2", "180.0", "276.0"]]


def test_dashboard_csv_makes_formula_text_inert(app_client: TestClient, db: Database) -> None:
    from crm import Sender
    from tests.insights.dashboard_data import DAY1, at, chat, msg

    with db.session() as s:
        c = chat(s, at(DAY1, 9))
        msg(s, c, Sender.CUSTOMER, "=HYPERLINK(\"http://evil\")", at(DAY1, 9, 1))
        msg(s, c, Sender.BOT, "Sorry?", at(DAY1, 9, 2), meta={"kind": "fallback"})
    login(app_client, "root")
    rows = list(csv.reader(io.StringIO(app_client.get(f"/admin/dashboard/unanswered.csv?{RANGE}").text)))
    assert rows == [["question", "times"], ["'=HYPERLINK(\"http://evil\")", "1"]]


def test_dashboard_bad_range_is_a_clear_error(app_client: TestClient) -> None:
    login(app_client, "root")
    r = app_client.get("/admin/dashboard?start=2026-03-05&end=2026-03-01")
    assert r.status_code == 422 and "the end of the range must be after its start" in r.text
    r = app_client.get("/admin/dashboard?start=yesterday")
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text
    r = app_client.get("/admin/dashboard/csat.csv?start=2026-01-01&end=2026-03-01&granularity=hour")
    assert r.status_code == 422 and "at most 31 days" in r.json()["detail"]
    assert app_client.get(f"/admin/dashboard/nope.csv?{RANGE}").status_code == 404


def test_dashboard_defaults_to_the_last_30_days(app_client: TestClient) -> None:
    login(app_client, "root")
    r = app_client.get("/admin/dashboard")
    assert r.status_code == 200
    assert r.text.count('<th scope="row">20') >= 30  # one row per day in the time charts
