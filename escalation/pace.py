"""How fast people are really being picked up: the observed pace behind the queue estimate.

The estimate a customer is given must match what is happening now. During a surge agents take far
longer than the configured SECONDS_PER_QUEUED_CHAT per chat; recent handoffs show by how much.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import Handoff
from escalation.settings import EscalationSettings


@dataclass(frozen=True)
class Pace:
    seconds_per_chat: int  # for each chat ahead of the customer
    reaction_seconds: int  # until a person with a free seat picks the chat up
    observed: bool  # False: the configured figures (no recent data)
    samples: int = 0


def observed_pace(session: Session, s: EscalationSettings, now: datetime) -> Pace:
    """Return the pace from handoffs accepted in the last PACE_LOOKBACK_MINUTES, or the configured one.

    Each accepted handoff that waited behind n chats gives (time to accept) / n seconds per chat;
    those with a free seat give the time a person takes to pick up. The median of each counts once
    there are PACE_MIN_SAMPLES of them.
    """
    rows = session.execute(
        select(Handoff.created_at, Handoff.accepted_at, Handoff.queued_behind)
        .where(Handoff.accepted_at.is_not(None), Handoff.queued_behind.is_not(None),
               Handoff.accepted_at >= now - timedelta(minutes=s.pace_lookback_minutes), Handoff.accepted_at <= now)
    ).all()
    per_chat: list[float] = []
    reaction: list[float] = []
    for created, accepted, behind in rows:
        if accepted is None or behind is None:  # excluded by the query; says so to the type checker
            continue
        waited = max(0.0, (accepted - created).total_seconds())
        if behind > 0:
            per_chat.append(waited / behind)
        else:
            reaction.append(waited)
    enough = s.pace_min_samples
    per = int(statistics.median(per_chat)) if len(per_chat) >= enough else s.seconds_per_queued_chat
    react = int(statistics.median(reaction)) if len(reaction) >= enough else 0
    return Pace(per, react, len(per_chat) >= enough or len(reaction) >= enough, len(per_chat) + len(reaction))
