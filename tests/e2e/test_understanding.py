"""Issue 13's three conversations through the customer API: real Rasa, NLU model, knowledge base, policy."""

from __future__ import annotations

import httpx
import pytest

from bot.recovery import OFFER
from core.db import Database
from crm import store
from tests.e2e.conftest import Product

pytestmark = pytest.mark.e2e


def start(client: httpx.Client) -> tuple[str, dict[str, str]]:
    r = client.post("/api/conversations", json={})
    assert r.status_code == 201, r.text
    return r.json()["conversation_id"], {"X-Conversation-Token": r.json()["token"]}


def say(client: httpx.Client, cid: str, auth: dict[str, str], text: str) -> dict:
    r = client.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def bot(reply: dict) -> list[dict]:
    return [m for m in reply["messages"] if m["sender"] == "bot"]


def test_an_email_address_as_the_first_message_is_not_a_request_for_a_person(product: Product) -> None:
    with httpx.Client(base_url=product.base, timeout=30) as client:
        cid, auth = start(client)
        first = say(client, cid, auth, "hi, my email is jordan.lee@example.com")
        assert first["status"] == "pending"
        assert [m["sender"] for m in first["messages"]] == ["customer", "bot"]  # a reply, no handoff notice
        then = say(client, cid, auth, "my wifi is really slow in the evenings")
        assert then["status"] == "pending"
        assert [m["meta"]["kind"] for m in bot(then)] == ["kb_answer"]


def test_a_shouted_in_scope_follow_up_is_answered_and_the_anger_noticed(product: Product) -> None:
    with httpx.Client(base_url=product.base, timeout=30) as client:
        cid, auth = start(client)
        say(client, cid, auth, "the thingy on the box is doing the flashy thing")
        say(client, cid, auth, "no, the little light on the modem, it keeps flashing orange")
        shouted = say(client, cid, auth, "ORANGE LIGHT. FLASHING. WHAT DOES IT MEAN")
        answers = [m for m in bot(shouted) if m["meta"].get("kind") == "kb_answer"]
        assert [m["meta"]["article_id"] for m in answers] == ["restart-router"]
        assert "orange" in answers[0]["text"].lower()
        assert not any("not something I can help with" in m["text"] for m in bot(shouted))
        # ...and the anger is noticed: a second dissatisfied turn in a row brings a person after the answer.
        assert shouted["status"] in ("queued", "open")
    db = Database(product.db_url())
    with db.session() as s:
        reason = store.get_conversation(s, cid).handoff_reason or ""
    assert reason.startswith("Customer seems dissatisfied (")


def test_a_clear_question_after_two_unreadable_messages_is_answered_with_a_person_offered(product: Product) -> None:
    with httpx.Client(base_url=product.base, timeout=30) as client:
        cid, auth = start(client)
        assert say(client, cid, auth, "<div><script>alert(1)</script><b>ÿÿ</b></div>")["status"] == "pending"
        assert say(client, cid, auth, "/restart")["status"] == "pending"
        clear = say(client, cid, auth, "how do I restart my router?")
        assert clear["status"] == "pending"
        [answer] = bot(clear)
        assert (answer["meta"]["kind"], answer["meta"]["article_id"]) == ("kb_answer", "restart-router")
        assert "switch it off at the wall" in answer["text"]  # the "How to restart" passage, not "How often"
        assert answer["text"].endswith(OFFER) and "Talk to a person" in answer["meta"]["options"]


def test_two_misunderstandings_in_a_row_still_reach_a_person(product: Product) -> None:
    with httpx.Client(base_url=product.base, timeout=30) as client:
        cid, auth = start(client)
        assert say(client, cid, auth, "asdf qwerty zxcv")["status"] == "pending"
        assert say(client, cid, auth, "zxcv bnm asdf")["status"] in ("queued", "open")


def test_a_calm_fault_report_is_answered_not_handed_off_for_its_wording(product: Product) -> None:
    with httpx.Client(base_url=product.base, timeout=30) as client:
        cid, auth = start(client)
        # VADER's own lexicon scored "dead" -0.65 and this was handed off at the first message.
        first = say(client, cid, auth, "wifi dead upstairs")
        assert first["status"] == "pending" and bot(first)


def test_shouted_small_talk_after_the_bot_misses_the_point_reaches_a_person(product: Product) -> None:
    with httpx.Client(base_url=product.base, timeout=30) as client:
        cid, auth = start(client)
        assert say(client, cid, auth, "my router light is red")["status"] == "pending"
        say(client, cid, auth, "done that ALREADY")
        last = say(client, cid, auth, "ARE YOU EVEN LISTENING")
        assert last["status"] in ("queued", "open")
    db = Database(product.db_url())
    with db.session() as s:
        reason = store.get_conversation(s, cid).handoff_reason or ""
    # Both turns read as small talk (affirm, bot_challenge), which the estimate used to skip.
    assert reason.startswith("Customer seems dissatisfied (") and reason.endswith(("'ARE YOU EVEN LISTENING'",
                                                                                   "'done that ALREADY'"))
