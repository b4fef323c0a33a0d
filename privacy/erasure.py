"""Export one customer, or erase them everywhere: app database, Rasa's trackers, articles drafted from
their questions (and so the search index), NLU examples taken from their questions; audited."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.db import Database, utcnow
from core.events import EventBus, events
from core.redaction import redact
from core.settings import ROOT, CoreSettings
from crm import customer_export, erase_customer_records
from crm.privacy import customer_texts
from privacy.tracker import erase_trackers, tracker_db_url

__all__ = ["ErasureReport", "erase_everywhere", "export"]

NLU_DIR = ROOT / "data" / "nlu"
ERASED_TITLE = "Answer to a common question"


@dataclass(frozen=True)
class ErasureReport:
    customer_id: str
    erased_by: str
    erased_at: str
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def export(db: Database, customer_id: str) -> dict[str, Any]:
    """Return the customer's data as JSON-ready dicts (crm.customer_export)."""
    with db.session() as s:
        return customer_export(s, customer_id)


def _norm(text: str) -> str:
    """One comparable form of a question as it appears in a draft or an NLU file."""
    text = html.unescape(re.sub(r"<[^>]*>?", " ", text))
    return " ".join(text.split()).casefold()


def _forms(texts: Iterable[str]) -> set[str]:
    return {f for t in texts for f in (_norm(t), _norm(redact(t))) if f}


def erase_everywhere(
    settings: CoreSettings, db: Database, customer_id: str, erased_by: str, *, nlu_dir: Path = NLU_DIR,
    article_changed: Callable[[str], None] | None = None, bus: EventBus | None = None,
) -> ErasureReport:
    """Erase one customer from every store; raise crm.NotFound when there is no such customer.

    Derived stores go first (idempotent), the app database last in one transaction with the audit
    record: if anything fails, the customer is still there and the erasure can simply be run again.
    Then, on the bus, `article.changed` for each scrubbed article (every worker re-indexes it) and
    `customer.erased` with the customer's texts (every worker drops them from its caches:
    privacy/memory.py).
    """
    with db.session() as s:
        conversation_ids, texts = customer_texts(s, customer_id)
    forms = _forms(texts)
    counts = {"tracker_events": erase_trackers(tracker_db_url(settings), conversation_ids),
              "nlu_examples": _scrub_nlu_files(nlu_dir, forms)}
    with db.session() as s:
        changed = _scrub_articles(s, forms)
        counts["articles"] = len(changed)
        counts["surge_samples"] = _scrub_surge_samples(s, forms)
    with db.session() as s:
        # The dashboard rollups hold counts only, but their hours must be recounted without this customer.
        from insights.rollups import mark_conversations

        mark_conversations(s, conversation_ids)
        erased = erase_customer_records(s, customer_id, erased_by, counts)
        at = (erased.erased_at or utcnow()).isoformat()
    for article_id in changed:  # re-index: the search index holds no passage of theirs either
        if article_changed is not None:
            article_changed(article_id)
        elif bus is not None:
            bus.emit(events.ARTICLE_CHANGED, None, article_id=article_id)
    if bus is not None:
        bus.emit(events.CUSTOMER_ERASED, None, customer_id=customer_id, texts=texts)
    return ErasureReport(customer_id, erased_by, at, erased.counts)


def _scrub_articles(session: Any, forms: set[str]) -> list[str]:
    """Remove the customer's questions from articles drafted from the gaps report, history included.

    The current text changes through a new version (so the index re-reads it); older versions are
    rewritten in place, since keeping erased words in the history would defeat the erasure.
    """
    if not forms:
        return []
    from knowledge_base import ArticleRepository
    from knowledge_base.models import Article, ArticleVersion

    def clean(title: str, body: str) -> tuple[str, str]:
        lines = [ln for ln in body.splitlines() if _norm(ln.lstrip("-* ")) not in forms]
        new_title = ERASED_TITLE if _norm(title) in forms or _norm(title)[:200] in {f[:200] for f in forms} else title
        return new_title, "\n".join(lines) + ("\n" if body.endswith("\n") else "")

    changed: list[str] = []
    for v in session.query(ArticleVersion).all():
        title, body = clean(v.title, v.body)
        if (title, body) != (v.title, v.body):
            v.title, v.body = title, body
    for a in session.query(Article).all():
        title, body = clean(a.title, a.body)
        if (title, body) != (a.title, a.body) and a.deleted_at is not None:
            a.title, a.body = title, body  # deleted: not searchable, nothing to re-index
        elif (title, body) != (a.title, a.body):
            fields = {"id": a.id, "title": title, "tags": a.tags, "audience": a.audience, "status": a.status,
                      "body": body}
            ArticleRepository().update(session, a.id, fields, "privacy-erasure", note="customer data erased")
            changed.append(a.id)
    session.flush()
    return changed


def _scrub_surge_samples(session: Any, forms: set[str]) -> int:
    """Remove the customer's messages from the sample messages stored with surge alerts."""
    from insights.models import SurgeAlert

    removed = 0
    for alert in session.query(SurgeAlert).all() if forms else []:
        intents = []
        for d in alert.intents or []:
            samples = d.get("samples") or []
            kept = [x for x in samples if not any(f.startswith(_norm(x)) for f in forms)]
            removed += len(samples) - len(kept)
            intents.append({**d, "samples": kept})
        if intents != (alert.intents or []):
            alert.intents = intents
    session.flush()
    return removed


def _scrub_nlu_files(nlu_dir: Path, forms: set[str]) -> int:
    """Remove the customer's questions from NLU examples added from the gaps report; the NLU retrains
    at the next start because its data changed."""
    import yaml

    from insights import nlu_yaml

    removed = 0
    for path in sorted(nlu_dir.glob("from_gaps_*.yml")) if forms else []:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            lines = [ln.strip()[2:] for ln in str(item.get("examples", "")).splitlines() if ln.strip().startswith("- ")]
            kept = [ln for ln in lines if _norm(ln) not in forms]
            if len(kept) != len(lines):
                removed += len(lines) - len(kept)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(nlu_yaml(str(item.get("intent")), kept), encoding="utf-8")
                tmp.replace(path)
    return removed
