"""The customer's view of a live event: only what was written for them, never triggers, reasons or notes."""

from __future__ import annotations

from typing import Any

from core.events import Event, events

__all__ = ["PUBLIC_FIELDS", "customer_event"]

# Per event, the data fields a customer's widget may receive. Anything else an event carries (the
# handoff trigger and reason, a transfer note, agent ids) is for staff only.
PUBLIC_FIELDS: dict[str, tuple[str, ...]] = {
    events.MESSAGE_CREATED: ("id", "conversation_id", "sender", "text", "agent_id", "agent_name", "meta",
                             "created_at"),
    events.TYPING_STARTED: ("name",),
    events.CONVERSATION_UPDATED: ("queue_position", "expected_wait_seconds"),
    events.CONVERSATION_QUEUED: ("case_number",),
    events.CONVERSATION_HANDED_OFF: ("case_number",),
}


def customer_event(event: Event) -> dict[str, Any]:
    """Return the event as the customer's WebSocket sends it, with only the public fields of its data."""
    allowed = PUBLIC_FIELDS.get(event.name, ())
    data = {k: v for k, v in event.data.items() if k in allowed}
    return {"event": event.name, "conversation_id": event.conversation_id, "at": event.at, "data": data}
