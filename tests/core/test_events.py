"""Events announce only what has committed."""

from __future__ import annotations

import pytest

from core.db import Database
from core.events import EventBus
from crm import ConversationStatus, store
from tests import factories


def test_emit_after_commit_publishes_once_the_change_is_visible(db: Database) -> None:
    bus = EventBus()
    seen: list[tuple[str, str]] = []

    def reread(event: object) -> None:  # what a console does on an event: read the new state
        with db.session() as s:
            seen.append((event.name, store.get_conversation(s, cid).status))  # type: ignore[attr-defined]

    bus.on(None, reread)
    with db.session() as s:
        cid = factories.conversation(s).id
    with db.session() as s:
        store.set_status(s, cid, ConversationStatus.QUEUED)
        bus.emit_after_commit(s, "conversation.queued", cid)
        assert seen == []  # not yet: the change is not committed
    assert seen == [("conversation.queued", ConversationStatus.QUEUED)]


def test_emit_after_commit_publishes_nothing_when_the_transaction_rolls_back(db: Database) -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.on(None, lambda e: seen.append(e.name))
    with db.session() as s:
        cid = factories.conversation(s).id
    with pytest.raises(RuntimeError), db.session() as s:
        store.set_status(s, cid, ConversationStatus.QUEUED)
        bus.emit_after_commit(s, "conversation.queued", cid)
        raise RuntimeError("the handoff failed half-way")
    assert seen == []
    with db.session() as s:
        assert store.get_conversation(s, cid).status == ConversationStatus.PENDING


def test_emit_accepts_any_data_key_including_name() -> None:
    bus = EventBus()
    seen = []
    bus.on("typing.started", seen.append)
    bus.emit("typing.started", "c1", name="Maria Lopez", conversation_id="not-the-id")
    assert [(e.name, e.conversation_id, e.data) for e in seen] == [
        ("typing.started", "c1", {"name": "Maria Lopez", "conversation_id": "not-the-id"})]
