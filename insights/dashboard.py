"""The experience dashboard's figures: one SQL aggregation each, the same on SQLite and PostgreSQL.

Every figure covers a period [start, end) in UTC, by day or by hour, and comes back as a table
(columns and rows) that the page draws as a chart, shows as a table and exports as CSV. What each
figure counts is written in its `definition` and in the README ("Experience dashboard").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from core.db import utcnow
from crm import Agent, Conversation, ConversationStatus, Handoff, Message, Sender
from insights.sql import bucket, json_flag, json_text, percentile, seconds_between

GRANULARITIES = ("day", "hour")
MAX_DAYS = {"day": 366, "hour": 31}  # an hourly chart of a year would be 8,760 unreadable bars
# Handoffs the bot did not start: an agent passing a chat on, or a re-route after an agent left.
NOT_BOT_HANDOFFS = ("transfer", "reroute")
FAILED_ANSWER_KINDS = ("no_answer", "fallback", "clarify")  # as in insights.gaps.NO_ANSWER_KINDS
NEGATIVE = -0.05  # VADER's own threshold for a negative compound score
TOP_N = 10


class PeriodError(ValueError):
    """A date range or granularity the dashboard cannot show; the message says why."""


@dataclass(frozen=True)
class Period:
    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive
    granularity: str = "day"

    def __post_init__(self) -> None:
        if self.granularity not in GRANULARITIES:
            raise PeriodError(f"granularity must be one of {', '.join(GRANULARITIES)}")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise PeriodError("start and end must carry a time zone")
        if self.end <= self.start:
            raise PeriodError("the end of the range must be after its start")
        if self.end - self.start > timedelta(days=MAX_DAYS[self.granularity]):
            raise PeriodError(f"by {self.granularity} the range can be at most {MAX_DAYS[self.granularity]} days")

    def keys(self) -> list[str]:
        """Return every bucket's key in order, so empty days or hours show as zero, not as a gap."""
        step = timedelta(days=1) if self.granularity == "day" else timedelta(hours=1)
        fmt = "%Y-%m-%d" if self.granularity == "day" else "%Y-%m-%d %H:00"
        t = self.start.replace(minute=0, second=0, microsecond=0)
        if self.granularity == "day":
            t = t.replace(hour=0)
        out = []
        while t < self.end:
            out.append(t.strftime(fmt))
            t += step
        return out

    def within(self, column: Any) -> Any:
        return and_(column >= self.start, column < self.end)


@dataclass
class Figure:
    """One chart's numbers: a table whose first column is the x axis (a time bucket or a label)."""

    key: str  # URL slug of its CSV export
    title: str
    definition: str
    columns: list[str]
    rows: list[list[Any]]
    chart: str  # line | bar | stacked | hbar
    series: list[str] = field(default_factory=list)  # the columns drawn (the others are table-only)
    unit: str = ""
    link: str | None = None


def _per_bucket(period: Period, rows: Sequence[Sequence[Any]], width: int) -> dict[str, list[Any]]:
    got = {r[0]: list(r[1:]) for r in rows}
    return {k: got.get(k, [0] * width) for k in period.keys()}


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def conversations(session: Session, period: Period) -> Figure:
    b = bucket(Conversation.created_at, period.granularity)
    rows = session.execute(select(b, func.count()).where(period.within(Conversation.created_at)).group_by(b)).all()
    return conversations_figure(period, _per_bucket(period, rows, 1))


def conversations_figure(period: Period, data: dict[str, list[Any]]) -> Figure:
    return Figure("conversations", "Conversations",
                  "Conversations started in each period, on any channel.",
                  ["period", "conversations"], [[k, int(v[0])] for k, v in data.items()], "bar", ["conversations"])


def containment(session: Session, period: Period) -> Figure:
    b = bucket(Conversation.created_at, period.granularity)
    wrote = exists().where(Message.conversation_id == Conversation.id, Message.sender == Sender.CUSTOMER)
    handed = exists().where(Handoff.conversation_id == Conversation.id)
    rows = session.execute(
        select(b, func.count(), func.sum(case((handed, 0), else_=1)))
        .where(period.within(Conversation.created_at), wrote).group_by(b)
    ).all()
    return containment_figure(period, _per_bucket(period, rows, 2))


def containment_figure(period: Period, data: dict[str, list[Any]]) -> Figure:
    out = [[k, int(n), int(c or 0), _pct(c or 0, n)] for k, (n, c) in data.items()]
    return Figure("containment", "Containment",
                  "Of the conversations started in the period in which the customer wrote at least once, the share "
                  "that never went to a person (no handoff and no case, whatever their status now).",
                  ["period", "conversations", "contained", "containment %"], out, "line", ["containment %"], "%")


def handoffs_by_trigger(session: Session, period: Period) -> Figure:
    b = bucket(Handoff.created_at, period.granularity)
    rows = session.execute(
        select(b, Handoff.trigger, func.count())
        .where(period.within(Handoff.created_at), Handoff.trigger.not_in(NOT_BOT_HANDOFFS))
        .group_by(b, Handoff.trigger)
    ).all()
    return handoffs_figure(period, {(key, trigger): int(n) for key, trigger, n in rows})


def handoffs_figure(period: Period, cells: dict[tuple[str, str], int]) -> Figure:
    totals: dict[str, int] = defaultdict(int)
    for (_, trigger), n in cells.items():
        totals[trigger] += n
    triggers = sorted(totals, key=lambda t: (-totals[t], t))
    out = [[k, *(cells.get((k, t), 0) for t in triggers), sum(cells.get((k, t), 0) for t in triggers)]
           for k in period.keys()]
    return Figure("handoffs", "Handoffs by trigger",
                  "Handoffs the bot started in the period, by the trigger that fired (transfers between agents and "
                  "re-routes after an agent left are not counted).",
                  ["period", *triggers, "total"], out, "stacked", triggers)


def _by_bucket(rows: Sequence[Sequence[Any]]) -> dict[str, list[float]]:
    by: dict[str, list[float]] = defaultdict(list)
    for key, seconds in rows:
        if seconds is not None and seconds >= 0:
            by[key].append(float(seconds))
    return by


def _durations(period: Period, by: dict[str, list[float]]) -> list[list[Any]]:
    out = []
    for k in period.keys():
        values = sorted(by.get(k, []))
        med, p90 = percentile(values, 0.5), percentile(values, 0.9)
        out.append([k, len(values), None if med is None else round(med, 1), None if p90 is None else round(p90, 1)])
    return out


def time_to_person(session: Session, period: Period) -> Figure:
    b = bucket(Handoff.created_at, period.granularity)
    rows = session.execute(
        select(b, seconds_between(Handoff.created_at, Handoff.accepted_at))
        .where(period.within(Handoff.created_at), Handoff.accepted_at.is_not(None), Handoff.trigger != "transfer")
    ).all()
    return time_to_person_figure(period, _by_bucket(rows))


def time_to_person_figure(period: Period, by: dict[str, list[float]]) -> Figure:
    return Figure("time-to-person", "Time to a named person",
                  "For handoffs made in the period that an agent accepted: seconds from the handoff to the accept "
                  "(median and 90th percentile). A re-routed chat counts from the re-route.",
                  ["period", "accepted", "median s", "p90 s"], _durations(period, by), "line",
                  ["median s", "p90 s"], "s")


def first_response(session: Session, period: Period) -> Figure:
    before = aliased(Handoff)
    handed_before = exists().where(before.conversation_id == Handoff.conversation_id,
                                   before.created_at < period.start, before.trigger.not_in(NOT_BOT_HANDOFFS))
    first = (  # conversations whose first handoff by the bot falls in the period, and its time
        select(Handoff.conversation_id.label("cid"), func.min(Handoff.created_at).label("at"))
        .where(period.within(Handoff.created_at), Handoff.trigger.not_in(NOT_BOT_HANDOFFS), ~handed_before)
        .group_by(Handoff.conversation_id)
        .subquery()
    )
    reply = (
        select(func.min(Message.created_at))
        .where(Message.conversation_id == first.c.cid, Message.sender == Sender.AGENT, Message.created_at >= first.c.at)
        .scalar_subquery()
    )
    b = bucket(first.c.at, period.granularity)
    rows = session.execute(select(b, seconds_between(first.c.at, reply)).where(period.within(first.c.at))).all()
    return first_response_figure(period, _by_bucket(rows))


def first_response_figure(period: Period, by: dict[str, list[float]]) -> Figure:
    return Figure("first-response", "First response by a person",
                  "For conversations first handed off in the period: seconds from that handoff to the first message "
                  "an agent wrote to the customer (median and 90th percentile; chats no agent has answered yet are "
                  "left out).",
                  ["period", "answered", "median s", "p90 s"], _durations(period, by), "line",
                  ["median s", "p90 s"], "s")


def csat(session: Session, period: Period) -> Figure:
    b = bucket(Conversation.created_at, period.granularity)
    rows = session.execute(
        select(b, func.count(), func.sum(case((Conversation.rating >= 4, 1), else_=0)), func.avg(Conversation.rating))
        .where(period.within(Conversation.created_at), Conversation.rating.is_not(None)).group_by(b)
    ).all()
    return csat_figure(period, _per_bucket(period, rows, 3))


def csat_figure(period: Period, data: dict[str, list[Any]]) -> Figure:
    """data: per bucket [ratings, rated 4-5, mean rating]."""
    out = [[k, int(n), int(good or 0), _pct(good or 0, n), None if not n else round(float(avg), 2)]
           for k, (n, good, avg) in data.items()]
    return Figure("csat", "Customer satisfaction (CSAT)",
                  "Ratings (1-5) customers gave conversations started in the period: CSAT is the share rated 4 or 5.",
                  ["period", "ratings", "rated 4-5", "CSAT %", "mean rating"], out, "line", ["CSAT %"], "%")


def answer_helpfulness(session: Session, period: Period) -> Figure:
    b = bucket(Message.created_at, period.granularity)
    verdict = json_flag(Message.meta, "helpful")
    rows = session.execute(
        select(b, func.count(), func.count(verdict), func.sum(verdict))
        # Only the bot's messages carry kind kb_answer; no sender test, so the planners take the kind index.
        .where(json_text(Message.meta, "kind") == "kb_answer", period.within(Message.created_at))
        .group_by(b)
    ).all()
    return helpful_figure(period, _per_bucket(period, rows, 3))


def helpful_figure(period: Period, data: dict[str, list[Any]]) -> Figure:
    out = [[k, int(n), int(rated), int(yes or 0), _pct(yes or 0, rated)] for k, (n, rated, yes) in data.items()]
    return Figure("helpful", '"Did this help?"',
                  'Knowledge-base answers the bot gave in the period, how many the customer rated with "Did this '
                  'help?", and the share of those rated "yes".',
                  ["period", "answers", "rated", "helped", "helped %"], out, "line", ["helped %"], "%")


def sentiment(session: Session, period: Period) -> Figure:
    b = bucket(Message.created_at, period.granularity)
    negative = func.sum(case((Message.sentiment <= NEGATIVE, 1), else_=0))
    rows = session.execute(
        select(b, func.count(), func.avg(Message.sentiment), negative)
        .where(period.within(Message.created_at), Message.sender == Sender.CUSTOMER, Message.sentiment.is_not(None))
        .group_by(b)
    ).all()
    return sentiment_figure(period, _per_bucket(period, rows, 3))


def sentiment_figure(period: Period, data: dict[str, list[Any]]) -> Figure:
    """data: per bucket [messages, mean score, negative messages]."""
    out = [[k, int(n), None if not n else round(float(avg), 3), _pct(neg or 0, n)]
           for k, (n, avg, neg) in data.items()]
    return Figure("sentiment", "Customer sentiment",
                  "Customer messages in the period: the mean VADER compound score (-1 to 1) and the share at or "
                  f"below {NEGATIVE} (negative).",
                  ["period", "messages", "mean sentiment", "negative %"], out, "line", ["negative %"], "%")


def top_intents(session: Session, period: Period) -> Figure:
    rows = session.execute(
        select(Message.intent, func.count())
        .where(period.within(Message.created_at), Message.sender == Sender.CUSTOMER, Message.intent.is_not(None))
        .group_by(Message.intent)
    ).all()
    return intents_figure({i: int(c) for i, c in rows})


def intents_figure(counts: dict[str, int]) -> Figure:
    # Ordered here, not by SQL: PostgreSQL's collation would order tied names differently from SQLite's.
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_N]
    return Figure("intents", "Top intents",
                  f"The {TOP_N} intents the NLU gave customer messages in the period most often (nlu_fallback "
                  "included: it is what the bot did not understand).",
                  ["intent", "messages"], [[i, int(c)] for i, c in rows], "hbar", ["messages"])


def top_unanswered(session: Session, period: Period) -> Figure:
    failed = aliased(Message)
    asked = (
        select(func.max(Message.id))
        .where(Message.conversation_id == failed.conversation_id, Message.sender == Sender.CUSTOMER,
               Message.id < failed.id)
        .scalar_subquery()
    )
    # Two steps: the questions' ids (one index probe per failed answer), then their texts by primary key.
    # Joined in one statement, PostgreSQL hashed a scan of every message (about 1 s at 100,000 chats).
    ids = sorted({i for (i,) in session.execute(
        select(asked).where(json_text(failed.meta, "kind").in_(FAILED_ANSWER_KINDS), period.within(failed.created_at))
    ) if i is not None})
    return unanswered_figure(session, ids)


def unanswered_figure(session: Session, ids: Sequence[int], counted: dict[str, int] | None = None) -> Figure:
    """The figure from the ids of the questions (each once) and how often each exact text occurred among
    questions already counted elsewhere (`counted`, disjoint from ids); ids of deleted messages count nothing."""
    times: dict[str, int] = defaultdict(int)
    for text, n in (counted or {}).items():
        times[text] += n
    for i in range(0, len(ids), 1000):
        for (text,) in session.execute(select(Message.text).where(Message.id.in_(ids[i : i + 1000]))):
            times[text] += 1
    groups: dict[str, list[Any]] = {}  # the same question ignoring case and spaces: [times, first text]
    for text, n in times.items():
        g = groups.setdefault(text.strip().lower(), [0, text])
        g[0] += n
        g[1] = min(g[1], text)
    top = sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP_N]
    rows = [(first, n) for _, (n, first) in top]
    return Figure("unanswered", "Top unanswered questions",
                  "Customer questions the bot answered with no answer, 'not understood' or a clarifying question in "
                  "the period, counted by their exact text (case and spaces ignored). The gaps report groups them by "
                  "meaning.",
                  ["question", "times"], [[q, int(c)] for q, c in rows], "hbar", ["times"], link="/admin/gaps")


def queue_now(session: Session, now: datetime | None = None) -> Figure:
    """Who is waiting now, per named agent (or for a case follow-up), and for how long."""
    now = now or utcnow()
    latest = (select(func.max(Handoff.created_at)).where(Handoff.conversation_id == Conversation.id)
              .scalar_subquery())  # few rows: only the chats waiting now, each by index
    rows = session.execute(
        select(Agent.display_name, Conversation.updated_at, latest)
        .select_from(Conversation)
        .join(Agent, Agent.id == Conversation.assigned_agent_id, isouter=True)
        .where(Conversation.status == ConversationStatus.QUEUED)
    ).all()
    waits: dict[str, list[float]] = defaultdict(list)
    for name, updated, handed_at in rows:
        since = handed_at or updated
        waits[name or "No one yet (case)"].append(max(0.0, (now - since).total_seconds()))
    out = [[who, len(w), round(max(w)), round(percentile(sorted(w), 0.5) or 0)]
           for who, w in sorted(waits.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    everyone = sorted(x for w in waits.values() for x in w)
    out.append(["All", len(everyone), round(max(everyone)) if everyone else 0,
                round(percentile(everyone, 0.5) or 0) if everyone else 0])
    return Figure("queue", "Queue now",
                  "Conversations waiting for a person at this moment, by the agent they are waiting for; the wait "
                  "counts from their latest handoff.",
                  ["waiting for", "conversations", "longest wait s", "median wait s"], out, "hbar", ["conversations"])


def agents_online(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Agent).where(Agent.status == "online")) or 0)


FIGURES: dict[str, Callable[[Session, Period], Figure]] = {
    "conversations": conversations,
    "containment": containment,
    "handoffs": handoffs_by_trigger,
    "time-to-person": time_to_person,
    "first-response": first_response,
    "csat": csat,
    "helpful": answer_helpfulness,
    "sentiment": sentiment,
    "intents": top_intents,
    "unanswered": top_unanswered,
}


def figure(session: Session, key: str, period: Period, now: datetime | None = None) -> Figure:
    """Return one figure by its key; LookupError for an unknown key."""
    if key == "queue":
        return queue_now(session, now)
    if key not in FIGURES:
        raise LookupError(f"no figure called {key!r}")
    return FIGURES[key](session, period)


def dashboard(session: Session, period: Period, now: datetime | None = None) -> list[Figure]:
    """Return every figure of the dashboard for period, the queue as it is now last."""
    return [fn(session, period) for fn in FIGURES.values()] + [queue_now(session, now)]
