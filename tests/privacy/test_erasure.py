"""Export and erasure of one customer across the app database, Rasa's tracker store, drafted articles
and NLU examples (the real Rasa tracker is covered end to end in tests/e2e/test_privacy.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from core.db import Database
from core.settings import CoreSettings
from crm import Customer, Erasure, EventRecord, Handoff, NotFound, Sender, store
from insights import nlu_yaml
from knowledge_base import ArticleRepository
from privacy import erase_everywhere, export, tracker_db_url, tracker_rows
from tests import factories

NAME, EMAIL, QUESTION = "Jordan Lee", "jordan.lee@example.com", "can I pay my bill with bitcoin tokens"


def everything(db: Database) -> str:
    """Every row of every table, as one text to search."""
    out = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            out += [repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(out)


def make_tracker(settings: CoreSettings, said: dict[str, str]) -> Path:
    """A tracker database with Rasa 3.6's SQLTrackerStore schema, holding events for these senders."""
    path = settings.data_dir / "rasa" / "tracker.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name "
                     "VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
                     "data TEXT)")
        for sid, said_text in said.items():
            conn.execute("INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', ?)",
                         (sid, f'{{"text": "{said_text}"}}'))
    return path


@pytest.fixture
def jordan(db: Database) -> tuple[str, list[str], str]:
    """Jordan (two conversations, a case, a rating, a handoff, events) and Ana, who must stay."""
    with db.session() as s:
        c = factories.customer(s, external_id="cust-77", name=NAME, email=EMAIL)
        store.add_identity(s, c, "email", EMAIL, verified=True)
        convs = []
        for _ in range(2):
            conv = factories.conversation(s, customer=c)
            store.add_message(s, conv, Sender.CUSTOMER, QUESTION)
            store.add_message(s, conv, Sender.BOT, "Sorry, I don't know that one.", meta={"kind": "no_answer"})
            store.add_message(s, conv, Sender.NOTE, f"{NAME} sounded upset")
            s.add(Handoff(conversation_id=conv.id, trigger="asked_for_human", reason=f"{NAME} asked"))
            s.add(EventRecord(name="message.created", conversation_id=conv.id, data={"text": QUESTION}))
            convs.append(conv)
        convs[0].rating = 2
        factories.case(s, c, number="CS-7701", title=f"Refund for {NAME}", conversation_id=convs[0].id)
        ana = factories.customer(s, external_id="cust-1", name="Ana Silva")
        other = factories.conversation(s, customer=ana)
        store.add_message(s, other, Sender.CUSTOMER, "my router is blinking")
        ArticleRepository().create(s, {"id": "draft-bitcoin", "title": QUESTION, "tags": ["from-gaps"],
                                       "audience": "all", "status": "draft",
                                       "body": f"## Answer\nWrite it.\n\n## Customers asked\n- {QUESTION}\n"
                                               "- my router is blinking\n"}, "root")
        return c.id, [cv.id for cv in convs], other.id


def test_export_holds_profile_identities_conversations_messages_cases_and_ratings(
        db: Database, jordan: tuple[str, list[str], str]) -> None:
    cid, convs, _ = jordan
    data = export(db, cid)
    assert data["profile"]["name"] == NAME and data["profile"]["email"] == EMAIL
    assert [i["value"] for i in data["identities"]] == [EMAIL]
    assert [c["id"] for c in data["conversations"]] == convs
    assert [m["sender"] for m in data["conversations"][0]["messages"]] == ["customer", "bot", "note"]
    assert [k["number"] for k in data["cases"]] == ["CS-7701"]
    assert data["ratings"] == [{"conversation_id": convs[0], "rating": 2}]
    with pytest.raises(NotFound):
        export(db, "no-such-customer")


def test_erase_leaves_nothing_of_the_customer_anywhere(db: Database, settings: CoreSettings, tmp_path: Path,
                                                       jordan: tuple[str, list[str], str]) -> None:
    cid, convs, other = jordan
    tracker = make_tracker(settings, {convs[0]: QUESTION, convs[1]: f"I am {NAME}", other: "my router is blinking"})
    nlu_dir = tmp_path / "nlu"
    nlu_dir.mkdir()
    (nlu_dir / "from_gaps_billing_question.yml").write_text(nlu_yaml("billing_question", [QUESTION, "pay my bill"]))
    changed: list[str] = []

    report = erase_everywhere(settings, db, cid, "root", nlu_dir=nlu_dir, article_changed=changed.append)

    assert report.counts["tracker_events"] == 2 and report.counts["nlu_examples"] == 1
    assert report.counts["conversations"] == 2 and report.counts["messages"] == 6 and report.counts["cases"] == 1
    assert changed == ["draft-bitcoin"]
    dump = everything(db)
    for needle in (NAME, EMAIL, QUESTION, "cust-77", "CS-7701", *convs):
        assert needle not in dump, needle
    assert "Ana Silva" in dump and "my router is blinking" in dump  # nobody else's data went
    assert tracker_rows(tracker_db_url(settings), convs) == 0 and tracker_rows(tracker_db_url(settings), [other]) == 1
    tracker_text = "\n".join(map(repr, sqlite3.connect(tracker).execute("SELECT * FROM events")))
    assert QUESTION not in tracker_text and NAME not in tracker_text and "my router is blinking" in tracker_text
    assert QUESTION not in (nlu_dir / "from_gaps_billing_question.yml").read_text()
    with db.session() as s:
        audit = s.query(Erasure).one()
        assert (audit.customer_id, audit.erased_by) == (cid, "root") and audit.erased_at is not None
        assert NAME not in repr(audit.counts) and EMAIL not in repr(audit.counts)
    with pytest.raises(NotFound):
        erase_everywhere(settings, db, cid, "root", nlu_dir=nlu_dir)


def test_erase_tells_every_worker_on_the_bus_after_the_database_forgot(
        db: Database, settings: CoreSettings, tmp_path: Path, jordan: tuple[str, list[str], str]) -> None:
    from core.events import EventBus, events

    cid, _, _ = jordan
    bus, heard = EventBus(), []

    def hear(e) -> None:  # type: ignore[no-untyped-def]
        with db.session() as s:  # published once the customer is gone from the database
            heard.append((e.name, e.data, s.get(Customer, cid) is None))

    bus.on(None, hear)
    erase_everywhere(settings, db, cid, "root", nlu_dir=tmp_path, bus=bus)
    assert heard == [(events.ARTICLE_CHANGED, {"article_id": "draft-bitcoin"}, True),
                     (events.CUSTOMER_ERASED, {"customer_id": cid, "texts": [QUESTION, QUESTION]}, True)]


def test_erase_reaches_every_table_that_points_at_the_customer(db: Database, settings: CoreSettings, tmp_path: Path,
                                                               jordan: tuple[str, list[str], str]) -> None:
    """Verification challenges, follow-up attempts, channel posts, read marks, assist suggestions and surge
    samples belong to other packages; erasure finds them through the foreign keys (and the samples by text)."""
    from datetime import timedelta

    from channels.models import ChannelPost
    from core.db import utcnow
    from crm import (
        AssistSuggestion,
        Case,
        ConversationRead,
        FollowUpAttempt,
        VerificationAttempt,
        VerificationChallenge,
    )
    from insights.models import SurgeAlert

    cid, convs, other = jordan
    with db.session() as s:
        maria = factories.agent(s, "maria")
        case = s.query(Case).filter_by(number="CS-7701").one()
        s.add(VerificationChallenge(id="ch-1", conversation_id=convs[0], visitor_id=cid, claim_kind="email",
                                    claim_key="k" * 64, customer_id=cid, expires_at=utcnow() + timedelta(minutes=10)))
        s.flush()
        s.add(VerificationAttempt(challenge_id="ch-1", claim_key="k" * 64, route="email", ok=False))
        s.add(FollowUpAttempt(case_id=case.id, kind="customer", channel="email", target=EMAIL, outcome="sent",
                              text=f"Hello {NAME}"))
        s.add(ChannelPost(channel="public", external_id="post-77", conversation_id=convs[1], author="@jordan_lee"))
        s.add(ConversationRead(agent_id=maria.id, conversation_id=convs[0]))
        s.add(AssistSuggestion(conversation_id=convs[0], agent_id=maria.id, source="kb", text=f"Dear {NAME}"))
        s.add(SurgeAlert(summary="billing_question: 12 in 10 min", intents=[
            {"intent": "billing_question", "samples": [QUESTION, "my router is blinking"]}]))

    report = erase_everywhere(settings, db, cid, "root", nlu_dir=tmp_path)

    assert report.counts["surge_samples"] == 1
    for table in ("verification_challenges", "verification_attempts", "followup_attempts", "channel_posts",
                  "conversation_reads", "assist_suggestions"):
        assert report.counts[table] == 1, table
    dump = everything(db)
    for needle in (NAME, EMAIL, QUESTION, "@jordan_lee", "post-77", *convs):
        assert needle not in dump, needle
    assert "my router is blinking" in dump  # Ana's sample stays
