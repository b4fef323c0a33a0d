from __future__ import annotations

from knowledge_base import render_markdown


def test_render_markdown_escapes_html_and_drops_javascript_links() -> None:
    html = render_markdown("# Hi\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**")
    assert "<script>" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<strong>bold</strong>" in html


def test_render_markdown_keeps_safe_links_with_rel() -> None:
    assert render_markdown("[help](https://example.com)") == (
        '<p><a href="https://example.com" rel="noopener noreferrer">help</a></p>\n')
