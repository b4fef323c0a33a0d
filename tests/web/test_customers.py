"""The console's promise control, the customer page and search, and the notices a returning customer sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.db import Database
from core.events import Event, events
from crm import Case, ConversationStatus, Customer, FollowUpAttempt, Sender, store
from tests import factories
from tests.web.conftest import start
from tests.web.test_console import login
from web.security import identity_hash

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def owned_conversation(db: Database, agent: str = "maria", **customer: object) -> tuple[str, str]:
    """A conversation that agent has accepted; returns (conversation id, customer id)."""
    with db.session() as s:
        c = factories.customer(s, **({"name": "Ana Silva", "email": "ana@example.com"} | customer))
        conv = factories.conversation(s, customer=c)
        store.add_message(s, conv, Sender.CUSTOMER, "my wifi drops every evening at 8pm")
        a = store.agent_by_username(s, agent)
        assert a is not None
        store.set_status(s, conv.id, ConversationStatus.OPEN, assigned_agent_id=a.id)
        return conv.id, c.id


def future(hours: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(tzinfo=None, microsecond=0).isoformat()


def promised(app_client: TestClient) -> list[Event]:
    seen: list[Event] = []
    app_client.app.state.runtime.bus.on(events.CASE_PROMISED, seen.append)  # type: ignore[attr-defined]
    return seen


def test_promise_from_console_becomes_owned_case_and_tells_customer(app_client: TestClient, db: Database) -> None:
    cid, _ = owned_conversation(db)
    seen = promised(app_client)
    login(app_client, "maria")
    due = future()
    r = app_client.post(f"/api/console/conversations/{cid}/promise",
                        json={"what": "I'll check the street cabinet and tell you what we found", "due": due,
                              "contact": "email"})
    assert r.status_code == 201, r.text
    assert r.json()["case_number"] == "CS-10001"
    with db.session() as s:
        case = s.scalars(select(Case)).one()
        maria = store.agent_by_username(s, "maria")
        assert maria is not None
        assert (case.assigned_agent_id, case.promise_kind, case.contact_method, case.promise_version) == (
            maria.id, "agent", "email", 1)
        assert case.promised_by == datetime.fromisoformat(due).replace(tzinfo=UTC)  # Maria's zone is UTC
        said = [m.text for m in store.list_messages(s, cid) if m.sender == Sender.SYSTEM][-1]
    assert said.startswith("Maria Lopez will get back to you by ")
    assert said.endswith(": I'll check the street cabinet and tell you what we found")
    assert [e.data["case_number"] for e in seen] == ["CS-10001"]
    # A second promise on the same conversation updates its case: a new version for the scheduler.
    r = app_client.post(f"/api/console/conversations/{cid}/promise",
                        json={"what": "Engineer visit 8-12", "due": future(50), "contact": "widget",
                              "kind": "technician"})
    assert r.status_code == 201 and r.json()["case_number"] == "CS-10001"
    assert [e.data["version"] for e in seen] == [1, 2]


@pytest.mark.parametrize(("body", "message"), [
    ({"what": "   ", "due": "FUTURE"}, "say what you promised"),
    ({"what": "x", "due": "2001-01-01T10:00"}, "the due time must be in the future"),
    ({"what": "x", "due": "next wednesday"}, "due must be a date and time such as 2026-12-09T17:00"),
    ({"what": "x", "due": "FUTURE", "contact": "pigeon"}, "reach the customer by widget or email"),
    ({"what": "x", "due": "FUTURE", "kind": "vague"}, "kind must be one of after_hours, agent, technician"),
])
def test_promise_with_bad_input_is_refused_and_stores_nothing(app_client: TestClient, db: Database,
                                                              body: dict[str, str], message: str) -> None:
    cid, _ = owned_conversation(db)
    login(app_client, "maria")
    body = {k: (future() if v == "FUTURE" else v) for k, v in body.items()}
    r = app_client.post(f"/api/console/conversations/{cid}/promise", json=body)
    assert (r.status_code, r.json()["detail"]) == (422, message)
    with db.session() as s:
        assert s.scalars(select(Case)).all() == []


def test_promise_by_email_needs_an_address_and_a_too_long_promise_is_refused(app_client: TestClient,
                                                                              db: Database) -> None:
    cid, _ = owned_conversation(db, email=None)
    login(app_client, "maria")
    r = app_client.post(f"/api/console/conversations/{cid}/promise",
                        json={"what": "x", "due": future(), "contact": "email"})
    assert (r.status_code, r.json()["detail"]) == (
        422, "there is no email address on file for this customer: choose the widget")
    assert app_client.post(f"/api/console/conversations/{cid}/promise",
                           json={"what": "x" * 501, "due": future()}).status_code == 422


def test_promise_on_someone_elses_conversation_is_not_found(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        factories.agent(s, "tom", display_name="Tom Okafor", team="Technical")  # not Maria's team
    cid, _ = owned_conversation(db)
    login(app_client, "tom")
    r = app_client.post(f"/api/console/conversations/{cid}/promise", json={"what": "x", "due": future()})
    assert r.status_code == 404


def test_promise_on_a_team_mates_conversation_needs_it_accepted_first(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        factories.agent(s, "tom", display_name="Tom Okafor")  # Maria's team: he may read her chats, not act on them
    cid, _ = owned_conversation(db)
    login(app_client, "tom")
    r = app_client.post(f"/api/console/conversations/{cid}/promise", json={"what": "x", "due": future()})
    assert (r.status_code, r.json()["detail"]) == (409, "accept the conversation first")


def test_customer_page_is_for_agents_who_may_see_the_customer_and_for_admins(app_client: TestClient,
                                                                             db: Database) -> None:
    with db.session() as s:
        factories.agent(s, "tom", display_name="Tom Okafor")
    _, customer_id = owned_conversation(db)
    assert app_client.get(f"/console/customers/{customer_id}", follow_redirects=False).status_code == 303  # login
    login(app_client, "tom")
    assert app_client.get(f"/console/customers/{customer_id}").status_code == 404
    assert "Ana Silva" not in app_client.get("/console/customers", params={"q": "ana"}).text
    login(app_client, "maria")
    assert "Ana Silva" in app_client.get(f"/console/customers/{customer_id}").text
    login(app_client, "root")
    assert "Ana Silva" in app_client.get(f"/console/customers/{customer_id}").text
    assert app_client.get("/console/customers/nope").status_code == 404


def test_customer_search_finds_by_name_email_case_number_and_chat_text(app_client: TestClient, db: Database) -> None:
    _, customer_id = owned_conversation(db)
    with db.session() as s:
        c = s.get(Customer, customer_id)
        assert c is not None
        factories.case(s, c, number="CS-10442")
        factories.customer(s, name="Ben Other", email="ben@example.com")
    login(app_client, "root")
    for q in ("ana sil", "ANA@EXAMPLE", "cs-10442", "every evening at 8pm"):
        page = app_client.get("/console/customers", params={"q": q}).text
        assert f'href="/console/customers/{customer_id}"' in page, q
        assert "Ben Other" not in page, q
    assert "No customer you can see matches" in app_client.get("/console/customers", params={"q": "zzz"}).text
    assert app_client.get("/console/customers", params={"q": "x" * 201}).status_code == 422


def test_customer_page_timeline_holds_transcripts_notes_cases_attempts_and_ratings_inert(
        app_client: TestClient, db: Database) -> None:
    cid, customer_id = owned_conversation(db, name=HOSTILE)
    with db.session() as s:
        conv = store.get_conversation(s, cid)
        store.add_message(s, conv, Sender.NOTE, f"internal: {HOSTILE}", meta={"agent_name": "Maria Lopez"})
        conv.rating = 4
        earlier = factories.conversation(s, customer=conv.customer)
        store.add_message(s, earlier, Sender.CUSTOMER, "hello from my first visit")
        earlier.created_at = datetime(2026, 1, 2, tzinfo=UTC)
    login(app_client, "maria")
    assert app_client.post(f"/api/console/conversations/{cid}/promise",
                           json={"what": f"Update {HOSTILE}", "due": future()}).status_code == 201
    page = app_client.get(f"/console/customers/{customer_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert page.index("hello from my first visit") < page.index("my wifi drops every evening")  # oldest first
    assert "Maria Lopez (internal note)" in page and "rated 4/5" in page
    assert "Case CS-10001" in page and "owner Maria Lopez" in page and "reach by widget" in page


def test_update_on_case_reaches_returning_customer_first_once(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        c = factories.customer(s, name="Ana Silva", email="ana@example.com", external_id="cust-1001")
        customer_id = c.id
    cid, token = start(app_client, customer={"external_id": "cust-1001",
                                             "identity_hash": identity_hash("test-secret", "cust-1001")})
    with db.session() as s:
        store.set_status(s, cid, ConversationStatus.OPEN,
                         assigned_agent_id=store.agent_by_username(s, "maria").id)  # type: ignore[union-attr]
    login(app_client, "maria")
    assert app_client.post(f"/api/console/conversations/{cid}/promise",
                           json={"what": "I'll update you", "due": future(), "contact": "email"}).status_code == 201
    r = app_client.post(f"/console/customers/{customer_id}/cases/CS-10001/update",
                        data={"text": "The cabinet was repaired this morning."}, follow_redirects=False)
    assert r.status_code == 303
    with db.session() as s:
        rows = [(a.kind, a.channel, a.outcome) for a in s.scalars(select(FollowUpAttempt))]
    assert rows == [("customer_update", "widget", "pending"), ("customer_update", "email", "queued")]
    expected = "About case CS-10001: Maria has an update for you: The cabinet was repaired this morning."
    notices = app_client.post(f"/api/conversations/{cid}/notices", headers=token).json()["notices"]
    assert notices == [{"case_number": "CS-10001", "text": expected, "kind": "customer_update"}]
    assert app_client.post(f"/api/conversations/{cid}/notices", headers=token).json()["notices"] == []  # shown once
    assert app_client.post(f"/api/conversations/{cid}/notices").status_code == 404  # no token
    forged = app_client.post("/api/notices", json={"external_id": "cust-1001", "identity_hash": "0" * 64})
    assert forged.status_code == 403


def test_resolving_the_chat_keeps_a_promise_for_later_open_until_an_update_closes_it(app_client: TestClient,
                                                                                    db: Database) -> None:
    cid, customer_id = owned_conversation(db)
    login(app_client, "maria")
    assert app_client.post(f"/api/console/conversations/{cid}/promise",
                           json={"what": "Engineer visit Tuesday 8-12", "due": future(), "kind": "technician"}
                           ).status_code == 201
    assert app_client.post(f"/api/console/conversations/{cid}/resolve").status_code == 200
    with db.session() as s:
        assert s.scalars(select(Case)).one().status == "open"
    r = app_client.post(f"/console/customers/{customer_id}/cases/CS-10001/update",
                        data={"text": "The engineer is booked.", "close": "true"}, follow_redirects=False)
    assert r.status_code == 303
    with db.session() as s:
        assert s.scalars(select(Case)).one().status == "closed"
    empty = app_client.post(f"/console/customers/{customer_id}/cases/CS-10001/update", data={"text": "  "},
                            follow_redirects=False)
    assert empty.headers["location"].endswith("?error=write%20the%20update%20for%20the%20customer")
