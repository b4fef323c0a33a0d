"""`firstline customer export|erase ID`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import CoreSettings
from crm import Customer, Erasure, Sender, store
from firstline import cli
from tests import factories
from tests.conftest import make_settings


def test_customer_cli_exports_then_erases_with_an_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from core.db import Database
    from crm import migrate

    settings: CoreSettings = make_settings(tmp_path)
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    db = Database(settings.database_url)
    migrate(db)
    with db.session() as s:
        conv = factories.conversation(s, customer=factories.customer(s, name="Rui Costa", email="rui@example.com"))
        store.add_message(s, conv, Sender.CUSTOMER, "where is my refund")
        customer_id = conv.customer_id

    assert cli.main(["customer", "export", customer_id]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["profile"]["email"] == "rui@example.com"
    assert data["conversations"][0]["messages"][0]["text"] == "where is my refund"

    assert cli.main(["customer", "erase", customer_id, "--by", "dpo"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["messages"] == 1
    with db.session() as s:
        assert s.get(Customer, customer_id) is None
        assert [(e.customer_id, e.erased_by) for e in s.query(Erasure)] == [(customer_id, "dpo")]
    assert cli.main(["customer", "erase", customer_id]) == 2
    assert "not found" in capsys.readouterr().err
    db.dispose()


def test_customer_cli_erase_tells_a_running_production_desk_through_redis(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    import threading

    from core.db import Database
    from core.events import events
    from core.redis_bus import make_bus
    from crm import migrate

    settings: CoreSettings = make_settings(tmp_path, redis_url=redis_url)
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    db = Database(settings.database_url)
    migrate(db)
    with db.session() as s:
        conv = factories.conversation(s, customer=factories.customer(s, name="Rui Costa"))
        store.add_message(s, conv, Sender.CUSTOMER, "where is my refund, ref 11ab")
        customer_id = conv.customer_id
    worker = make_bus(redis_url, channel_key=settings.database_url)  # a worker of the running desk
    heard: list[dict] = []
    got = threading.Event()
    worker.on_every_worker(events.CUSTOMER_ERASED, lambda e: (heard.append(e.data), got.set()))
    try:
        assert worker.wait_subscribed(5)  # type: ignore[attr-defined]
        assert cli.main(["customer", "erase", customer_id]) == 0
        assert got.wait(5)
        assert heard == [{"customer_id": customer_id, "texts": ["where is my refund, ref 11ab"]}]
    finally:
        worker.close()
        db.dispose()
