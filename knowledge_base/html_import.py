"""Import help-centre HTML (Zendesk Guide, Intercom exports) as Markdown articles (issue 13).

HTML is sanitised with nh3 first (scripts, styles, event handlers and javascript: links go), then
converted with markdownify, keeping headings, lists, links, emphasis, tables and code. Each top-level
HTML element is converted on its own so that anything which cannot become Markdown is refused naming
the file and the line it starts on; everything else goes in. Articles stay Markdown only: the admin
editor still refuses raw HTML, so what an admin previews is what a customer sees.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.articles import ArticleError, ParsedArticle, check_keys, html_problem, validate_fields

HTML_SUFFIXES = (".html", ".htm")
# What survives sanitising: structure that Markdown can say. Everything else is unwrapped to its text.
ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "a", "strong", "b", "em", "i",
    "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "img", "div", "span", "section",
    "article", "main", "dl", "dt", "dd", "kbd", "samp",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "code": {"class"}, "pre": {"class"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
LANGUAGE = re.compile(r"(?:lang(?:uage)?-)([\w+#-]+)")


def sanitise(html: str) -> str:
    """Return html with only the tags, attributes and link schemes Markdown can carry."""
    import nh3

    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel=None, strip_comments=True)


def _language(el: Any) -> str:
    for node in (el, el.find("code")):
        for cls in (node.get("class") or []) if node is not None else []:
            m = LANGUAGE.match(cls)
            if m:
                return m.group(1)
    return ""


def to_markdown(html: str, *, escape: bool = True) -> str:
    """Convert one fragment of (sanitised) HTML to Markdown."""
    from markdownify import markdownify

    md = markdownify(sanitise(html), heading_style="ATX", bullets="-", code_language_callback=_language,
                     escape_misc=escape, escape_asterisks=escape, escape_underscores=escape, strip=["img"])
    return re.sub(r"\n{3,}", "\n\n", md).strip()


def _convert_piece(source: str, html: str, line: int, escape: bool = True) -> str:
    try:
        md = to_markdown(html, escape=escape)
    except Exception as exc:  # a converter failure is this element's, not the import's
        raise ArticleError(source, "body",
                           f"HTML on line {line} could not be converted ({exc.__class__.__name__})") from exc
    problem = html_problem(md)
    if problem:
        raise ArticleError(source, "body", f"HTML on line {line} could not be converted to Markdown "
                           f"({html.strip()[:40]!r})")
    return md


def html_body_to_markdown(source: str, html: str, first_line: int = 1,
                          title: str | None = None) -> tuple[str, str | None]:
    """Convert an HTML document or fragment; return (Markdown, the title: given, else <title> or the first <h1>)."""
    from bs4 import BeautifulSoup, Comment, Doctype, NavigableString

    soup = BeautifulSoup(html, "html.parser")
    title_tag = soup.find("title")
    if title is None and title_tag is not None:
        title = title_tag.get_text(" ", strip=True)
    root = soup.find("body") or soup
    h1 = root.find("h1")
    if title is None and h1 is not None:
        title = h1.get_text(" ", strip=True)
    if h1 is not None and title is not None and h1.get_text(" ", strip=True) == title:
        h1.decompose()  # the title is the article's own; the passage splitter adds it back
    for tag in root.find_all(["script", "style", "head", "template", "noscript"]):
        tag.decompose()
    pieces: list[str] = []
    for child in list(root.children):
        if isinstance(child, Comment | Doctype):
            continue
        if isinstance(child, NavigableString):
            text = str(child).strip()
            if text:
                pieces.append(_convert_piece(source, f"<p>{child}</p>", first_line))
            continue
        line = (getattr(child, "sourceline", None) or 1) + first_line - 1
        md = _convert_piece(source, str(child), line)
        if md:
            pieces.append(md)
    return "\n\n".join(pieces).strip(), title


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80].strip("-")


def _front_matter(text: str, source: str) -> tuple[dict[str, Any], str, int]:
    """Split optional YAML front matter off; return (fields, rest, the line the rest starts on)."""
    if not text.startswith("---"):
        return {}, text, 1
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise ArticleError(source, "front matter", "not closed with ---")
    try:
        fields = yaml.safe_load(parts[0][3:]) or {}
    except (yaml.YAMLError, ValueError) as exc:
        raise ArticleError(source, "front matter", f"is not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(fields, dict):
        raise ArticleError(source, "front matter", "must be a mapping of fields")
    check_keys(source, fields)
    rest = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return fields, rest, parts[0].count("\n") + 3


def parse_html_article(text: str, source: str) -> ParsedArticle:
    """Parse an exported help-centre HTML file (optionally with front matter) into a Markdown article.

    Without front matter the id comes from the file name, the title from <title> or the first <h1>,
    tags from <meta name="keywords">, and the article is a draft: publishing stays a decision.
    """
    fields, html, first_line = _front_matter(text, source)
    given = str(fields["title"]).strip() if fields.get("title") else None
    body, title = html_body_to_markdown(source, html, first_line, given)
    fields = dict(fields)
    fields.setdefault("id", _slug(Path(source).stem))
    if title and not fields.get("title"):
        fields["title"] = title
    if "tags" not in fields:
        m = re.search(r"<meta\s+name=[\"']keywords[\"']\s+content=[\"']([^\"']*)[\"']", html, re.I)
        if m:
            fields["tags"] = [t.strip() for t in m.group(1).split(",") if t.strip()][:20]
    if not body:
        raise ArticleError(str(fields.get("id") or source), "body",
                           f"has no text once scripts and unsupported markup are removed (from line {first_line})")
    return validate_fields(source, fields, body)


def convert_markdown_html(source: str, body: str, first_line: int) -> str:
    """Convert the raw HTML blocks and inline HTML of a Markdown body to Markdown, leaving the rest."""
    from markdown_it import MarkdownIt

    lines = body.split("\n")
    spans: list[tuple[int, int, bool]] = []  # (start, end, whole block is HTML)
    for token in MarkdownIt("commonmark", {"html": True}).parse(body):
        if token.map is None:
            continue
        if token.type == "html_block":
            spans.append((token.map[0], token.map[1], True))
        elif token.type == "inline" and any(c.type == "html_inline" for c in token.children or []):
            spans.append((token.map[0], token.map[1], False))
    for start, end, block in sorted(set(spans), reverse=True):
        chunk = "\n".join(lines[start:end])
        # A paragraph that mixes Markdown and inline HTML keeps its Markdown as it is (no escaping).
        md = _convert_piece(source, chunk, start + first_line, escape=block)
        lines[start:end] = md.split("\n")
    return "\n".join(lines)


def parse_markdown_with_html(text: str, source: str) -> ParsedArticle:
    """Parse a Markdown article whose body holds raw HTML, converting that HTML to Markdown."""
    fields, body, first_line = _front_matter(text, source)
    if not text.startswith("---"):
        raise ArticleError(source, "front matter", "missing (the file must start with ---)")
    converted = convert_markdown_html(source, body, first_line)
    if body.strip() and not converted.strip():
        aid = str(fields.get("id") or source).strip()
        raise ArticleError(aid, "body", f"has no text once scripts and unsupported markup are removed "
                           f"(from line {first_line + len(body) - len(body.lstrip(chr(10)))})")
    return validate_fields(source, fields, converted, first_line)
