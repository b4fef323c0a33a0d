"""Several workers starting at once on one fresh database: one migrates, seeds and creates the
scheduler's job table; none fails.

Regression: two uvicorn workers ran Alembic together on a new PostgreSQL database; one died with a
duplicate key on `alembic_version`, and uvicorn's master then stopped the whole app ("connection
refused" for every later request of the production e2e module).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import Database
from core.settings import ROOT
from tests.conftest import PG_URL, _pg_admin, _pg_url

WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from core.settings import CoreSettings
    from web.startup import prepare_database
    settings = CoreSettings(database_url=sys.argv[1], data_dir=Path(sys.argv[2]))
    db, notes = prepare_database(settings)
    from core.redis_bus import make_bus
    from followup import start_followups
    sched = start_followups(db, make_bus("", channel_key=sys.argv[1]))  # creates APScheduler's job table
    sched.shutdown()
    db.dispose()
    print("started")
""")


def _start_together(url: str, data_dir: Path, n: int = 3) -> list[subprocess.CompletedProcess[str]]:
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, str(data_dir)], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(n)]
    done = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out))
    return done


def _assert_started_once(url: str, data_dir: Path) -> None:
    results = _start_together(url, data_dir)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stdout[-2000:] for r in results]
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            agents = conn.execute(text("SELECT username FROM agents")).scalars().all()
            admins = conn.execute(text("SELECT count(*) FROM agents WHERE role = 'admin'")).scalar()
    finally:
        db.dispose()
    assert len(agents) == len(set(agents)) and admins == 1
    # one password line per account: the seeding ran once
    lines = (data_dir / "credentials.txt").read_text().splitlines()
    assert len(lines) == len(agents), lines


def test_startup_lock_three_workers_on_a_fresh_sqlite_file_all_start_and_seed_once(tmp_path: Path) -> None:
    _assert_started_once(f"sqlite:///{tmp_path / 'firstline.db'}", tmp_path)


def test_startup_lock_three_workers_on_a_fresh_postgresql_database_all_start_and_seed_once(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("DATABASE_URL is not set: PostgreSQL tests need a server (.ci/run sets it)")
    name = f"firstline_start_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        _assert_started_once(_pg_url(name), tmp_path)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
