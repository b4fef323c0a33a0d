"""Articles as Markdown with YAML front matter: parse and validate, naming the article and field.

Limits: a body holds at most MAX_BODY_CHARS characters (about 8,000 words, twenty printed pages;
longer guides should be split, since answers come from one passage anyway) and no raw HTML:
articles are Markdown only, so what an admin previews is what a customer sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import yaml

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
AUDIENCES = ("all", "residential", "business")
STATUSES = ("published", "draft")
FRONT_MATTER_KEYS = ("id", "title", "tags", "audience", "status", "updated")
MAX_BODY_CHARS = 50000
MAX_TITLE_CHARS = 200
MAX_TAGS = 20
TAG_LIKE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


class ArticleError(ValueError):
    """An article that cannot be accepted: which one, which field, and why."""

    def __init__(self, article: str, field_name: str, message: str) -> None:
        super().__init__(f"{article}: {field_name}: {message}")
        self.article = article
        self.field = field_name
        self.message = message


@dataclass
class ParsedArticle:
    id: str
    title: str
    body: str
    tags: list[str] = field(default_factory=list)
    audience: str = "all"
    status: str = "draft"  # publishing is a decision: a file that does not say so stays a draft
    updated: str | None = None  # ISO date the article's content was last reviewed


def validate_fields(source: str, fields: dict, body: str, first_line: int = 1) -> ParsedArticle:
    """Check an article's fields and body; raise ArticleError naming the first problem.

    first_line is the line of the file the body starts on, so errors point into the file.
    """
    aid = str(fields.get("id") or "").strip()
    if not ID_RE.match(aid):
        raise ArticleError(source, "id", "must be a slug of lower-case letters, digits and dashes")
    title = str(fields.get("title") or "").strip()
    if not title:
        raise ArticleError(aid, "title", "is missing")
    if TAG_LIKE.search(title):
        raise ArticleError(aid, "title", "contains HTML; titles are plain text")
    if len(title) > MAX_TITLE_CHARS:
        raise ArticleError(aid, "title", f"is longer than {MAX_TITLE_CHARS} characters")
    tags = fields.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str | int) for t in tags):
        raise ArticleError(aid, "tags", "must be a list of words")
    if len(tags) > MAX_TAGS:
        raise ArticleError(aid, "tags", f"has more than {MAX_TAGS} tags")
    audience = str(fields.get("audience") or "all")
    if audience not in AUDIENCES:
        raise ArticleError(aid, "audience", f"must be one of {', '.join(AUDIENCES)}")
    status = str(fields.get("status") or "draft")
    if status not in STATUSES:
        raise ArticleError(aid, "status", f"must be one of {', '.join(STATUSES)}")
    if not body.strip():
        raise ArticleError(aid, "body", "is empty")
    if len(body) > MAX_BODY_CHARS:
        raise ArticleError(aid, "body", f"is longer than {MAX_BODY_CHARS} characters (split the article)")
    problem = html_problem(body, first_line)
    if problem:
        raise ArticleError(aid, "body", problem)
    updated = parse_updated(aid, fields.get("updated"))
    return ParsedArticle(
        aid,
        title,
        body.strip() + "\n",
        [str(t).strip() for t in tags if str(t).strip()],
        audience,
        status,
        updated,
    )


def parse_updated(aid: str, value: object) -> str | None:
    """Return the `updated` field as an ISO date, or raise ArticleError naming it."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ArticleError(aid, "updated", f"must be a date like 2026-09-01, not {str(value)[:40]!r}") from None


def check_keys(source: str, fields: dict) -> None:
    """Reject front-matter keys the importer does not know (a typo such as 'staus' would be ignored)."""
    import difflib

    aid = str(fields.get("id") or "").strip()
    article = aid if ID_RE.match(aid) else source
    for key in fields:
        if str(key) not in FRONT_MATTER_KEYS:
            close = difflib.get_close_matches(str(key), FRONT_MATTER_KEYS, n=1)
            hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(FRONT_MATTER_KEYS)})"
            raise ArticleError(article, str(key), f"is not a front-matter field{hint}")


def html_problem(body: str, first_line: int = 1) -> str | None:
    """Return why body is not plain Markdown (it holds raw HTML), or None."""
    from markdown_it import MarkdownIt

    # Parse with HTML recognised so code spans and fenced code (which may show tags) are exempt.
    # javascript: and data: links need no check here: markdown-it never makes them links.
    for token in MarkdownIt("commonmark", {"html": True}).parse(body):
        where = f" on line {token.map[0] + first_line}" if token.map else ""
        if token.type == "html_block":
            return f"contains raw HTML{where} ({token.content.strip()[:40]!r}); use Markdown"
        for child in token.children or []:
            if child.type == "html_inline":
                return f"contains raw HTML{where} ({child.content[:40]!r}); use Markdown"
    return None


def parse_article(text: str, source: str) -> ParsedArticle:
    """Parse Markdown with front matter; raise ArticleError naming the article and field."""
    if not text.startswith("---"):
        raise ArticleError(source, "front matter", "missing (the file must start with ---)")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise ArticleError(source, "front matter", "not closed with ---")
    try:
        fields = yaml.safe_load(parts[0][3:]) or {}
    except yaml.YAMLError as exc:
        raise ArticleError(source, "front matter", f"is not valid YAML ({exc.__class__.__name__})") from exc
    except ValueError as exc:  # YAML-shaped but impossible, e.g. updated: 2026-13-01
        raise ArticleError(source, "front matter", f"holds a value YAML cannot read ({exc})") from exc
    if not isinstance(fields, dict):
        raise ArticleError(source, "front matter", "must be a mapping of fields")
    check_keys(source, fields)
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return validate_fields(source, fields, body, first_line=parts[0].count("\n") + 3)


def to_markdown(a: ParsedArticle) -> str:
    """Write an article back as Markdown with front matter."""
    fm = {"id": a.id, "title": a.title, "tags": a.tags, "audience": a.audience, "status": a.status}
    if a.updated:
        fm["updated"] = a.updated
    return "---\n" + yaml.safe_dump(fm, sort_keys=False, allow_unicode=True) + "---\n\n" + a.body
