"""Build the process runtime: database (migrated), demo tenant, NLU, knowledge base, Rasa client."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.rasa_pool import make_dialogue
from bot.runtime import Runtime
from core.db import Database
from core.embedding import get_embedder
from core.events import EventBus, events
from core.redis_bus import make_bus
from core.settings import ROOT, CoreSettings
from core.startup_lock import startup_lock
from crm import migrate
from crm.demo import create_staff, has_admin, load_tenant

log = logging.getLogger(__name__)

NLU_DATA = ROOT / "data" / "nlu"
TENANT = ROOT / "data" / "demo" / "tenant.yml"
ARTICLES = ROOT / "knowledge_base" / "articles"


def write_secret_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(text)


def prepare_database(settings: CoreSettings, *, seed_demo: bool = True) -> tuple[Database, list[str]]:
    """Migrate the database and, on first run, load the demo tenant and create the first admin."""
    db = Database(settings.database_url)
    with startup_lock(db):  # several workers start at once: one migrates and seeds, the rest find it done
        return db, _migrate_and_seed(db, settings, seed_demo=seed_demo)


def _migrate_and_seed(db: Database, settings: CoreSettings, *, seed_demo: bool) -> list[str]:
    migrate(db)
    notes: list[str] = []
    creds = settings.data_dir / "credentials.txt"
    with db.session() as s:
        if seed_demo and TENANT.exists():
            created = load_tenant(s, TENANT)
            for username, password in created["agent_passwords"].items():  # one password each
                line = f"{username}: password {password}\n"
                write_secret_file(creds, line)
                notes.append(line.strip())
        if not has_admin(s):
            password = os.environ.get("FIRSTLINE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            create_staff(s, "admin", password, "Administrator", role="admin")
            line = f"admin: password {password}\n"
            if "FIRSTLINE_ADMIN_PASSWORD" not in os.environ:
                write_secret_file(creds, line)
            notes.append(line.strip())
    if seed_demo and ARTICLES.exists():
        try:
            from knowledge_base import ArticleRepository

            with db.session() as s:
                report = ArticleRepository().import_folder(s, ARTICLES)
            for err in report.errors:
                notes.append(f"knowledge base: {err}")
        except ImportError:  # pragma: no cover - before the knowledge base package exists
            pass
    return notes


def build_runtime(
    settings: CoreSettings,
    *,
    db: Database | None = None,
    nlu: Any = None,
    dialogue: Any = None,
    kb: Any = None,
    embedder: Any = None,
    progress: Callable[[str], None] | None = None,
) -> Runtime:
    """Return a started runtime; anything passed in (tests) is used instead of the real part."""
    say = progress or (lambda msg: log.info(msg))
    from insights.rollup_marks import install as mark_rollup_changes

    mark_rollup_changes()  # before the demo seed writes: every write marks the dashboard hours it changes
    if db is None:
        db, notes = prepare_database(settings)
        for n in notes:
            say(n)
    if embedder is None:
        say("loading the embedding model")
        embedder = get_embedder(settings.embedding_model)
    from core.embedding_cache import CachedEmbedder

    # One text -> vector cache for the knowledge base, the escalation policy and the dissatisfaction
    # estimate: each encoded the same customer message again (three to four MiniLM passes per turn
    # with the parser's, half of the app's CPU under load with varied texts; README "Operations").
    # The parser's input (the embedding with hidden-layer pools, encode_layers) goes to the model
    # itself; it has its own parse cache. Batches (training, indexing) pass through uncached; an
    # erasure forgets the entries (privacy/memory.py).
    if not isinstance(embedder, CachedEmbedder):
        embedder = CachedEmbedder(embedder)
    if nlu is None:
        from bot.nlu import NLUService

        nlu = NLUService.load_or_train(NLU_DATA, settings.model_dir / "nlu",  # type: ignore[operator]
                                         embedder=embedder, progress=say)
    if kb is None:
        from knowledge_base import KnowledgeBase

        say("opening the knowledge base index")
        kb = KnowledgeBase.open(db, embedder=embedder)
    if dialogue is None:
        dialogue = make_dialogue(settings.rasa_url, settings.rasa_timeout_seconds,  # several: production mode
                                 max_in_flight=settings.rasa_max_in_flight, patience=settings.rasa_patience_seconds)
    # across workers through Redis in production mode; one channel per database, so two desks can share a Redis
    bus = make_bus(settings.redis_url, channel_key=settings.database_url)
    if settings.redis_url:  # several workers: each tells the others the sentence vectors it computed
        from core.embedding_cache import share_across_workers

        share_across_workers(bus, embedder)
    rt = Runtime(settings=settings, db=db, bus=bus, nlu=nlu, dialogue=dialogue, kb=kb, embedder=embedder)
    if kb is not None and hasattr(kb, "sync_article"):
        keep_index_current(bus, kb)
    from bot.escalation_gate import Gate
    from escalation import register as register_escalation

    gate = Gate(rt)
    gate.load_dissatisfaction(settings.model_dir, say)  # type: ignore[operator]
    register_escalation(bus, db, gate.settings)
    rt.extras["escalation_gate"] = gate
    start_promise_followups(rt)
    from web.surge import install as install_issue11

    install_issue11(rt)  # surge watch, surge notice, public channel replies
    from privacy.memory import worker_memory

    worker_memory(rt)  # every worker drops an erased customer's words from its caches (customer.erased)
    return rt


def keep_index_current(bus: EventBus, kb: Any) -> None:
    """Every worker holds its own search index in memory: each re-indexes an edited article, and one
    that was cut off from the others (Redis gone) catches up with the database when it is back: an
    article scrubbed by an erasure meanwhile must not keep the customer's words in its index."""
    bus.on_every_worker(events.ARTICLE_CHANGED, lambda e: kb.sync_article(e.data["article_id"]))
    bus.on_every_worker(events.LIVE_RESTORED, lambda e: kb.sync_all())


def start_promise_followups(rt: Runtime) -> None:
    """Start the persistent follow-up scheduler (issue 10); the app's shutdown stops it."""
    from followup import FollowUpSettings, start_followups
    from outbound import OutboundSettings, mailer_from

    settings = FollowUpSettings()
    if settings.enabled:
        rt.extras["followups"] = start_followups(rt.db, rt.bus, mailer=mailer_from(OutboundSettings()),
                                                 settings=settings)
