"""Run axe-core (vendored, tests/browser/vendor/axe.min.js) on a page; return serious and critical violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


def violations(page: Any, context: str | None = None) -> list[dict[str, Any]]:
    """Return axe's serious/critical violations on page (or inside the CSS selector context), shadow DOM included."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (ctx) => {
            const r = await axe.run(ctx ? { include: [[ctx]] } : document, { resultTypes: ['violations'] });
            return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }));
        }""",
        context,
    )
    return [v for v in result if v["impact"] in BLOCKING]


def summary(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}" for v in found)
