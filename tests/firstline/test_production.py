"""Production mode refuses to start without PostgreSQL, Redis and a real secret, and says what to set."""

from __future__ import annotations

from pathlib import Path

import pytest

from firstline import production
from firstline.production import ProductionError, check
from tests.conftest import make_settings


def test_check_embedded_defaults_names_every_missing_piece(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIRSTLINE_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    with pytest.raises(ProductionError) as err:
        check(make_settings(tmp_path))
    msg = str(err.value)
    assert "DATABASE_URL must point at PostgreSQL" in msg
    assert "REDIS_URL must be set" in msg
    assert "FIRSTLINE_SECRET_KEY must be set to a real secret" in msg


def test_check_unreachable_postgres_is_refused_with_its_error(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_SECRET_KEY", "a-real-secret-of-enough-length")
    from firstline.launch import free_port

    settings = make_settings(tmp_path, database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/x",
                             redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(ProductionError, match="PostgreSQL at DATABASE_URL is unreachable"):
        check(settings)


def test_cli_run_production_without_settings_exits_2_before_training(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from core.settings import get_settings
    from firstline.cli import main

    for name in ("FIRSTLINE_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FIRSTLINE_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FIRSTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    trained: list[object] = []
    monkeypatch.setattr("firstline.supervisor.train_in_child", lambda s: trained.append(s))
    try:
        assert main(["run", "--production"]) == 2
    finally:
        get_settings.cache_clear()
    assert trained == []
    assert "refusing to start in production mode: DATABASE_URL must point at PostgreSQL" in capsys.readouterr().out


def test_production_services_two_rasa_servers_share_postgres_tracker_and_redis_lock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path, database_url="postgresql://fl:pw@127.0.0.1:5432/desk",
                             redis_url="redis://127.0.0.1:6379/0", rasa_port=6100, app_port=8100)
    run = production.RunSettings(app_workers=3, rasa_servers=2)
    services = production.production_services(settings, run, tmp_path / "model.tar.gz", tmp_path)
    assert [s.name for s in services] == ["app", "rasa-1", "rasa-2"]
    app = services[0]
    assert app.cmd[app.cmd.index("--workers") + 1] == "3"
    assert app.env["FIRSTLINE_RASA_URL"] == "http://127.0.0.1:6100,http://127.0.0.1:6101"
    assert app.env["FIRSTLINE_MODE"] == "production"
    assert services[2].start_after == "rasa-1" and services[2].health_url == "http://127.0.0.1:6101/"
    endpoints = (tmp_path / "rasa" / "endpoints.yml").read_text()
    assert "tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: 127.0.0.1\n" in endpoints
    assert "  db: desk\n" in endpoints
    assert "lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: 6379\n" in endpoints


def test_cli_rasa_endpoints_for_compose_points_rasa_at_the_app_service(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import get_settings
    from firstline.cli import main
    from web.security import internal_token

    monkeypatch.setenv("FIRSTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FIRSTLINE_SECRET_KEY", "compose-secret-0123456789")
    monkeypatch.setenv("DATABASE_URL", "postgresql://firstline:pw@postgres:5432/firstline")
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    get_settings.cache_clear()
    try:
        assert main(["rasa-endpoints", "--app-url", "http://app:8000", "--out", str(tmp_path / "e.yml"),
                     "--token-out", str(tmp_path / "token")]) == 0
    finally:
        get_settings.cache_clear()
    text = (tmp_path / "e.yml").read_text()
    assert "nlu:\n  url: http://app:8000/nlu\n" in text and "url: http://app:8000/webhook" in text
    assert "  url: postgres\n" in text and "lock_store:\n  type: redis\n  url: redis\n" in text
    assert (tmp_path / "token").read_text() == internal_token("compose-secret-0123456789")
