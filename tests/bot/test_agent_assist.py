"""Suggested replies: passages for the customer's last message, recorded once, then used or ignored."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from bot.agent_assist import record_reply, suggest
from core.db import Database
from crm import AssistSuggestion, Sender, store
from tests import factories


class _KB:
    def search(self, query: str, *, segment: str | None = None, k: int | None = None) -> list[Any]:
        def hit(a: str, score: float) -> Any:
            return SimpleNamespace(article_id=a, title=a.title(), url=f"/kb/{a}", heading="", text=f"About {a}.",
                                   score=score)
        return [hit("reset", 0.8), hit("reset", 0.7), hit("bills", 0.4), hit("noise", 0.01)]


def test_suggest_records_each_passage_once_and_the_reply_marks_used_and_ignored(db: Database) -> None:
    with db.session() as s:
        agent_id = factories.agent(s, "maria").id
        conv = factories.conversation(s)
        store.add_message(s, conv, Sender.CUSTOMER, "how do I reset my password?")
        cid = conv.id
    with db.session() as s:
        first = suggest(s, _KB(), cid, agent_id)
    with db.session() as s:
        again = suggest(s, _KB(), cid, agent_id)
    assert [x["article_id"] for x in first] == ["reset", "bills"]  # one per article, noise dropped
    assert [x["id"] for x in again] == [x["id"] for x in first]
    with db.session() as s:
        record_reply(s, cid, agent_id, "About reset. (edited)", suggestion_id=first[0]["id"])
    with db.session() as s:
        rows = {r.article_id: (r.outcome, r.sent_text) for r in s.scalars(select(AssistSuggestion))}
    assert rows == {"reset": ("used", "About reset. (edited)"), "bills": ("ignored", None)}
