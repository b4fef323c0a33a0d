"""POST /api/channels/public/posts: signed posts become prioritised public conversations; replies go back signed."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from channels import ChannelsSettings, PublicReplyConnector
from channels.models import ChannelPost
from core.db import Database
from crm import Conversation, Customer, Handoff, Identity, Message
from outbound import WebhookSender
from tests.channels.conftest import SECRET, post_body, sign
from tests.outbound.servers import HttpSink
from tests.web.test_console import login, queued_for

URL = "/api/channels/public/posts"


def send(client: TestClient, body: bytes, signature: str | None = "auto") -> Any:
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["X-Firstline-Signature"] = sign(body) if signature == "auto" else signature
    return client.post(URL, content=body, headers=headers)


def stored(db: Database) -> tuple[int, int, int]:
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(Conversation)) or 0,
                s.scalar(select(func.count()).select_from(ChannelPost)) or 0,
                s.scalar(select(func.count()).select_from(Message)) or 0)


def test_signed_post_becomes_a_public_conversation_handed_to_a_named_person(public_client: TestClient,
                                                                            db: Database) -> None:
    r = send(public_client, post_body())
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["duplicate"], got["agent"], got["priority"]) == (False, "Maria Lopez", got["urgency"]["score"])
    assert got["urgency"]["explanation"] == "10,000 followers, neutral, mentions delayed, children on board"
    with db.session() as s:
        conv = s.get(Conversation, got["conversation_id"])
        assert conv is not None
        assert (conv.channel, conv.status, conv.assigned_agent.username) == ("public", "queued", "maria")
        assert conv.handoff_reason == ("Public post by @anna_travels: 10,000 followers, neutral, mentions delayed, "
                                       f"children on board (urgency {got['priority']})")
        ident = s.scalar(select(Identity).where(Identity.customer_id == conv.customer_id))
        assert ident is not None and (ident.kind, ident.value) == ("public_handle", "@anna_travels")
        first = s.scalar(select(Message).where(Message.conversation_id == conv.id).order_by(Message.id))
        assert first is not None and first.meta["url"] == "https://social.example/anna_travels/1790001"
        handoff = s.scalar(select(Handoff).where(Handoff.conversation_id == conv.id))
        assert handoff is not None and handoff.trigger == "public_post"
        assert handoff.packet["public_post"]["urgency"]["followers"] == 10000
        assert handoff.packet["customer"]["identities"] == ["public_handle: @anna_travels"]
        assert handoff.packet["channel"] == "public"


def test_public_post_lands_at_the_top_of_the_console_queue(public_client: TestClient, db: Database) -> None:
    chats = [queued_for(db, None) for _ in range(2)]  # two ordinary chats waited first
    r = send(public_client, post_body(id="p-2"))
    login(public_client, "root")
    queue = public_client.get("/api/console/conversations").json()["queue"]
    assert [q["id"] for q in queue][0] == r.json()["conversation_id"]
    assert set(chats) <= {q["id"] for q in queue}
    top = queue[0]
    assert (top["channel"], top["priority"], top["customer"]) == ("public", r.json()["priority"], "@anna_travels")
    assert top["reason"].startswith("Public post by @anna_travels: 10,000 followers")


def test_same_post_id_twice_is_stored_once(public_client: TestClient, db: Database) -> None:
    first = send(public_client, post_body())
    again = send(public_client, post_body(text="edited text, same post"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["conversation_id"] == first.json()["conversation_id"] and again.json()["duplicate"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ChannelPost)) == 1
        assert s.scalar(select(func.count()).select_from(Customer)) == 1


@pytest.mark.parametrize(("body", "signature", "status", "detail"), [
    (post_body(), None, 401, "the post is not signed"),
    (post_body(), sign(post_body(), "wrong-secret"), 401, "the signature does not match the body"),
    (post_body(), "sha256=zz", 401, "the signature does not match the body"),
    (b"{not json", "auto", 400, "the body is not valid JSON"),
    (b"[1, 2]", "auto", 422, "the body must be a JSON object"),
    (post_body(text="   "), "auto", 422, "the post is malformed: text: String should have at least 1 character"),
    (post_body(url="javascript:alert(1)"), "auto", 422,
     "the post is malformed: url: Value error, must be an http(s) URL"),
    (post_body(author_handle="<script>"), "auto", 422, "the post is malformed: author_handle"),
    (post_body(follower_count=-5), "auto", 422, "the post is malformed: follower_count"),
    (post_body(posted_at=None), "auto", 422, "the post is malformed: posted_at: Field required"),
    (post_body(extra_field=1), "auto", 422, "the post is malformed: extra_field: Extra inputs are not permitted"),
    (post_body(text="x" * 2001), "auto", 422, "the post is malformed: text: longer than 2000 characters"),
    (post_body(text="x" * 17000), "auto", 413, "the post is larger than 16384 bytes"),
])
def test_bad_posts_are_refused_with_a_clear_error_and_store_nothing(public_client: TestClient, db: Database,
                                                                    body: bytes, signature: str | None, status: int,
                                                                    detail: str) -> None:
    r = send(public_client, body, signature)
    assert r.status_code == status, r.text
    assert r.json()["detail"].startswith(detail)
    assert stored(db) == (0, 0, 0)


def test_public_channel_refuses_every_post_while_no_secret_is_configured(public_client: TestClient,
                                                                        db: Database) -> None:
    rt = public_client.app.state.runtime  # type: ignore[attr-defined]
    rt.extras["inbound"]["public"].s = ChannelsSettings(_env_file=None)  # type: ignore[call-arg]
    r = send(public_client, post_body())
    assert (r.status_code, r.json()["detail"]) == (
        503, "the public channel is not configured (set FIRSTLINE_CHANNELS_PUBLIC_SECRET)")
    assert stored(db) == (0, 0, 0)


def wait_for_delivery(db: Database, message_id: int, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as s:
            msg = s.get(Message, message_id)
            state = (msg.meta or {}).get("delivery") if msg else None
        if state and state["state"] != "sending":
            return state  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"reply {message_id} was not delivered or failed within {timeout} s")


def reply_as_maria(client: TestClient, cid: str, text: str) -> int:
    login(client, "maria")
    assert client.post(f"/api/console/conversations/{cid}/accept").status_code == 200
    r = client.post(f"/api/console/conversations/{cid}/reply", json={"text": text})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_agent_reply_on_a_public_conversation_is_posted_back_signed(public_client: TestClient, db: Database,
                                                                    reply_sink: HttpSink) -> None:
    cid = send(public_client, post_body()).json()["conversation_id"]
    seen: list[dict] = []
    bus = public_client.app.state.runtime.bus  # type: ignore[attr-defined]
    bus.on("delivery.updated", lambda e: seen.append(e.data))
    mid = reply_as_maria(public_client, cid, "So sorry, Anna. I've asked the crew to update you now.")
    state = wait_for_delivery(db, mid)
    assert (state["state"], state["error"], state["attempts"]) == ("delivered", None, 1)
    [req] = reply_sink.requests
    assert req.signature_ok and req.headers["x-firstline-event"] == "reply.created"
    data = req.json()["data"]
    assert {k: data[k] for k in ("post_id", "post_url", "in_reply_to", "conversation_id", "message_id", "agent")} == {
        "post_id": "1790001", "post_url": "https://social.example/anna_travels/1790001",
        "in_reply_to": "@anna_travels", "conversation_id": cid, "message_id": mid, "agent": "Maria Lopez"}
    assert data["text"].startswith("So sorry, Anna.")
    assert seen and seen[-1]["state"] == "delivered"
    shown = public_client.get(f"/api/console/conversations/{cid}").json()["messages"]
    assert [m["meta"].get("delivery", {}).get("state") for m in shown if m["id"] == mid] == ["delivered"]


def test_failed_reply_delivery_is_recorded_and_shown_to_the_agent(public_client: TestClient, db: Database) -> None:
    from firstline.launch import free_port

    cid = send(public_client, post_body()).json()["conversation_id"]
    rt = public_client.app.state.runtime  # type: ignore[attr-defined]
    dead = WebhookSender(f"http://127.0.0.1:{free_port()}/gone", SECRET, attempts=2, sleep=lambda s: None)
    no_settings = ChannelsSettings(_env_file=None)  # type: ignore[call-arg]
    rt.extras["reply_dispatcher"].connectors["public"] = PublicReplyConnector(no_settings, sender=dead)
    mid = reply_as_maria(public_client, cid, "We're on it.")
    state = wait_for_delivery(db, mid)
    assert (state["state"], state["attempts"]) == ("failed", 2)
    assert state["error"].startswith("connection error")
    shown = public_client.get(f"/api/console/conversations/{cid}").json()["messages"]
    assert [m["meta"]["delivery"]["state"] for m in shown if m["id"] == mid] == ["failed"]


def test_reply_without_a_configured_reply_url_is_marked_undelivered(public_client: TestClient, db: Database) -> None:
    cid = send(public_client, post_body()).json()["conversation_id"]
    rt = public_client.app.state.runtime  # type: ignore[attr-defined]
    rt.extras["reply_dispatcher"].connectors["public"] = PublicReplyConnector(
        ChannelsSettings(_env_file=None, public_secret=SECRET))  # type: ignore[call-arg]
    mid = reply_as_maria(public_client, cid, "Hello")
    state = wait_for_delivery(db, mid)
    assert (state["state"], state["error"]) == (
        "failed", "no reply URL is configured (FIRSTLINE_CHANNELS_PUBLIC_REPLY_URL)")


def test_widget_chat_replies_are_not_sent_to_any_channel(public_client: TestClient, db: Database,
                                                         reply_sink: HttpSink) -> None:
    cid = queued_for(db, "maria")
    mid = reply_as_maria(public_client, cid, "Hi from the widget side")
    time.sleep(0.2)  # give a wrongly dispatched delivery the chance to show up
    with db.session() as s:
        msg = s.get(Message, mid)
        assert msg is not None and "delivery" not in (msg.meta or {})
    assert reply_sink.requests == []


def test_agent_sends_a_failed_reply_again_once_the_channel_is_back(public_client: TestClient, db: Database,
                                                                   reply_sink: HttpSink) -> None:
    from firstline.launch import free_port

    cid = send(public_client, post_body()).json()["conversation_id"]
    dispatcher = public_client.app.state.runtime.extras["reply_dispatcher"]  # type: ignore[attr-defined]
    working = dispatcher.connectors["public"]
    dead = WebhookSender(f"http://127.0.0.1:{free_port()}/gone", SECRET, attempts=1)
    dispatcher.connectors["public"] = PublicReplyConnector(ChannelsSettings(_env_file=None),  # type: ignore[call-arg]
                                                           sender=dead)
    mid = reply_as_maria(public_client, cid, "We're on it.")
    assert wait_for_delivery(db, mid)["state"] == "failed"
    dispatcher.connectors["public"] = working
    assert public_client.post(f"/api/channels/replies/{mid}/retry").status_code == 202
    assert wait_for_delivery(db, mid)["state"] == "delivered"
    assert [r.json()["data"]["text"] for r in reply_sink.requests] == ["We're on it."]
    r = public_client.post(f"/api/channels/replies/{mid}/retry")
    assert (r.status_code, r.json()["detail"]) == (409, "only a reply that failed to deliver can be sent again")
    public_client.post("/logout")
    assert public_client.post(f"/api/channels/replies/{mid}/retry").status_code == 401
