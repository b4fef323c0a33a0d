"""The action webhook keeps rasa-sdk's contract for the payloads Rasa 3.6.21 really sends.

tests/fixtures/rasa_action_calls.json was produced by Rasa 3.6.21's own RemoteAction
(tests/fixtures/make_action_calls.py, run in .venv-rasa).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from fastapi.testclient import TestClient

from core.db import Database
from tests import factories
from web.security import internal_token

CALLS = json.loads((Path(__file__).parents[1] / "fixtures" / "rasa_action_calls.json").read_text())


def post(client: TestClient, call: dict) -> tuple[int, dict]:
    r = client.post(f"/webhook?token={internal_token('test-secret')}", json=call)
    return r.status_code, r.json()


def call_for(name: str, conversation_id: str) -> dict:
    call = copy.deepcopy(CALLS[name])
    call["sender_id"] = call["tracker"]["sender_id"] = conversation_id
    return call


def test_greet_for_known_customer_returns_exact_events_and_message(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        ana = factories.customer(s, external_id="cust-1001", name="Ana Silva")
        factories.case(s, ana, "CS-10423")
        cid, customer_id = factories.conversation(s, customer=ana).id, ana.id
    status, body = post(app_client, call_for("action_greet", cid))
    assert status == 200
    assert body["events"] == [
        {"event": "slot", "timestamp": None, "name": "customer_id", "value": customer_id},
        {"event": "slot", "timestamp": None, "name": "segment", "value": "residential"},
        {"event": "slot", "timestamp": None, "name": "customer_name", "value": "Ana Silva"},
    ]
    [response] = body["responses"]
    assert response["custom"]["kind"] == "greeting"
    assert response["custom"]["case_number"] == "CS-10423"
    assert response["custom"]["text"].startswith("Hi Ana, welcome back. I can see case CS-10423")


def test_case_status_reads_the_entity_and_never_shows_another_customers_case(
    app_client: TestClient, db: Database
) -> None:
    with db.session() as s:
        owner = factories.customer(s, external_id="cust-1", name="Owner")
        factories.case(s, owner, "CS-10423")
        other = factories.customer(s, external_id="cust-2", name="Someone Else")
        mine, theirs = factories.conversation(s, customer=owner).id, factories.conversation(s, customer=other).id
    status, body = post(app_client, call_for("action_case_status", mine))
    assert status == 200 and body["events"] == []
    text = body["responses"][0]["custom"]["text"]
    assert text.startswith("Case CS-10423 (Intermittent drop-outs every evening) is open")
    _, body = post(app_client, call_for("action_case_status", theirs))
    assert body["responses"][0]["custom"]["text"].startswith("I can't find case CS-10423 on your account.")


def test_unknown_action_is_404_with_rasa_sdk_error_shape(app_client: TestClient, db: Database) -> None:
    with db.session() as s:
        cid = factories.conversation(s).id
    call = call_for("action_greet", cid)
    call["next_action"] = "action_does_not_exist"
    status, body = post(app_client, call)
    assert (status, body) == (404, {"error": "No registered action found for name 'action_does_not_exist'.",
                                    "action_name": "action_does_not_exist"})


def test_webhook_lists_every_domain_action_as_registered(app_client: TestClient) -> None:
    import yaml

    domain = yaml.safe_load((Path(__file__).parents[2] / "bot" / "domain.yml").read_text())
    registered = set(app_client.app.state.action_executor.actions)  # type: ignore[attr-defined]
    assert registered == set(domain["actions"])


def test_webhook_rejects_bad_token_and_bad_body(app_client: TestClient) -> None:
    assert app_client.post("/webhook?token=wrong", json=CALLS["action_greet"]).status_code == 401
    r = app_client.post(f"/webhook?token={internal_token('test-secret')}", content=b"[1,2]",
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_action_calls_in_one_thread_share_one_loop_which_closes_with_the_thread() -> None:
    import asyncio
    import gc
    import threading

    from rasa_sdk.interfaces import ActionNotFoundException

    from web.routes.rasa_bridge import run_action

    class Executor:
        def __init__(self) -> None:
            self.loops: list[asyncio.AbstractEventLoop] = []

        async def run(self, call: dict) -> str:
            self.loops.append(asyncio.get_running_loop())
            if call.get("next_action") == "missing":
                raise ActionNotFoundException("missing")
            return call["next_action"]

    ex = Executor()
    seen: list[object] = []

    def worker() -> None:
        seen.append(run_action(ex, {"next_action": "a"}))
        try:
            run_action(ex, {"next_action": "missing"})
        except ActionNotFoundException:
            seen.append("refused")
        seen.append(run_action(ex, {"next_action": "b"}))  # a failed call leaves the loop usable

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == ["a", "refused", "b"]
    assert len(ex.loops) == 3 and len({id(loop) for loop in ex.loops}) == 1
    gc.collect()
    assert ex.loops[0].is_closed()  # the thread ended: its loop does not leak
