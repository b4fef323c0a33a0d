"""A real conversation through the customer API: real Rasa, real NLU model, real knowledge base."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from core.db import Database
from crm import Message
from tests.e2e.conftest import Product
from web.security import identity_hash

pytestmark = pytest.mark.e2e


def say(client: httpx.Client, cid: str, auth: dict[str, str], text: str) -> dict:
    r = client.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def bot_texts(reply: dict) -> list[str]:
    return [m["text"] for m in reply["messages"] if m["sender"] == "bot"]


def test_known_customer_greeting_kb_answer_and_handoff(product: Product) -> None:
    with httpx.Client(base_url=product.base, timeout=30) as client:
        r = client.post("/api/conversations", json={"customer": {
            "external_id": "cust-1001", "identity_hash": identity_hash(product.secret, "cust-1001")}})
        assert r.status_code == 201, r.text
        cid, auth = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}

        greeting = say(client, cid, auth, "hi there")
        [text] = bot_texts(greeting)
        assert text.startswith("Hi Ana, welcome back.")
        assert "CS-10423" in text  # her open case: the bot never makes her repeat it

        answer = say(client, cid, auth, "how do I reset my password for My Account?")
        [kb] = [m for m in answer["messages"] if m["sender"] == "bot"]
        assert kb["meta"]["kind"] == "kb_answer"
        assert kb["meta"]["article_id"] == "reset-password"
        assert "password" in kb["text"].lower()
        assert kb["meta"]["url"] == "/kb/reset-password"

        handoff = say(client, cid, auth, "I want to talk to a real person")
        assert handoff["status"] == "queued"
        assert handoff["messages"][-1]["sender"] == "system"
        assert bot_texts(handoff) == []  # the bot stays silent once a human is coming

        after = say(client, cid, auth, "hello? anyone?")
        # Not silence (issue 14): one short acknowledgement saying where the message went and when.
        assert [(m["sender"], m["meta"].get("kind")) for m in after["messages"]] == [
            ("customer", None), ("system", "waiting_ack")]
        assert after["messages"][-1]["text"].startswith(("Added to case CS-", "Passed to "))

    db = Database(product.db_url())
    with db.session() as s:
        rows = s.scalars(select(Message).where(Message.conversation_id == cid).order_by(Message.id)).all()
        customer = [(m.intent, m.text) for m in rows if m.sender == "customer"]
        assert [i for i, _ in customer[:3]] == ["greet", "password_reset", "request_human"]
        assert customer[3][0] is not None  # parsed and recorded though the bot stays silent
        for m in rows:
            if m.sender == "customer":
                assert m.confidence is not None and 0.0 <= m.confidence <= 1.0, m.text
                assert "compound" in m.parse["sentiment"], m.text
        assert [m.sender for m in rows].count("bot") == 2
    db.dispose()


def test_out_of_scope_question_gets_an_honest_answer(product: Product) -> None:
    with httpx.Client(base_url=product.base, timeout=30) as client:
        r = client.post("/api/conversations", json={})
        cid, auth = r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}
        reply = say(client, cid, auth, "what's a good recipe for banana bread?")
        [text] = bot_texts(reply)
        assert reply["status"] == "pending"
        # Either the out-of-scope answer or "I didn't understand": never a confident wrong answer.
        assert text.startswith(("Sorry, that's not something I can help with.", "That's outside what I know about",
                                "Sorry, I didn't understand that.")), text
    db = Database(product.db_url())
    with db.session() as s:
        [asked] = s.scalars(select(Message).where(Message.conversation_id == cid, Message.sender == "customer"))
        assert asked.intent in ("out_of_scope", "nlu_fallback")
    db.dispose()


def test_rasa_endpoints_answer_the_real_rasa(product: Product) -> None:
    assert httpx.get(f"{product.rasa}/", timeout=5).status_code == 200
    assert httpx.get(f"{product.base}/health/dialogue", timeout=5).json() == {"rasa": "ok"}
