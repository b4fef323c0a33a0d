"""schemathesis over every operation of the OpenAPI (issue 12): no server error, no schema violation,
no undocumented status code.

Customer operations run with a valid conversation token for the conversation in their path, console
operations with a logged-in agent (and her CSRF token) on a conversation she owns, Rasa's endpoints
with the internal token: so the fuzzer reaches the code behind the checks, not only the 401s and 404s.
Bounded and deterministic (derandomized Hypothesis, FUZZ_EXAMPLES per operation) to keep CI fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.db import Database
from crm import ConversationStatus, Sender, store
from tests import factories, fakes
from tests.conftest import make_settings
from tests.web.conftest import start
from tests.web.staff import login
from web.app import create_app
from web.security import internal_token

FUZZ_EXAMPLES = int(os.environ.get("FIRSTLINE_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _spec() -> dict:
    # The OpenAPI document needs no runtime: build the app and ask it (no lifespan runs).
    return create_app(make_settings(Path("/nonexistent-fuzz-data"))).openapi()


schema = schemathesis.openapi.from_dict(_spec())


@dataclass
class Fuzz:
    client: TestClient
    db: Database
    customer_cid: str
    customer_auth: dict[str, str]

    def owned_conversation(self) -> str:
        """A fresh conversation that Maria holds, so every console action has something to act on."""
        with self.db.session() as s:
            conv = factories.conversation(s)
            store.add_message(s, conv, Sender.CUSTOMER, "my bill is wrong")
            maria = store.agent_by_username(s, "maria")
            assert maria is not None
            store.set_status(s, conv.id, ConversationStatus.OPEN, assigned_agent_id=maria.id)
            return conv.id


@pytest.fixture
def fuzz(db: Database, tmp_path: Path) -> Iterator[Fuzz]:
    """On SQLite, and on PostgreSQL too when DATABASE_URL is set (NUL in text was a 500 there only)."""
    with db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez")
        factories.agent(s, "tom", display_name="Tom Okafor", team="Technical Support")
    st = make_settings(tmp_path)
    app = create_app(st, runtime_factory=lambda s_: fakes.runtime(s_, db))
    with TestClient(app, base_url="http://testserver") as client:
        cid, auth = start(client)
        client.post(f"/api/conversations/{cid}/messages", json={"text": "hello"}, headers=auth)
        login(client, "maria")
        yield Fuzz(client, db, cid, auth)


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_api_fuzz_has_no_server_error_or_undocumented_answer(case: schemathesis.Case, fuzz: Fuzz) -> None:
    path = case.operation.path
    headers: dict[str, str] = {}
    if path.startswith("/api/conversations/{conversation_id}"):
        case.path_parameters = {**(case.path_parameters or {}), "conversation_id": fuzz.customer_cid}
        headers = dict(fuzz.customer_auth)
    elif path.startswith("/api/console/conversations/{conversation_id}"):
        case.path_parameters = {**(case.path_parameters or {}), "conversation_id": fuzz.owned_conversation()}
    elif path in ("/nlu/model/parse", "/webhook"):
        case.query = {**(case.query or {}), "token": internal_token("test-secret")}
    headers.update({k: v for k, v in fuzz.client.headers.items() if k.lower() == "x-csrf-token"})
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    kwargs.pop("verify", None)
    if isinstance(kwargs.get("data"), bytes | str):  # raw bodies go as content in httpx
        kwargs["content"] = kwargs.pop("data")
    assert not kwargs.pop("cookies", None), "no operation of ours takes a cookie parameter"
    response = fuzz.client.request(**kwargs)
    case.validate_response(response, checks=CHECKS)
