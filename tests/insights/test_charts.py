"""Charts as inline SVG with no script and escaped labels; CSV with formula-like text made inert."""

from __future__ import annotations

from insights.charts import svg, to_csv
from insights.dashboard import Figure

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_svg_has_no_script_and_escapes_customer_labels() -> None:
    fig = Figure("unanswered", "Top unanswered questions", "", ["question", "times"], [[HOSTILE, 3], ["ok", 1]],
                 "hbar", ["times"])
    out = svg(fig)
    assert out.startswith('<svg role="img" aria-label="Top unanswered questions: chart; ')
    assert "<script" not in out and "<img" not in out and "&lt;script&gt;" in out
    assert "kozea.github.io" not in out  # pygal's tooltip script comes from a CDN: never linked


def test_svg_draws_every_series_of_a_stacked_chart() -> None:
    fig = Figure("handoffs", "Handoffs", "", ["period", "a", "b", "total"],
                 [["2026-03-01", 1, 2, 3], ["2026-03-02", 0, 1, 1]], "stacked", ["a", "b"])
    out = svg(fig)
    assert out.count('<g class="series serie-0 color-0">') == 1 and out.count('<g class="series serie-1 color-1">') == 1
    assert out.count('class="rect reactive tooltip-trigger"') == 4  # two bars per series, one per day


def test_csv_quotes_text_and_prefixes_formulas() -> None:
    fig = Figure("unanswered", "Top", "", ["question", "times"],
                 [['=HYPERLINK("x")', 2], ["+1", 1], ["-2", 1], ["@SUM(A1)", 1], ["plain, with comma", 1], [None, 0]],
                 "hbar", ["times"])
    assert to_csv(fig).splitlines() == ["question,times", "'=HYPERLINK(\"\"x\"\")\",2".replace("'=", "\"'=", 1),
                                        "'+1,1", "'-2,1", "'@SUM(A1),1", '"plain, with comma",1', ",0"]
