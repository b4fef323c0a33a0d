"""The handoff benchmark keeps each conversation with the product's replies, in the evaluate format."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bench.escalation import run
from escalation.dissatisfaction import load_dialogues


def fake_product() -> httpx.MockTransport:
    """A customer API that answers 'hi' with a greeting, 'human please' with a handoff, else no answer."""
    said: dict[str, list[dict]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/conversations":
            cid = f"c{len(said) + 1}"
            said[cid] = []
            return httpx.Response(201, json={"conversation_id": cid, "token": "t"})
        cid = request.url.path.split("/")[3]
        text = json.loads(request.content)["text"]
        msgs = [{"sender": "customer", "text": text, "meta": {}}]
        status = "pending"
        if text == "hi":
            msgs.append({"sender": "bot", "text": "Hello!", "meta": {"kind": "greeting"}})
        elif text == "human please":
            msgs.append({"sender": "system", "text": "Maria will join you", "meta": {"kind": "handoff"}})
            status = "queued"
        else:
            msgs += [{"sender": "bot", "text": "Busy today.", "meta": {"kind": "surge_notice"}},
                     {"sender": "bot", "text": "I don't have a good answer", "meta": {"kind": "no_answer"}},
                     {"sender": "bot", "text": "Anything else?", "meta": {}}]
        return httpx.Response(201, json={"status": status, "messages": msgs})

    return httpx.MockTransport(handler)


def test_measure_keeps_transcripts_labels_calm_turns_and_counts_false_handoffs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    convs = [{"group": "calm", "label": "bot", "messages": ["hi", "blah"]},
             {"group": "calm", "label": "bot", "messages": ["hi", "human please", "never sent"]},
             {"group": "asks", "label": "handoff", "messages": ["human please"]}]
    (tmp_path / "set.yml").write_text(json.dumps({"conversations": convs}))
    monkeypatch.setattr(run, "SET", tmp_path / "set.yml")
    transport = fake_product()
    real_client = httpx.Client
    monkeypatch.setattr(run.httpx, "Client", lambda **kw: real_client(transport=transport, **kw))
    report = run.measure("http://product", None, tmp_path / "t.jsonl")
    assert (report["precision"], report["recall"], report["no_handoff_conversations"]) == (0.5, 1.0, 2)
    assert report["false_handoffs_by_trigger"] == {"unknown": 1}  # no database given: the trigger is unknown
    first, second, third = load_dialogues(tmp_path / "t.jsonl")
    assert first["turns"] == [
        {"role": "user", "text": "hi", "label": 0},
        {"role": "bot", "text": "Hello!", "kind": "greeting"},
        {"role": "user", "text": "blah", "label": 0},
        {"role": "bot", "text": "I don't have a good answer", "kind": "no_answer"},  # the surge notice is no reply
        {"role": "bot", "text": "Anything else?", "kind": "reply"},
    ]
    assert [t["text"] for t in second["turns"]] == ["hi", "Hello!", "human please"]  # stops at the handoff
    assert third["turns"] == [{"role": "user", "text": "human please"}]  # a handoff conversation: unlabelled
