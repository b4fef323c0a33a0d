from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels import ChannelsSettings
from channels import install as install_channels
from core.db import Database
from core.settings import CoreSettings
from tests import factories, fakes
from tests.outbound.servers import HttpSink, http_sink
from web.app import create_app

SECRET = "public-channel-secret"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_body(**over: Any) -> bytes:
    post = {"id": "1790001", "author_handle": "@anna_travels",
            "text": "Our plane has been delayed 4 hours with children on board and nobody tells us anything",
            "url": "https://social.example/anna_travels/1790001", "follower_count": 10000,
            "posted_at": "2026-12-03T08:15:00Z"} | over
    return json.dumps({k: v for k, v in post.items() if v is not None}).encode()


@pytest.fixture
def reply_sink() -> Iterator[HttpSink]:
    with http_sink(SECRET) as sink:
        yield sink


@pytest.fixture
def public_client(settings: CoreSettings, db: Database, reply_sink: HttpSink) -> Iterator[TestClient]:
    with db.session() as s:
        factories.agent(s, "maria", display_name="Maria Lopez")
        factories.agent(s, "root", role="admin", display_name="Admin")
    chan = ChannelsSettings(_env_file=None, public_secret=SECRET, public_reply_url=reply_sink.url)  # type: ignore[call-arg]

    def runtime(st: CoreSettings) -> Any:
        rt = fakes.runtime(st, db)
        install_channels(rt, chan)
        return rt

    app = create_app(settings, runtime_factory=runtime)
    with TestClient(app, base_url="http://testserver") as client:
        yield client
