from __future__ import annotations

import pytest

from bot.dialogue import BotReply
from bot.loop import DIALOGUE_DOWN_TEXT, ConversationLoop, InvalidMessage, clean_text
from core.db import Database
from core.events import events
from core.settings import CoreSettings
from crm import ConversationStatus, store
from tests import factories, fakes


def make_loop(settings: CoreSettings, db: Database, **kw: object) -> tuple[ConversationLoop, fakes.FakeDialogue, str]:
    rt = fakes.runtime(settings, db, **kw)  # type: ignore[arg-type]
    with db.session() as s:
        cid = factories.conversation(s).id
    return ConversationLoop(rt, rt.extras["escalation_gate"]), rt.dialogue, cid


def senders_and_texts(db: Database, cid: str) -> list[tuple[str, str]]:
    with db.session() as s:
        return [(m.sender, m.text) for m in store.list_messages(s, cid)]


def test_handle_records_customer_message_and_bot_replies(settings: CoreSettings, db: Database) -> None:
    loop, dialogue, cid = make_loop(settings, db, dialogue=fakes.FakeDialogue(
        [BotReply("Sorry to hear that.", meta={"kind": "kb_answer", "article_id": "outage-check"})]))
    result = loop.handle(cid, "my internet is down")
    assert [(m.sender, m.text) for m in result.messages] == [("customer", "my internet is down"),
                                                             ("bot", "Sorry to hear that.")]
    assert dialogue.sent == [(cid, "my internet is down")]
    with db.session() as s:
        customer_msg, bot_msg = store.list_messages(s, cid)
        assert (customer_msg.intent, customer_msg.confidence) == ("outage", 0.9)
        assert bot_msg.meta == {"kind": "kb_answer", "article_id": "outage-check"}


def test_handle_sends_rasa_its_own_parse_of_the_message(settings: CoreSettings, db: Database) -> None:
    loop, dialogue, cid = make_loop(settings, db)
    result = loop.handle(cid, "my internet is down")
    (meta,) = dialogue.metadata
    assert meta["message_id"] == result.messages[0].id
    # What Rasa would otherwise ask /nlu for (bot/rasa_site takes it instead)
    assert meta["firstline_parse"] == loop.rt.nlu.parse("my internet is down")
    assert meta["firstline_parse"]["text"] == "my internet is down"


def test_handle_publishes_message_created_for_each_recorded_message(settings: CoreSettings, db: Database) -> None:
    loop, _, cid = make_loop(settings, db)
    seen: list[tuple[str, str]] = []
    loop.rt.bus.on(events.MESSAGE_CREATED, lambda e: seen.append((e.data["sender"], e.data["text"])))
    loop.handle(cid, "hello")
    assert seen == [("customer", "hello"), ("bot", "Hello from the bot")]


def test_handle_when_human_owns_conversation_does_not_call_the_bot(settings: CoreSettings, db: Database) -> None:
    loop, dialogue, cid = make_loop(settings, db)
    with db.session() as s:
        store.set_status(s, cid, ConversationStatus.OPEN)
    result = loop.handle(cid, "are you still there?")
    assert dialogue.sent == []
    assert [(m.sender, m.text) for m in result.messages] == [("customer", "are you still there?")]
    assert result.status == "open"


def test_handle_when_rasa_is_down_tells_customer_and_hands_off(settings: CoreSettings, db: Database) -> None:
    loop, _, cid = make_loop(settings, db, dialogue=fakes.FakeDialogue(fail=True))
    failures: list[str] = []
    loop.rt.bus.on(events.DIALOGUE_FAILED, lambda e: failures.append(e.data["error"]))
    result = loop.handle(cid, "my bill is wrong")
    assert senders_and_texts(db, cid) == [
        ("customer", "my bill is wrong"),
        ("system", DIALOGUE_DOWN_TEXT),
        ("system", "A person will join you shortly."),
    ]
    assert result.status == ConversationStatus.QUEUED
    assert failures == ["Rasa unreachable: ConnectError"]
    assert loop.gate.handoffs == [(cid, "dialogue_unavailable")]  # type: ignore[attr-defined]


def test_handle_asked_for_human_hands_off_before_rasa(settings: CoreSettings, db: Database) -> None:
    loop, dialogue, cid = make_loop(settings, db)
    result = loop.handle(cid, "I want a human please")
    assert dialogue.sent == []
    assert result.status == ConversationStatus.QUEUED
    assert [m.sender for m in result.messages] == ["customer", "system"]


def test_handle_retry_with_same_client_id_is_not_answered_twice(settings: CoreSettings, db: Database) -> None:
    loop, dialogue, cid = make_loop(settings, db)
    first = loop.handle(cid, "hello", client_id="c-1")
    again = loop.handle(cid, "hello", client_id="c-1")
    assert again.duplicate
    assert [m.id for m in again.messages] == [m.id for m in first.messages]
    assert len(dialogue.sent) == 1


def test_handle_resolved_conversation_goes_back_to_the_bot(settings: CoreSettings, db: Database) -> None:
    loop, dialogue, cid = make_loop(settings, db)
    with db.session() as s:
        store.set_status(s, cid, ConversationStatus.RESOLVED)
    result = loop.handle(cid, "hello again")
    assert result.status == ConversationStatus.PENDING
    assert dialogue.sent == [(cid, "hello again")]


def test_handle_unknown_conversation_raises_lookup_error(settings: CoreSettings, db: Database) -> None:
    loop, _, _ = make_loop(settings, db)
    with pytest.raises(LookupError):
        loop.handle("nope", "hello")


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "empty"), ("   \n\t ", "empty"), ("x" * 2001, "too_long"), (None, "not_text"), (42, "not_text"),
     ("\x00\x01\x02", "empty")],
)
def test_clean_text_refuses_bad_input(text: object, code: str) -> None:
    with pytest.raises(InvalidMessage) as err:
        clean_text(text, 2000)
    assert err.value.code == code


def test_clean_text_keeps_html_verbatim_and_strips_control_characters() -> None:
    assert clean_text("  <script>alert(1)</script>\x07 ", 2000) == "<script>alert(1)</script>"
    assert clean_text("line one\nline two", 2000) == "line one\nline two"


def test_handle_bad_input_stores_nothing(settings: CoreSettings, db: Database) -> None:
    loop, dialogue, cid = make_loop(settings, db)
    with pytest.raises(InvalidMessage):
        loop.handle(cid, "x" * 5000)
    assert senders_and_texts(db, cid) == []
    assert dialogue.sent == []


def test_handle_records_the_message_even_when_the_nlu_fails(settings: CoreSettings, db: Database) -> None:
    loop, dialogue, cid = make_loop(settings, db)

    def broken(text: str) -> dict:
        raise RuntimeError("model file damaged")

    loop.rt.nlu.parse = broken  # type: ignore[method-assign]
    result = loop.handle(cid, "my internet is down")
    assert [(m.sender, m.text) for m in result.messages][0] == ("customer", "my internet is down")
    assert dialogue.sent == [(cid, "my internet is down")]  # the dialogue still answers
    with db.session() as s:
        first = store.list_messages(s, cid)[0]
        assert (first.text, first.intent, first.parse["error"]) == ("my internet is down", None, "nlu_failed")


def test_handle_when_rasa_answers_nothing_tells_customer_and_hands_off(settings: CoreSettings, db: Database) -> None:
    loop, _, cid = make_loop(settings, db, dialogue=fakes.FakeDialogue([]))
    failures: list[str] = []
    loop.rt.bus.on(events.DIALOGUE_FAILED, lambda e: failures.append(e.data["error"]))
    result = loop.handle(cid, "how do I pay my bill")
    assert failures == ["Rasa answered nothing (an error inside the dialogue server; see its log)"]
    assert DIALOGUE_DOWN_TEXT in [m.text for m in result.messages]
    assert loop.rt.extras["escalation_gate"].handoffs == [(cid, "dialogue_unavailable")]


def test_handle_when_a_handoff_action_answers_nothing_no_second_message(settings: CoreSettings, db: Database) -> None:
    class HandsOff(fakes.FakeDialogue):
        def send(self, sender_id, text, metadata=None):  # type: ignore[no-untyped-def]
            with db.session() as s:  # as action_handoff does through the gate, inside Rasa's turn
                store.set_status(s, sender_id, ConversationStatus.QUEUED)
            return []

    loop, _, cid = make_loop(settings, db, dialogue=HandsOff())
    result = loop.handle(cid, "can I talk to someone")
    assert DIALOGUE_DOWN_TEXT not in [m.text for m in result.messages]
    assert result.status == "queued"
