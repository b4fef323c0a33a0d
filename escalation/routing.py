"""Choose the named person: continuity first, then skills, then whoever has the most room."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from crm import Agent
from escalation.hours import is_working


def available(agent: Agent, load: Mapping[int, int], now: datetime, *, full_ok: bool = False) -> bool:
    """Online, inside working hours and (unless full_ok) with room for another chat."""
    return (
        agent.status == "online"
        and agent.role == "agent"
        and is_working(agent.working_hours or {}, agent.timezone or "UTC", now)
        and (full_ok or load.get(agent.id, 0) < agent.capacity)
    )


def choose_agent(
    agents: Sequence[Agent],
    *,
    customer_last_agent_id: int | None,
    intent: str | None,
    language: str | None,
    load: Mapping[int, int],
    now: datetime,
    team: str | None = None,
    exclude: int | None = None,
    full_ok: bool = False,
) -> Agent | None:
    """Return who should take this conversation, or None when nobody can now.

    full_ok also considers agents at capacity (the customer then queues for them).
    """
    pool = [a for a in agents
            if available(a, load, now, full_ok=full_ok) and a.id != exclude and (team is None or a.team == team)]
    if not pool:
        return None
    if customer_last_agent_id is not None and team is None:
        for a in pool:
            if a.id == customer_last_agent_id:
                return a  # continuity: the person who helped last time already knows the story

    def room(a: Agent) -> tuple[float, int]:
        return (load.get(a.id, 0) / max(a.capacity, 1), a.id)

    if language:
        speakers = [a for a in pool if language in (a.languages or [])]
        pool = speakers or pool
    skilled = [a for a in pool if intent and intent in (a.skills or [])]
    return min(skilled or pool, key=room)
