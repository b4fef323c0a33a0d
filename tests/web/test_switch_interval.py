"""The served app's interpreter switch interval (issue 12: a turn's waits must not queue 5 ms each)."""

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
