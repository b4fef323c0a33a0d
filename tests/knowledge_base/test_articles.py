from __future__ import annotations

import pytest

from knowledge_base import ArticleError, parse_article
from knowledge_base.articles import MAX_BODY_CHARS
from tests.knowledge_base.factories import ARTICLES

GOOD = """---
id: reset-password
title: Resetting your password
tags: [password, login]
audience: all
status: published
updated: 2026-09-01
---

# Resetting your password

## How to reset
Go to the login page and choose Forgot password. We email a reset link.

## Account locked
After five wrong passwords your account locks for 30 minutes.
"""


def fm(body: str = "Some text.", **fields: str) -> str:
    base = {"id": "ok", "title": "T"} | fields
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in base.items()) + "---\n" + body


def test_parse_article_reads_front_matter_and_body() -> None:
    a = parse_article(GOOD, "reset.md")
    assert (a.id, a.title, a.tags, a.audience, a.status, a.updated) == (
        "reset-password", "Resetting your password", ["password", "login"], "all", "published", "2026-09-01")
    assert a.body.startswith("# Resetting your password\n")


@pytest.mark.parametrize(
    ("text", "article", "field", "message"),
    [
        ("no front matter", "bad.md", "front matter", "missing (the file must start with ---)"),
        ("---\nid: [unclosed\n---\nbody", "bad.md", "front matter", "is not valid YAML (ParserError)"),
        ("---\nid: x\ntitle: T\n", "bad.md", "front matter", "not closed with ---"),
        ("---\n- a list\n---\nbody", "bad.md", "front matter", "must be a mapping of fields"),
        (fm(id="Bad Id!"), "bad.md", "id", "must be a slug of lower-case letters, digits and dashes"),
        ("---\nid: ok\n---\nbody", "ok", "title", "is missing"),
        (fm(title="<b>Bold</b> title"), "ok", "title", "contains HTML; titles are plain text"),
        (fm(tags="{a: 1}"), "ok", "tags", "must be a list of words"),
        (fm(audience="martians"), "ok", "audience", "must be one of all, residential, business"),
        (fm(status="maybe"), "ok", "status", "must be one of published, draft"),
        (fm(staus="draft"), "ok", "staus", "is not a front-matter field; did you mean status?"),
        (fm(colour="blue"), "ok", "colour",
         "is not a front-matter field (known: id, title, tags, audience, status, updated)"),
        (fm(id="Bad Id!", staus="draft"), "bad.md", "staus", "is not a front-matter field; did you mean status?"),
        (fm(updated="last tuesday"), "ok", "updated", "must be a date like 2026-09-01, not 'last tuesday'"),
        (fm(updated="2026-13-01"), "bad.md", "front matter", "holds a value YAML cannot read (month must be in 1..12)"),
        (fm(updated="'2026-02-30'"), "ok", "updated", "must be a date like 2026-09-01, not '2026-02-30'"),
        (fm("   \n"), "ok", "body", "is empty"),
        (fm("x" * (MAX_BODY_CHARS + 1)), "ok", "body",
         f"is longer than {MAX_BODY_CHARS} characters (split the article)"),
        (fm("Hi\n\n<script>alert(1)</script>\n"), "ok", "body",
         "contains raw HTML on line 7 ('<script>alert(1)</script>'); use Markdown"),
        (fm("Click <a href='x' onclick='steal()'>here</a>."), "ok", "body",
         "contains raw HTML on line 5 (\"<a href='x' onclick='steal()'>\"); use Markdown"),
    ],
)
def test_parse_article_bad_input_names_article_field_and_reason(text: str, article: str, field: str,
                                                                message: str) -> None:
    with pytest.raises(ArticleError) as err:
        parse_article(text, "bad.md")
    assert (err.value.article, err.value.field, err.value.message) == (article, field, message)
    assert str(err.value) == f"{article}: {field}: {message}"


def test_parse_article_html_in_code_is_allowed() -> None:
    a = parse_article(fm("Use `<del>` for strikethrough.\n\n```\n<b>bold</b>\n```\n"), "x.md")
    assert "`<del>`" in a.body


def test_parse_article_body_at_the_limit_is_accepted() -> None:
    assert len(parse_article(fm("x" * MAX_BODY_CHARS), "x.md").body) == MAX_BODY_CHARS + 1  # plus final newline


def test_parse_article_demo_articles_are_all_valid() -> None:
    ids = [parse_article(p.read_text(), p.name).id for p in sorted(ARTICLES.glob("*.md"))]
    assert len(ids) == len(set(ids)) >= 18


def test_parse_article_without_status_is_a_draft() -> None:
    assert parse_article(fm(), "x.md").status == "draft"


def test_parse_article_updated_is_an_iso_date() -> None:
    assert parse_article(fm(updated="2026-09-01"), "x.md").updated == "2026-09-01"
    assert parse_article(fm(updated="'2026-09-01'"), "x.md").updated == "2026-09-01"
    assert parse_article(fm(), "x.md").updated is None
