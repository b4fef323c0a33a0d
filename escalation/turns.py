"""What the policy looks at: one Turn per customer message, and facts about the customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crm import Message, Sender

NOT_UNDERSTOOD = {"fallback", "no_answer", "clarify", "dialogue_down"}
# System messages after which the bot owns the conversation afresh: what came before was settled
# by a person, so it must not count towards a new handoff.
BOT_RESUMES = {"handed_back", "rating_request", "rating_thanks"}
# Bot messages that answer nobody's question: the admin's surge notice, said before the first answer.
NOT_ANSWERS = {"surge_notice"}


@dataclass(frozen=True)
class Turn:
    text: str
    intent: str
    confidence: float  # calibrated probability of the best real intent
    sentiment: float = 0.0
    frustration: float = 0.0
    out_of_scope: bool = False
    ambiguous: bool = False
    entities: tuple[dict[str, Any], ...] = ()
    bot_reply_kinds: tuple[str, ...] = ()  # what the bot answered to this turn
    not_helpful: bool = False  # the customer said an answer to this turn did not help
    bot_reply: str = ""  # what the bot said to this turn (its own replies, joined)


@dataclass(frozen=True)
class CustomerFacts:
    vip: bool = False
    open_cases: int = 0
    known: bool = False


@dataclass(frozen=True)
class Decision:
    handoff: bool
    trigger: str | None = None
    reason: str | None = None


NO_HANDOFF = Decision(False)


def turn_from_parse(text: str, parse: dict[str, Any], bot_kinds: Sequence[str] = (), not_helpful: bool = False,
                    bot_reply: str = "") -> Turn:
    intent = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    confidence = (
        float(ranking[0]["confidence"]) if ranking else float((parse.get("intent") or {}).get("confidence") or 0)
    )
    sentiment = parse.get("sentiment") or {}
    return Turn(
        text,
        intent,
        confidence,
        float(sentiment.get("compound") or 0.0),
        float(sentiment.get("frustration") or 0.0),
        bool(parse.get("out_of_scope")),
        bool(parse.get("ambiguous")),
        tuple(parse.get("entities") or ()),
        tuple(bot_kinds),
        not_helpful,
        bot_reply,
    )


def since_bot_resumed(messages: Sequence[Message]) -> Sequence[Message]:
    """Return the messages after the bot last took the conversation back (hand back, or a new start)."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.sender == Sender.SYSTEM and (m.meta or {}).get("kind") in BOT_RESUMES:
            return messages[i + 1 :]
    return messages


def turns_from_messages(messages: Sequence[Message]) -> list[Turn]:
    """Build turns from stored messages: each customer message with what the bot said after it.

    Only the bot's own replies (and its being down) count as answers; handoff notices, agents'
    messages and the like say nothing about whether the bot understood.
    """
    turns: list[tuple[Message, list[str], bool, list[str]]] = []
    for m in messages:
        meta = m.meta or {}
        kind = meta.get("kind")
        if m.sender == Sender.CUSTOMER:
            turns.append((m, [], False, []))
        elif not turns:
            continue
        elif kind == "rating" and meta.get("helpful") is False:
            msg, kinds, _, said = turns[-1]
            turns[-1] = (msg, kinds, True, said)
        elif m.sender == Sender.BOT and kind not in NOT_ANSWERS:
            turns[-1][1].append(str(kind) if kind else "reply")
            turns[-1][3].append(m.text)
        elif m.sender == Sender.SYSTEM and kind in NOT_UNDERSTOOD:
            turns[-1][1].append(str(kind))
    return [turn_from_parse(m.text, m.parse or {}, kinds, nh, "\n".join(said)) for m, kinds, nh, said in turns]


@dataclass
class TurnLog:
    """Collected per-conversation numbers (for the packet and benchmarks)."""

    intents: list[dict[str, Any]] = field(default_factory=list)
    sentiment: list[float] = field(default_factory=list)
