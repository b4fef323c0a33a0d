"""What only the served app does (issue 12): a short interpreter switch interval, a frozen start-up heap."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from core.db import Database
from core.settings import CoreSettings
from tests import fakes
from web.app import create_app
from web.settings import WebSettings


@pytest.fixture
def restore_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def serve(sqlite_db: Database, settings: CoreSettings, web: WebSettings) -> TestClient:
    app = create_app(settings, runtime_factory=lambda st: fakes.runtime(st, sqlite_db), web_settings=web)
    return TestClient(app, base_url="http://testserver")


def test_serving_sets_the_configured_interval_and_building_does_not(
        sqlite_db: Database, settings: CoreSettings, restore_interval: None) -> None:
    sys.setswitchinterval(0.005)
    client = serve(sqlite_db, settings, WebSettings(_env_file=None))  # type: ignore[call-arg]
    assert sys.getswitchinterval() == pytest.approx(0.005)  # built only: untouched
    with client:
        assert sys.getswitchinterval() == pytest.approx(0.001)  # the default, 1 ms
    with serve(sqlite_db, settings, WebSettings(_env_file=None, gil_switch_ms=2.5)):  # type: ignore[call-arg]
        assert sys.getswitchinterval() == pytest.approx(0.0025)


def test_the_interval_comes_from_the_environment_and_nonsense_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_WEB_GIL_SWITCH_MS", "0.5")
    assert WebSettings(_env_file=None).gil_switch_ms == 0.5  # type: ignore[call-arg]
    for bad in ("0", "-1", "1000", "fast"):
        monkeypatch.setenv("FIRSTLINE_WEB_GIL_SWITCH_MS", bad)
        with pytest.raises(ValidationError, match="gil_switch_ms"):
            WebSettings(_env_file=None)  # type: ignore[call-arg]


def test_the_served_app_freezes_its_start_up_heap_and_a_test_app_does_not(
        sqlite_db: Database, settings: CoreSettings) -> None:
    import gc

    assert gc.get_freeze_count() == 0
    try:
        with serve(sqlite_db, settings, WebSettings(_env_file=None)):  # type: ignore[call-arg]
            assert gc.get_freeze_count() == 0
        app = create_app(settings, runtime_factory=lambda st: fakes.runtime(st, sqlite_db),
                         web_settings=WebSettings(_env_file=None), freeze_heap=True)  # type: ignore[call-arg]
        with TestClient(app, base_url="http://testserver"):
            assert gc.get_freeze_count() > 10_000  # what start-up loaded: no longer walked by full collections
    finally:
        gc.unfreeze()


def test_the_uvicorn_entry_builds_the_app_with_a_frozen_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    import web.main

    seen: dict[str, object] = {}
    monkeypatch.setattr(web.main, "create_app", lambda **kw: seen.update(kw) or "app")
    assert web.main.create() == "app"
    assert seen == {"freeze_heap": True}
