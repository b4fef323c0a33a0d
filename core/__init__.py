"""Foundation shared by every Firstline package: settings, database, events, embeddings.

Imports nothing from the other Firstline packages.
"""

from core.db import Base, Database, utcnow
from core.embedding import Embedder, FakeEmbedder, get_embedder
from core.events import Event, EventBus, events
from core.settings import CoreSettings, get_settings

__all__ = [
    "Base",
    "CoreSettings",
    "Database",
    "Embedder",
    "Event",
    "EventBus",
    "FakeEmbedder",
    "events",
    "get_embedder",
    "get_settings",
    "utcnow",
]
