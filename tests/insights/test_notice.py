"""The surge notice: written and cleared by named admins, said once per conversation before the bot's answer."""

from __future__ import annotations

import pytest

from bot.loop import ConversationLoop
from core.db import Database
from core.settings import CoreSettings
from crm import EventRecord, Sender, store
from escalation import turns_from_messages
from insights.notice import NoticeBoard, NoticeError, active_notice, clear_notice, notice_history, set_notice
from tests import factories, fakes

LEEDS = "We know about the outage in Leeds; engineers are on it; we'll update you by 6pm."


def test_set_notice_replaces_the_active_one_and_every_change_is_audited(db: Database) -> None:
    with db.session() as s:
        set_notice(s, "  first\n notice ", "alice")
        set_notice(s, LEEDS, "bob")
    with db.session() as s:
        now = active_notice(s)
        assert now is not None and (now.text, now.created_by) == (LEEDS, "bob")
        older = notice_history(s)[1]
        assert (older.text, older.cleared_by) == ("first notice", "bob") and older.cleared_at is not None
        assert clear_notice(s, "alice") is True and clear_notice(s, "alice") is False
    with db.session() as s:
        assert active_notice(s) is None
        audit = [(e.data["by"], e.data["action"]) for e in s.query(EventRecord).order_by(EventRecord.id)]
        assert audit == [("alice", "set"), ("bob", "cleared"), ("bob", "set"), ("alice", "cleared")]


@pytest.mark.parametrize(("text", "error"), [(" \n\t ", "the notice is empty"),
                                             ("x" * 501, "the notice is longer than 500 characters (501)")])
def test_set_notice_refuses_empty_or_long_text_and_stores_nothing(db: Database, text: str, error: str) -> None:
    with db.session() as s, pytest.raises(NoticeError, match=error.replace("(", r"\(").replace(")", r"\)")):
        set_notice(s, text, "alice")
    with db.session() as s:
        assert notice_history(s) == []


def test_notice_reaches_the_customer_through_the_loop_before_the_first_answer_once(settings: CoreSettings,
                                                                                    db: Database) -> None:
    rt = fakes.runtime(settings, db)
    rt.extras["notice_board"] = NoticeBoard(ttl_seconds=0)
    loop = ConversationLoop(rt, rt.extras["escalation_gate"])
    with db.session() as s:
        cid = factories.conversation(s).id
        set_notice(s, LEEDS, "alice")
    pushed: list[str] = []
    rt.bus.on("message.created", lambda e: pushed.append(e.data["text"]))
    first = loop.handle(cid, "is my internet down?")
    assert [(m.sender, m.text) for m in first.messages] == [
        (Sender.CUSTOMER, "is my internet down?"), (Sender.BOT, LEEDS), (Sender.BOT, "Hello from the bot")]
    assert pushed == ["is my internet down?", LEEDS, "Hello from the bot"]  # live to the widget, in order
    second = loop.handle(cid, "ok thanks")
    assert [m.text for m in second.messages] == ["ok thanks", "Hello from the bot"]  # said once
    with db.session() as s:
        # The notice answers nobody's question: escalation does not count it as the bot's reply.
        turns = turns_from_messages(store.list_messages(s, cid))
        assert [t.bot_reply_kinds for t in turns] == [("reply",), ("reply",)]


def test_notice_is_said_even_when_the_first_message_goes_straight_to_a_person(settings: CoreSettings,
                                                                              db: Database) -> None:
    rt = fakes.runtime(settings, db)
    rt.extras["notice_board"] = NoticeBoard(ttl_seconds=0)
    loop = ConversationLoop(rt, rt.extras["escalation_gate"])
    with db.session() as s:
        cid = factories.conversation(s).id
        set_notice(s, LEEDS, "alice")
    result = loop.handle(cid, "I want a human please")
    assert [m.sender for m in result.messages] == [Sender.CUSTOMER, Sender.BOT, Sender.SYSTEM]
    assert result.messages[1].meta == {"kind": "surge_notice", "notice_id": 1}


def test_no_notice_means_the_loop_says_nothing_extra(settings: CoreSettings, db: Database) -> None:
    rt = fakes.runtime(settings, db)
    rt.extras["notice_board"] = NoticeBoard(ttl_seconds=0)
    loop = ConversationLoop(rt, rt.extras["escalation_gate"])
    with db.session() as s:
        cid = factories.conversation(s).id
    assert [m.text for m in loop.handle(cid, "hello").messages] == ["hello", "Hello from the bot"]
