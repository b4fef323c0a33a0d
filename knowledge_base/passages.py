"""Split an article into passages along its headings and paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
MAX_PASSAGE_CHARS = 1200
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Passage:
    id: str  # "<article id>#<n>"
    article_id: str
    heading: str
    text: str


def split(article_id: str, title: str, body: str) -> list[Passage]:
    """Return one passage per section (split further at paragraphs when a section is long)."""
    sections: list[tuple[str, list[str]]] = [(title, [])]
    for line in body.splitlines():
        m = HEADING.match(line.strip())
        if m:
            heading = m.group(2).strip()
            if m.group(1) == "#" and heading == title:
                continue
            sections.append((heading, []))
        else:
            sections[-1][1].append(line)
    out: list[Passage] = []
    for heading, lines in sections:
        paragraphs = [piece for p in "\n".join(lines).split("\n\n") if p.strip()
                      for piece in split_long(p.strip(), MAX_PASSAGE_CHARS)]
        chunk: list[str] = []
        for p in paragraphs:
            if chunk and sum(len(c) for c in chunk) + len(p) > MAX_PASSAGE_CHARS:
                out.append(Passage(f"{article_id}#{len(out)}", article_id, heading, "\n\n".join(chunk)))
                chunk = []
            chunk.append(p)
        if chunk:
            out.append(Passage(f"{article_id}#{len(out)}", article_id, heading, "\n\n".join(chunk)))
    return out


def split_long(paragraph: str, limit: int) -> list[str]:
    """Split a paragraph longer than limit at sentence ends (at spaces inside an endless sentence).

    The embedding model reads only its first 256 tokens (about 1,000 characters), so the rest
    of a long paragraph would be invisible to dense retrieval.
    """
    if len(paragraph) <= limit:
        return [paragraph]
    sentences: list[str] = []
    for sentence in SENTENCE_END.split(paragraph):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            sentences.append(sentence[:cut].rstrip())
            sentence = sentence[cut:].lstrip()
        if sentence:
            sentences.append(sentence)
    pieces: list[str] = []
    for sentence in sentences:
        if pieces and len(pieces[-1]) + 1 + len(sentence) <= limit:
            pieces[-1] = f"{pieces[-1]} {sentence}"
        else:
            pieces.append(sentence)
    return pieces


def passage_text(title: str, passage: Passage) -> str:
    """Return the text both retrievers index: title and heading give a short section its topic."""
    heading = "" if passage.heading == title else f"{passage.heading}. "
    return f"{title}. {heading}{passage.text}"
