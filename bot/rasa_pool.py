"""Several Rasa servers behind one client: each conversation sticks to one, by a stable hash of its id.

In production mode every server shares the tracker store (PostgreSQL) and the lock store (Redis),
so when a conversation's server refuses the connection (crashed, restarting), or is known to fail
its health check, the next one takes the turn: the message never reached the first, and the lock
keeps turns of one conversation in order. A turn already sent is never retried elsewhere: the
first server may still be working on it (a slow one is waited for while it answers its health
check: bot/dialogue.py).
"""

from __future__ import annotations

import zlib
from typing import Any

import httpx

from bot.dialogue import BotReply, DialogueUnavailable, RasaClient, RasaUnreachable


class RasaPool:
    """RasaClient's interface over several servers."""

    def __init__(self, urls: list[str], timeout: float, transport: httpx.BaseTransport | None = None,
                 **limits: Any) -> None:
        """limits: RasaClient's max_in_flight, patience and probe_timeout, for each server."""
        if not urls:
            raise ValueError("RasaPool needs at least one Rasa URL")
        self.clients = [RasaClient(u, timeout, transport=transport, **limits) for u in urls]

    def server_for(self, sender_id: str) -> int:
        """Index of the server a conversation sticks to (crc32: the same in every worker, unlike hash())."""
        return zlib.crc32(sender_id.encode()) % len(self.clients)

    def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[BotReply]:
        first = self.server_for(sender_id)
        last: DialogueUnavailable | None = None
        for i in range(len(self.clients)):
            client = self.clients[(first + i) % len(self.clients)]
            try:
                return client.send(sender_id, text, metadata)
            except RasaUnreachable as exc:
                last = exc
        assert last is not None
        raise DialogueUnavailable(f"no Rasa server reachable ({last})") from last

    def healthy(self) -> bool:
        """True while at least one server answers (the desk still talks)."""
        return any(c.healthy() for c in self.clients)

    def close(self) -> None:
        for c in self.clients:
            c.close()


def make_dialogue(rasa_url: str, timeout: float, **limits: Any) -> RasaClient | RasaPool:
    """One client for one URL; a sticky pool for a comma-separated list (production mode).

    limits: RasaClient's max_in_flight, patience and probe_timeout (per server, per app worker).
    """
    urls = [u.strip() for u in rasa_url.split(",") if u.strip()]
    return RasaClient(urls[0], timeout, **limits) if len(urls) == 1 else RasaPool(urls, timeout, **limits)


__all__ = ["RasaPool", "make_dialogue"]
