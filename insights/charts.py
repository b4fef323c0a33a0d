"""Draw a dashboard figure as SVG (pygal, server-side, no script or CDN) and write it as CSV."""

from __future__ import annotations

import csv
import io
import re
import sys
from html import escape
from typing import Any

from insights.dashboard import Figure

# Colour-blind-safe (Okabe-Ito) with enough contrast on white for lines and bars.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442", "#999999")
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
LABEL_CHARS = 48  # customer questions can be long; the table beside the chart shows them whole


def _pygal() -> Any:
    import pygal

    # pygal appends a legacy import hook (for its map plugins, unused here) that has no find_spec: every
    # import any library later fails to find then raises an ImportWarning. Take it out again.
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]
    return pygal


def _style() -> Any:
    from pygal.style import Style

    return Style(background="#ffffff", plot_background="#ffffff", foreground="#1d2430",
                 foreground_strong="#1d2430", foreground_subtle="#5b6472", colors=PALETTE,
                 font_family="system-ui, sans-serif", label_font_size=12, major_label_font_size=12,
                 legend_font_size=13, value_font_size=12)


def _chart(fig: Figure) -> Any:
    pygal = _pygal()

    kinds = {"line": pygal.Line, "bar": pygal.Bar, "stacked": pygal.StackedBar, "hbar": pygal.HorizontalBar}
    labels = [str(r[0]) for r in fig.rows]
    many = len(labels) > 16
    chart = kinds[fig.chart](
        style=_style(), width=760, height=340 if fig.chart != "hbar" else max(200, 36 * len(labels) + 80),
        js=[],  # pygal's tooltips load a script from a CDN; the product runs offline and the table has the numbers
        disable_xml_declaration=True, show_legend=len(fig.series) > 1, legend_at_bottom=True,
        x_label_rotation=35 if many and fig.chart != "hbar" else 0, show_minor_x_labels=not many,
        x_labels_major_every=max(1, len(labels) // 12) if many else None, truncate_label=LABEL_CHARS,
        no_data_text="No data in this range", show_dots=len(labels) <= 60, margin=12, spacing=8,
        allow_interruptions=True, include_x_axis=True, print_values=False, dynamic_print_values=False,
    )
    chart.x_labels = labels
    for name in fig.series:
        i = fig.columns.index(name)
        chart.add(name, [None if r[i] is None else float(r[i]) for r in fig.rows])
    return chart


def svg(fig: Figure) -> str:
    """Return the figure's chart as an inline <svg> element; every label is escaped by the XML writer."""
    out = _chart(fig).render(is_unicode=True)
    # pygal writes its settings (labels included) into a <script> for its tooltips, which an inline SVG
    # would run; the page needs no script. Labels are escaped text, so the first </script> is pygal's own.
    out = _SCRIPT.sub("", out)
    if "<script" in out:
        raise ValueError("chart SVG still holds a script")
    name = escape(f"{fig.title}: chart; the same numbers are in the table beside it")
    # The chart is an image with a name; its numbers are read from the table, not from the drawing.
    return out.replace("<svg ", f'<svg role="img" aria-label="{name}" focusable="false" ', 1)


# A cell a spreadsheet would run as a formula (CSV injection): customer text can start with these.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return "" if value is None else value


def to_csv(fig: Figure) -> str:
    """Return the figure's table as CSV, with text that a spreadsheet would run made inert."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(fig.columns)
    for row in fig.rows:
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()
