"""Split an article into passages along its headings and paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
MAX_PASSAGE_CHARS = 1200


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
        paragraphs = [p.strip() for p in "\n".join(lines).split("\n\n") if p.strip()]
        chunk: list[str] = []
        for p in paragraphs:
            if chunk and sum(len(c) for c in chunk) + len(p) > MAX_PASSAGE_CHARS:
                out.append(Passage(f"{article_id}#{len(out)}", article_id, heading, "\n\n".join(chunk)))
                chunk = []
            chunk.append(p)
        if chunk:
            out.append(Passage(f"{article_id}#{len(out)}", article_id, heading, "\n\n".join(chunk)))
    return out


def passage_text(title: str, passage: Passage) -> str:
    """Return the text both retrievers index: title and heading give a short section its topic."""
    heading = "" if passage.heading == title else f"{passage.heading}. "
    return f"{title}. {heading}{passage.text}"
