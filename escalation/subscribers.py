"""Side effects of ownership events: live queue positions for waiting customers, re-routing when an agent leaves."""

from __future__ import annotations

import logging

from core.db import Database
from core.events import Event, EventBus, events
from escalation.queue import queue_statuses, queued_for
from escalation.service import reroute
from escalation.settings import EscalationSettings

log = logging.getLogger(__name__)

# Events after which the customers waiting for an agent stand somewhere else: the agent took one
# of them, or freed a seat.
QUEUE_MOVES = {events.CONVERSATION_ACCEPTED: "agent_id", events.CONVERSATION_HANDED_BACK: "agent_id",
               events.CONVERSATION_RESOLVED: "agent_id", events.CONVERSATION_TRANSFERRED: "from_agent_id"}


def register(bus: EventBus, db: Database, settings: EscalationSettings | None = None) -> None:
    """Subscribe the escalation side effects to bus."""
    s = settings or EscalationSettings()

    def announce_queue(event: Event) -> None:
        agent_id = event.data.get(QUEUE_MOVES[event.name])
        if agent_id is None:
            return
        with db.session() as session:
            statuses = queue_statuses(session, int(agent_id), s)
        for cid, place in statuses.items():
            bus.emit(events.CONVERSATION_UPDATED, cid, agent_id=place.agent_id, **place.as_dict())

    def agent_left(event: Event) -> None:
        if event.data.get("status") == "online" or event.data.get("agent_id") is None:
            return
        with db.session() as session:
            waiting = queued_for(session, int(event.data["agent_id"]))
        for cid in waiting:
            try:
                with db.session() as session:  # one conversation per transaction: one failure spoils no other
                    reroute(session, cid, bus, settings=s)
            except Exception:
                log.exception("could not re-route %s after agent %s left", cid, event.data["agent_id"])

    for name in QUEUE_MOVES:
        bus.on(name, announce_queue)
    bus.on(events.AGENT_STATUS_CHANGED, agent_left)
