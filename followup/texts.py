"""What customers read about their promises: written for them, never from internal notes."""

from __future__ import annotations

from datetime import datetime

from escalation.hours import describe


def first_name(name: str | None) -> str:
    return (name or "Our team").split()[0]


def promise_made(owner: str, due: datetime, tz: str, what: str) -> str:
    return f"{owner} will get back to you by {describe(due, tz)}: {what}"


def overdue(number: str, owner: str | None, old_due: datetime, new_due: datetime, lead: str | None, tz: str,
            what: str | None) -> str:
    promised = f"{first_name(owner)} would get back to you" if owner else "to get back to you"
    taken = f"{lead}, who leads the team, is looking at your case now" if lead else "A team lead is looking at it now"
    about = f' (you were told: "{what}")' if what else ""
    return (f"About case {number}: we promised {promised} by {describe(old_due, tz)}{about}, and we haven't yet. "
            f"We're sorry. {taken}, and we will get back to you by {describe(new_due, tz)}.")


def update(number: str, owner: str, text: str) -> str:
    return f"About case {number}: {first_name(owner)} has an update for you: {text}"


def on_track(number: str, owner: str | None, due: datetime, tz: str, what: str | None) -> str:
    about = f": {what}" if what else ""
    return (f"About case {number}: {first_name(owner)} will get back to you by {describe(due, tz)}{about}. "
            "It's on track, and you don't need to do anything.")


def due_now(number: str, owner: str | None, due: datetime, tz: str) -> str:
    return (f"About case {number}: {first_name(owner)} was to get back to you by {describe(due, tz)}. "
            "We're checking on it right now and will tell you here what is happening.")


def email_body(text: str) -> str:
    return f"Hello,\n\n{text}\n\nYou can reply in the chat on our website at any time.\n\nThe support team\n"
