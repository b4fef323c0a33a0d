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
from core.events import events
from core.redis_bus import make_bus
from core.settings import ROOT, CoreSettings
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
    return db, notes


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
    if nlu is None:
        from bot.nlu import NLUService

        nlu = NLUService.load_or_train(NLU_DATA, settings.model_dir / "nlu",  # type: ignore[operator]
                                         embedder=embedder, progress=say)
    if kb is None:
        from knowledge_base import KnowledgeBase

        say("opening the knowledge base index")
        kb = KnowledgeBase.open(db, embedder=embedder)
    if dialogue is None:
        dialogue = make_dialogue(settings.rasa_url, settings.rasa_timeout_seconds)  # several: production mode
    # across workers through Redis in production mode; one channel per database, so two desks can share a Redis
    bus = make_bus(settings.redis_url, channel_key=settings.database_url)
    rt = Runtime(settings=settings, db=db, bus=bus, nlu=nlu, dialogue=dialogue, kb=kb, embedder=embedder)
    if kb is not None and hasattr(kb, "sync_article"):
        # every worker holds its own index in memory: each one re-indexes the edited article
        bus.on_every_worker(events.ARTICLE_CHANGED, lambda e: kb.sync_article(e.data["article_id"]))
    from bot.escalation_gate import Gate
    from escalation import register as register_escalation

    gate = Gate(rt)
    gate.load_dissatisfaction(settings.model_dir, say)  # type: ignore[operator]
    register_escalation(bus, db, gate.settings)
    rt.extras["escalation_gate"] = gate
    start_promise_followups(rt)
    from web.surge import install as install_issue11

    install_issue11(rt)  # surge watch, surge notice, public channel replies
    return rt


def start_promise_followups(rt: Runtime) -> None:
    """Start the persistent follow-up scheduler (issue 10); the app's shutdown stops it."""
    from followup import FollowUpSettings, start_followups
    from outbound import OutboundSettings, mailer_from

    settings = FollowUpSettings()
    if settings.enabled:
        rt.extras["followups"] = start_followups(rt.db, rt.bus, mailer=mailer_from(OutboundSettings()),
                                                 settings=settings)
