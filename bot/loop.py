"""The conversation loop: the one place a customer message becomes a reply.

customer message -> validate -> parse -> record -> if a human owns the conversation, deliver
to the human and stop -> escalation check -> Rasa (REST channel) -> record and deliver the
bot's replies. When Rasa is unreachable or slow the customer is told honestly and the
conversation goes to a human; the customer's message is recorded before anything can fail.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.dialogue import DialogueUnavailable
from bot.runtime import Runtime
from core.events import Event, EventBus, events
from crm import ConversationStatus, Message, Sender, store

log = logging.getLogger(__name__)

DIALOGUE_DOWN_TEXT = (
    "I'm sorry, our assistant is having trouble right now. I've passed your message to our team "
    "and a person will pick this up; you don't need to repeat anything."
)


class InvalidMessage(ValueError):
    """A customer message we refuse, with a code the API maps to a 4xx answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_text(text: object, max_chars: int) -> str:
    """Return the message text ready to store, or raise InvalidMessage saying what is wrong."""
    if not isinstance(text, str):
        raise InvalidMessage("not_text", "message text must be a string")
    # Control characters (other than newlines and tabs) have no place in chat and break logs.
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800") is valid JSON but no text
        raise InvalidMessage("not_utf8", "message text is not valid Unicode") from exc
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise InvalidMessage("empty", "message is empty")
    if len(text) > max_chars:
        raise InvalidMessage("too_long", f"message is longer than {max_chars} characters")
    return text


def publish_messages(bus: EventBus, messages: list[Message]) -> None:
    """Announce recorded messages (after their transaction committed)."""
    for m in messages:
        bus.publish(Event(events.MESSAGE_CREATED, store.message_dict(m), conversation_id=m.conversation_id))


class EscalationGate(Protocol):
    """What the loop needs from the escalation package (see bot/escalation_gate.py)."""

    def check(self, session: Session, conversation_id: str, *, dialogue_available: bool) -> Any:
        """Return a decision object with .handoff, .trigger and .reason."""
        ...

    def hand_off(self, session: Session, conversation_id: str, decision: Any) -> Any: ...


@dataclass
class TurnResult:
    conversation_id: str
    status: str
    messages: list[Message] = field(default_factory=list)  # the customer's, then everything it caused
    duplicate: bool = False
    handoff: Any = None


class ConversationLoop:
    def __init__(self, runtime: Runtime, gate: EscalationGate) -> None:
        self.rt = runtime
        self.gate = gate

    def _publish(self, new: list[Message]) -> None:
        publish_messages(self.rt.bus, new)

    def handle(self, conversation_id: str, text: object, client_id: str | None = None) -> TurnResult:
        """Take one customer message through the loop; return what was recorded."""
        clean = clean_text(text, self.rt.settings.max_message_chars)
        try:
            parse = self.rt.nlu.parse(clean)
        except Exception:  # the message must be recorded whatever the NLU does; escalation sees no parse
            log.exception("NLU failed for a message in %s", conversation_id)
            parse = {"intent": None, "entities": [], "text": clean, "error": "nlu_failed"}
        with self.rt.db.session() as s:
            conv = store.get_conversation(s, conversation_id)
            msg, new = store.add_message(s, conv, Sender.CUSTOMER, clean, client_id=client_id, parse=parse)
            if not new:  # a retry: answer with what the first attempt recorded
                later = list(store.list_messages(s, conversation_id, after_id=msg.id - 1))
                return TurnResult(conversation_id, conv.status, later, duplicate=True)
            if conv.status == ConversationStatus.RESOLVED:
                # A customer writing into a closed conversation starts over with the bot.
                store.set_status(s, conversation_id, ConversationStatus.PENDING)
            status = conv.status
        self._publish([msg])
        if status in ConversationStatus.HUMAN_OWNED:
            # The human sees it; the bot stays silent (but notes a contact choice for a new case).
            hook = getattr(self.gate, "while_human_owned", None)
            if hook is not None:
                with self.rt.db.session() as s:
                    hook(s, conversation_id, clean)
            return self._result(conversation_id, msg, None)

        self._say_notice(conversation_id)
        handoff = self._escalate_if_needed(conversation_id, dialogue_available=True)
        if handoff is not None:
            return self._result(conversation_id, msg, handoff)

        try:
            meta: dict[str, Any] = {"message_id": msg.id}
            if "error" not in parse:
                # Rasa takes this instead of asking /nlu to parse the same text again (bot/rasa_site).
                meta["firstline_parse"] = parse
            replies = self.rt.dialogue.send(conversation_id, clean, meta)
            if not replies and self._bot_owns(conversation_id):
                # Rasa's REST channel answers 200 with nothing when something failed inside it (seen
                # under load, issue 12); only a handoff action rightly says nothing, and it changes owner.
                raise DialogueUnavailable("Rasa answered nothing (an error inside the dialogue server; see its log)")
        except DialogueUnavailable as exc:
            log.warning("dialogue unavailable for %s: %s", conversation_id, exc)
            self.rt.bus.emit(events.DIALOGUE_FAILED, conversation_id, error=str(exc))
            with self.rt.db.session() as s:
                conv = store.get_conversation(s, conversation_id)
                note, _ = store.add_message(s, conv, Sender.SYSTEM, DIALOGUE_DOWN_TEXT, meta={"kind": "dialogue_down"})
            self._publish([note])
            return self._escalate_then_result(conversation_id, msg, dialogue_available=False)

        recorded: list[Message] = []
        with self.rt.db.session() as s:
            conv = store.get_conversation(s, conversation_id)
            for reply in replies:
                meta = dict(reply.meta)
                if reply.buttons:
                    meta["buttons"] = reply.buttons
                m, _ = store.add_message(s, conv, Sender.BOT, reply.text, meta=meta)
                recorded.append(m)
        self._publish(recorded)
        # After the bot's reply: a second fallback or a second "didn't help" hands off now,
        # not after the customer has had to type again.
        return self._escalate_then_result(conversation_id, msg, dialogue_available=True)

    def _say_notice(self, conversation_id: str) -> None:
        """During a surge: the admin's notice (insights.NoticeBoard) before the bot answers, unasked."""
        board = self.rt.extras.get("notice_board")
        if board is None:
            return
        try:
            with self.rt.db.session() as s:
                note = board.say_if_due(s, conversation_id)
        except Exception:  # a broken notice must not cost the customer their answer
            log.exception("surge notice failed for %s", conversation_id)
            return
        if note is not None:
            self._publish([note])

    def _bot_owns(self, conversation_id: str) -> bool:
        with self.rt.db.session() as s:
            return store.get_conversation(s, conversation_id).status not in ConversationStatus.HUMAN_OWNED

    def _escalate_if_needed(self, conversation_id: str, *, dialogue_available: bool) -> Any:
        try:
            with self.rt.db.session() as s:
                decision = self.gate.check(s, conversation_id, dialogue_available=dialogue_available)
                if decision is None or not decision.handoff:
                    return None
                return self.gate.hand_off(s, conversation_id, decision)
        except Exception:
            # A broken check must not cost the customer their answer: log it and let the bot reply.
            log.exception("escalation check failed for %s", conversation_id)
            return None

    def _escalate_then_result(self, conversation_id: str, msg: Message, *, dialogue_available: bool) -> TurnResult:
        """The escalation check (and any handoff) and the turn's result, read in one transaction.

        The same as _escalate_if_needed then _result, one transaction fewer per turn (production mode
        pays a PostgreSQL round trip for each statement and commit)."""
        try:
            with self.rt.db.session() as s:
                handoff = None
                decision = self.gate.check(s, conversation_id, dialogue_available=dialogue_available)
                if decision is not None and decision.handoff:
                    handoff = self.gate.hand_off(s, conversation_id, decision)
                    s.flush()
                    s.expire_all()  # the handoff may have updated rows by statement: read them afresh
                return self._read_result(s, conversation_id, msg, handoff)
        except Exception:
            # A broken check must not cost the customer their answer: log it and let the bot's reply stand.
            log.exception("escalation check failed for %s", conversation_id)
            return self._result(conversation_id, msg, None)

    def _result(self, conversation_id: str, msg: Message, handoff: Any) -> TurnResult:
        with self.rt.db.session() as s:
            return self._read_result(s, conversation_id, msg, handoff)

    @staticmethod
    def _read_result(s: Any, conversation_id: str, msg: Message, handoff: Any) -> TurnResult:
        conv = store.get_conversation(s, conversation_id)
        later = list(store.list_messages(s, conversation_id, after_id=msg.id - 1))
        return TurnResult(conversation_id, conv.status, later, handoff=handoff)
