"""Turn ranked passages into what the bot says: an answer, one clarifying question, or no answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Hit:
    passage_id: str
    article_id: str
    title: str
    heading: str
    text: str
    url: str
    score: float  # calibrated probability that this passage answers the query
    dense_score: float  # cosine similarity
    bm25_score: float  # 0.0 when BM25 did not retrieve the passage
    rank: int


@dataclass
class Answer:
    kind: str  # "answer" | "clarify" | "no_answer"
    text: str = ""
    article_id: str | None = None
    title: str | None = None
    url: str | None = None
    score: float = 0.0
    candidates: list[Hit] = field(default_factory=list)
    clarify_options: list[str] = field(default_factory=list)


def plain_text(markdown: str) -> str:
    """Return Markdown as one line of plain text, each block ending as a sentence."""
    from markdown_it import MarkdownIt

    blocks = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type != "inline":
            continue
        words = "".join(
            " " if c.type in ("softbreak", "hardbreak") else c.content
            for c in token.children or []
            if c.type in ("text", "code_inline", "softbreak", "hardbreak")
        )
        words = " ".join(words.split())
        if words:
            blocks.append(words if words[-1] in ".!?:;" else words + ".")
    return " ".join(blocks)


def short_answer(text: str, limit: int) -> str:
    """Return the passage's leading sentences as plain text, at most limit characters."""
    flat = plain_text(text)
    out = ""
    for sentence in SENTENCE_END.split(flat):
        if out and len(out) + 1 + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    return out if len(out) <= limit else out[: limit - 1].rsplit(" ", 1)[0] + "…"


def choose(hits: list[Hit], threshold: float, margin: float) -> tuple[str, Hit | None, Hit | None]:
    """Return the decision kind with the best hit and its closest rival from another article."""
    best_per_article: dict[str, Hit] = {}
    for h in hits:  # hits come best-first by fused rank; keep the most probable per article
        if h.article_id not in best_per_article or h.score > best_per_article[h.article_id].score:
            best_per_article[h.article_id] = h
    ranked = sorted(best_per_article.values(), key=lambda h: (-h.score, h.rank))
    if not ranked:
        return "no_answer", None, None
    top, rival = ranked[0], ranked[1] if len(ranked) > 1 else None
    if top.score < threshold:
        return "no_answer", top, rival
    # Ask only between two real candidates: a rival below the threshold is no answer either.
    if rival is not None and rival.score >= threshold and top.score - rival.score < margin:
        return "clarify", top, rival
    return "answer", top, rival


def decide(hits: list[Hit], threshold: float, margin: float, limit: int) -> Answer:
    """Answer from the best article's best passage, ask which of two close topics, or decline."""
    kind, top, rival = choose(hits, threshold, margin)
    if top is None:
        return Answer("no_answer")
    if kind == "no_answer":
        return Answer("no_answer", score=top.score, candidates=hits)
    if kind == "clarify" and rival is not None:
        return Answer("clarify", score=top.score, candidates=hits, clarify_options=[top.title, rival.title])
    return Answer("answer", short_answer(top.text, limit), top.article_id, top.title, top.url, top.score, hits)
