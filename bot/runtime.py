"""The services one app process shares: built once at start-up, read by routes and actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from core.db import Database
from core.embedding import Embedder
from core.events import EventBus
from core.settings import CoreSettings


class Parser(Protocol):
    def parse(self, text: str) -> dict[str, Any]: ...


@dataclass
class Runtime:
    settings: CoreSettings
    db: Database
    bus: EventBus
    nlu: Parser
    dialogue: Any  # bot.dialogue.RasaClient or a test double with the same send()
    kb: Any = None  # knowledge_base.KnowledgeBase
    embedder: Embedder | None = None
    extras: dict[str, Any] = field(default_factory=dict)


_current: Runtime | None = None


def set_runtime(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


def get_runtime() -> Runtime:
    """Return this process's runtime; the app sets it at start-up."""
    if _current is None:
        raise RuntimeError("Firstline runtime is not started (the app sets it at start-up)")
    return _current
