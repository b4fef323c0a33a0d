"""Agents' replies on a channel conversation go back out through that channel's connector.

Delivery runs in the background (a webhook may retry for seconds); its outcome is written on the
message and announced (delivery.updated), so the console shows a failure instead of dropping it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from channels.base import DeliveryResult, OutboundConnector, OutboundReply
from channels.models import ChannelPost
from core.db import Database, utcnow
from core.events import Event, EventBus, events
from crm import Conversation, Message, Sender, store

log = logging.getLogger(__name__)


class ReplyDispatcher:
    def __init__(self, db: Database, bus: EventBus, connectors: dict[str, OutboundConnector],
                 executor: ThreadPoolExecutor | None = None) -> None:
        self.db, self.bus, self.connectors = db, bus, connectors
        self.executor = executor or ThreadPoolExecutor(max_workers=2, thread_name_prefix="channel-replies")

    def register(self) -> None:
        self.bus.on(events.MESSAGE_CREATED, self.on_message)

    def on_message(self, event: Event) -> None:
        if event.data.get("sender") != Sender.AGENT or not event.conversation_id:
            return
        self.dispatch(event.conversation_id, int(event.data["id"]))

    def dispatch(self, conversation_id: str, message_id: int) -> bool:
        """Send an agent's message out on its conversation's channel (again, after a failure); False if none."""
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.channel not in self.connectors:
                return False
            post = s.scalar(select(ChannelPost).where(ChannelPost.conversation_id == conv.id))
            msg = s.get(Message, message_id)
            if msg is None or msg.conversation_id != conv.id or msg.sender != Sender.AGENT:
                return False
            reply = OutboundReply(conv.channel, conv.id, msg.id, msg.text, (msg.meta or {}).get("agent_name"),
                                  (post.external_id if post and not post.external_id.startswith("sha256:") else None),
                                  post.url if post else None, post.author if post else "")
            msg.meta = {**(msg.meta or {}), "delivery": {"channel": conv.channel, "state": "sending"}}
        self.executor.submit(self._deliver, reply, msg.agent_id)
        return True

    def _deliver(self, reply: OutboundReply, agent_id: int | None) -> None:
        try:
            result: DeliveryResult = self.connectors[reply.channel].deliver(reply)
            ok, error, attempts = bool(result.ok), result.error, int(result.attempts)
        except Exception as exc:  # a connector must not lose the outcome by raising
            log.exception("delivery on %s failed", reply.channel)
            ok, error, attempts = False, f"{exc.__class__.__name__}: {exc}", 0
        state = {"channel": reply.channel, "state": "delivered" if ok else "failed", "error": error,
                 "attempts": attempts, "at": utcnow().isoformat()}
        with self.db.session() as s:
            msg = s.get(Message, reply.message_id)
            if msg is not None:
                msg.meta = {**(msg.meta or {}), "delivery": state}
        if not ok:
            log.warning("reply %s on %s not delivered: %s", reply.message_id, reply.channel, error)
        self.bus.emit(events.DELIVERY_UPDATED, reply.conversation_id, message_id=reply.message_id,
                      agent_id=agent_id, **state)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


def message_delivery(db: Database, message_id: int) -> dict[str, Any] | None:
    """The delivery state recorded on a message, if any."""
    with db.session() as s:
        msg = s.get(Message, message_id)
        return store.message_dict(msg)["meta"].get("delivery") if msg is not None else None
