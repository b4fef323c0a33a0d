"""Small factories for knowledge-base tests: article text, documents, settings, a counting embedder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.embedding import FakeEmbedder
from knowledge_base import ArticleDoc, KBSettings, KnowledgeBase

ARTICLES = Path(__file__).parents[2] / "knowledge_base" / "articles"


def article_text(aid: str, title: str, body: str, audience: str = "all", status: str = "published") -> str:
    return f"---\nid: {aid}\ntitle: {title}\naudience: {audience}\nstatus: {status}\n---\n\n{body}\n"


def doc(aid: str, title: str, body: str, audience: str = "all", version: int = 1) -> ArticleDoc:
    return ArticleDoc(aid, title, body, audience, version)


class CountingEmbedder:
    """The fake embedder, counting how many texts it embedded (to prove updates are incremental)."""

    def __init__(self) -> None:
        self._inner = FakeEmbedder()
        self.name, self.dim, self.texts = self._inner.name, self._inner.dim, 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.texts += len(texts)
        return self._inner.encode(texts)


def settings(tmp_path: Path | None = None, **kw: object) -> KBSettings:
    fields: dict[str, object] = {"answer_threshold": 0.0, "clarify_margin": 0.0} | kw
    if tmp_path is not None:
        fields["index_dir"] = tmp_path / "kb"
    return KBSettings(**fields)  # type: ignore[arg-type]


def kb_from(docs: list[ArticleDoc], **kw: object) -> KnowledgeBase:
    return KnowledgeBase.from_articles(docs, FakeEmbedder(), settings(**kw))
