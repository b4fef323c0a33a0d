"""The gaps report shows customer questions masked, and embeds them masked."""

from __future__ import annotations

from core.db import Database, utcnow
from core.embedding import FakeEmbedder
from crm import Sender, store
from insights import FailedQuestion, cluster_questions, questions_by_id
from tests import factories


class RecordingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts, **kw):  # type: ignore[no-untyped-def, override]
        self.seen += list(texts)
        return super().encode(texts, **kw)


def test_clusters_embed_and_show_questions_without_personal_data() -> None:
    q = [FailedQuestion(1, "c1", "refund to card 4111 1111 1111 1111 please, ana@example.com", "no answer", utcnow()),
         FailedQuestion(2, "c2", "call me on 07700 900123 about my refund", "handoff", utcnow())]
    embedder = RecordingEmbedder()
    clusters = cluster_questions(q, embedder)
    shown = " ".join(e for c in clusters for e in [c.label, *c.examples])
    for secret in ("4111", "ana@example.com", "900123"):
        assert secret not in shown and not any(secret in t for t in embedder.seen)
    assert "[card]" in shown and "[email]" in shown and "[phone]" in shown


def test_cluster_questions_for_drafts_are_masked(db: Database) -> None:
    with db.session() as s:
        conv = factories.conversation(s)
        m, _ = store.add_message(s, conv, Sender.CUSTOMER, "my email is ana@example.com, why no refund")
        mid = m.id
    with db.session() as s:
        assert questions_by_id(s, [mid]) == ["my email is [email], why no refund"]
