"""The public channel: posts about the company forwarded by a listening tool, and replies sent back.

Format (JSON, UTF-8, signed: X-Firstline-Signature: sha256=<hex HMAC-SHA256 of the raw body>):
    {"id": "1790001" (optional; the same id is stored once), "author_handle": "@anna_travels",
     "text": "...", "url": "https://social.example/anna_travels/1790001", "follower_count": 10000,
     "posted_at": "2026-12-03T08:15:00Z"}
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from channels.base import ChannelError, Contact, DeliveryResult, OutboundReply
from channels.settings import ChannelsSettings

CHANNEL = "public"
IDENTITY_KIND = "public_handle"
HANDLE = re.compile(r"^@?[A-Za-z0-9_.\-]{1,64}$")
MAX_FOLLOWERS = 10**10


class PublicPost(BaseModel):
    """One public post, as the forwarder sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = Field(None, min_length=1, max_length=200, description="The network's post id (de-duplication)")
    author_handle: str = Field(..., description="The author's handle, with or without @")
    text: str = Field(..., min_length=1)
    url: str = Field(..., max_length=2000, description="Link to the post (http or https)")
    follower_count: int = Field(0, ge=0, le=MAX_FOLLOWERS)
    posted_at: datetime

    @field_validator("author_handle")
    @classmethod
    def _handle(cls, v: str) -> str:
        if not HANDLE.match(v):
            raise ValueError("must be 1-64 letters, digits, '_', '.' or '-', optionally after '@'")
        return "@" + v.lstrip("@")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        v = "".join(ch for ch in v if ch in "\n\t" or unicodedata.category(ch) != "Cc")
        v = unicodedata.normalize("NFC", v).strip()
        if not v:
            raise ValueError("is empty")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+\S*$", v):
            raise ValueError("must be an http(s) URL")
        return v

    @field_validator("posted_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        return v if v.tzinfo else v.replace(tzinfo=UTC)


class PublicAdapter:
    """Checks the signature and the format of a forwarded post; turns it into a Contact."""

    channel = CHANNEL

    def __init__(self, settings: ChannelsSettings) -> None:
        self.s = settings

    def accept(self, body: bytes, headers: Mapping[str, str]) -> Contact:
        from outbound import verify_signature

        secret = self.s.public_key()
        if not secret:
            raise ChannelError(503, "the public channel is not configured (set FIRSTLINE_CHANNELS_PUBLIC_SECRET)")
        if len(body) > self.s.max_post_bytes:
            raise ChannelError(413, f"the post is larger than {self.s.max_post_bytes} bytes")
        signature = headers.get("x-firstline-signature")
        if not signature:
            raise ChannelError(401, "the post is not signed (X-Firstline-Signature: sha256=<HMAC of the body>)")
        if not verify_signature(secret, body, signature):
            raise ChannelError(401, "the signature does not match the body")
        try:
            raw = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ChannelError(400, f"the body is not valid JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise ChannelError(422, "the body must be a JSON object")
        try:
            post = PublicPost.model_validate(raw)
        except ValidationError as exc:
            errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
            raise ChannelError(422, f"the post is malformed: {detail}", errors) from exc
        if len(post.text) > self.s.max_text_chars:
            raise ChannelError(422, f"the post is malformed: text: longer than {self.s.max_text_chars} characters",
                               [{"field": "text", "message": f"longer than {self.s.max_text_chars} characters"}])
        return contact_of(post)


def contact_of(post: PublicPost) -> Contact:
    handle = post.author_handle
    key = post.id or "sha256:" + hashlib.sha256(
        f"{handle.lower()}\n{post.posted_at.isoformat()}\n{post.text}".encode()).hexdigest()
    return Contact(CHANNEL, key, IDENTITY_KIND, handle.lower(), handle, post.text, post.url, post.posted_at,
                   post.follower_count, post.id)


class NotDelivered:
    """A reply that could not even be sent (no URL configured)."""

    def __init__(self, error: str) -> None:
        self.ok, self.error, self.attempts, self.status_code = False, error, 0, None


class PublicReplyConnector:
    """Posts agents' replies to the configured URL, signed, for the forwarder to publish."""

    channel = CHANNEL

    def __init__(self, settings: ChannelsSettings, sender: Any = None) -> None:
        from outbound import WebhookSender

        url, key = settings.public_reply_url, settings.reply_key()
        if sender is None and url and key:
            sender = WebhookSender(url, key)
        self.sender = sender
        self.missing = ("no reply URL is configured (FIRSTLINE_CHANNELS_PUBLIC_REPLY_URL)" if not url
                        else "no secret to sign replies with (FIRSTLINE_CHANNELS_PUBLIC_REPLY_SECRET)")

    def deliver(self, reply: OutboundReply) -> DeliveryResult:
        if self.sender is None:
            return NotDelivered(self.missing)
        payload: dict[str, Any] = {"post_id": reply.post_id, "post_url": reply.post_url, "in_reply_to": reply.author,
                                   "conversation_id": reply.conversation_id, "message_id": reply.message_id,
                                   "text": reply.text, "agent": reply.agent_name}
        result: DeliveryResult = self.sender.send("reply.created", payload)
        return result
