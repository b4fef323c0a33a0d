"""The channel interface: an inbound adapter turns a request into a Contact; an outbound connector delivers a reply.

Email or another chat channel plugs in the same way: an adapter that authenticates and parses its
requests, a connector that sends agents' replies back, both registered under the channel's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class ChannelError(Exception):
    """A request the channel refuses: the HTTP status and a message that says what is wrong."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


@dataclass(frozen=True)
class Contact:
    """One inbound item in channel-neutral form: who wrote what, where, and how far it reaches."""

    channel: str
    external_id: str  # the sender's id for the item: the same id is stored once
    identity_kind: str  # how the author is recognised, e.g. public_handle, email
    identity_value: str
    display_name: str
    text: str
    url: str | None = None
    posted_at: datetime | None = None
    reach: int = 0  # followers, list members...: how many people see it
    given_id: str | None = None  # the id as the sender gave it (None when it gave none)


@dataclass(frozen=True)
class OutboundReply:
    """An agent's reply to deliver on the channel the conversation came from."""

    channel: str
    conversation_id: str
    message_id: int
    text: str
    agent_name: str | None
    post_id: str | None
    post_url: str | None
    author: str
    extra: dict[str, Any] = field(default_factory=dict)


class InboundAdapter(Protocol):
    channel: str

    def accept(self, body: bytes, headers: Mapping[str, str]) -> Contact:
        """Authenticate and parse one request; raise ChannelError (nothing is stored) when refused."""
        ...


class DeliveryResult(Protocol):
    ok: bool
    error: str | None
    attempts: int


class OutboundConnector(Protocol):
    channel: str

    def deliver(self, reply: OutboundReply) -> DeliveryResult:
        """Send the reply; never raise: the result says whether it arrived."""
        ...
