"""The patches the Rasa processes load (bot/rasa_site/sitecustomize.py), run in Rasa's own environment."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from firstline.rasa_project import RASA_BIN, rasa_env

RASA_PYTHON = RASA_BIN.parent / "python"

pytestmark = pytest.mark.skipif(not RASA_PYTHON.exists(), reason="the Rasa environment is built by `make setup`")


def run_in_rasa(code: str, tmp_path: Path) -> dict:
    """Run code in Rasa's interpreter with the same environment the supervisor gives Rasa; return its JSON."""
    proc = subprocess.run([str(RASA_PYTHON), "-c", textwrap.dedent(code)], env=rasa_env(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Error in sitecustomize" not in proc.stderr, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_rasa_site_schema_check_cached_and_still_strict(tmp_path: Path) -> None:
    out = run_in_rasa("""
        import json, jsonschema
        schema = {"type": "object", "properties": {"events": {"type": "array"}}, "required": ["events"]}
        jsonschema.validate({"events": []}, schema)
        try:
            jsonschema.validate({"events": 3}, schema)
            bad = "accepted"
        except jsonschema.ValidationError as e:
            bad = e.message
        print(json.dumps({"module": jsonschema.validate.__module__, "bad": bad}))
    """, tmp_path)
    assert out == {"module": "sitecustomize", "bad": "3 is not of type 'array'"}


def test_rasa_site_sqlite_tracker_commits_without_waiting_for_disk(tmp_path: Path) -> None:
    out = run_in_rasa("""
        import json, sqlalchemy as sa
        engine = sa.create_engine("sqlite:///tracker.db")
        with engine.connect() as c:
            print(json.dumps({"journal": c.exec_driver_sql("PRAGMA journal_mode").scalar(),
                              "synchronous": c.exec_driver_sql("PRAGMA synchronous").scalar()}))
    """, tmp_path)
    assert out == {"journal": "wal", "synchronous": 1}  # 1 = NORMAL (the default, FULL, is 2)


def test_rasa_site_interpreter_takes_the_apps_parse_of_this_text(tmp_path: Path) -> None:
    out = run_in_rasa("""
        import asyncio, json
        from rasa.core.channels import UserMessage
        from rasa.core.http_interpreter import RasaNLUHttpInterpreter
        from rasa.utils.endpoints import EndpointConfig

        async def main():
            # Nothing listens on port 9: a parse that went over HTTP comes back as Rasa's empty default.
            i = RasaNLUHttpInterpreter(EndpointConfig("http://127.0.0.1:9"))
            given = {"intent": {"name": "pay_bill", "confidence": 0.93}, "entities": [], "text": "pay my bill"}
            ok = UserMessage("pay my bill", metadata={"firstline_parse": given, "message_id": 7})
            took = await i.parse(ok)
            other = UserMessage("something else", metadata={"firstline_parse": given})
            refused = await i.parse(other)
            malformed = UserMessage("pay my bill", metadata={"firstline_parse": {"intent": "pay_bill"}})
            refused_malformed = await i.parse(malformed)
            plain = await i.parse(UserMessage("pay my bill"))
            await i.session.close()
            return {"took": took, "meta_after": ok.metadata, "other_meta_after": other.metadata,
                    "refused": refused["intent"]["name"], "refused_malformed": refused_malformed["intent"]["name"],
                    "plain": plain["intent"]["name"]}

        print(json.dumps(asyncio.run(main())))
    """, tmp_path)
    assert out["took"] == {"intent": {"name": "pay_bill", "confidence": 0.93}, "entities": [], "text": "pay my bill"}
    assert out["meta_after"] == {"message_id": 7}  # the tracker keeps the parse once, as Rasa's parse data
    assert out["other_meta_after"] == {}
    # Another text's parse, a malformed one, or none at all: asked over HTTP (here: nobody answers).
    assert (out["refused"], out["refused_malformed"], out["plain"]) == ("", "", "")


def test_rasa_site_postgres_tracker_commits_asynchronously(tmp_path: Path) -> None:
    from tests.conftest import PG_URL

    if not PG_URL:
        pytest.skip("DATABASE_URL (PostgreSQL) not set")
    url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    out = run_in_rasa(f"""
        import json, sqlalchemy as sa
        engine = sa.create_engine({url!r})
        with engine.connect() as c:
            print(json.dumps({{"synchronous_commit": c.exec_driver_sql("SHOW synchronous_commit").scalar()}}))
    """, tmp_path)
    assert out == {"synchronous_commit": "off"}


def test_rasa_site_tracker_store_keeps_trackers_and_reads_back_whenever_the_database_moved(tmp_path: Path) -> None:
    out = run_in_rasa("""
        import asyncio, json
        import sqlalchemy as sa
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
        from rasa.shared.core.trackers import DialogueStateTracker

        domain = Domain.from_dict({"intents": ["greet"], "responses": {"utter_greet": [{"text": "hi"}]}})

        def store():
            return SQLTrackerStore(domain=domain, dialect="sqlite", db="tracker.db")

        def events_of(t):
            return [e.as_dict()["event"] + ":" + str(e.as_dict().get("name") or e.as_dict().get("text"))
                    for e in t.events]

        async def main():
            a, b = store(), store()  # two Rasa servers on one database
            reads = []
            sa.event.listen(a.engine, "before_cursor_execute",
                            lambda c, cur, stmt, *rest: reads.append(stmt) if "events.data" in stmt else None)
            t = DialogueStateTracker.from_events("c1", [ActionExecuted("action_session_start", timestamp=1.0),
                                                         SessionStarted(timestamp=2.0),
                                                         ActionExecuted("action_listen", timestamp=3.0)], domain.slots)
            await a.save(t)  # new: written as Rasa writes it, not kept (it starts a session)
            first = await a.retrieve("c1")
            reads_first = len(reads)
            first.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
            first.update(ActionExecuted("utter_greet"))
            await a.save(first)
            again = await a.retrieve("c1")
            out = {"kept": again is first, "reads_on_hit": len(reads) - reads_first,
                   "other_server_sees": events_of(await b.retrieve("c1")), "kept_events": events_of(again)}
            # another server answers a turn: this one reads the conversation back
            other = await b.retrieve("c1")
            other.update(UserUttered("again", {"name": "greet", "confidence": 1.0}))
            await b.save(other)
            moved = await a.retrieve("c1")
            out["after_other_server"] = {"kept": moved is first, "events": events_of(moved)}
            # a turn that failed before its save: its events never reach the next turn
            moved.update(UserUttered("lost", {"name": "greet", "confidence": 1.0}))
            out["after_failed_turn"] = events_of(await a.retrieve("c1"))
            # an erasure deletes the rows: nothing is served from memory
            with a.engine.begin() as c:
                c.execute(sa.text("DELETE FROM events WHERE sender_id = 'c1'"))
            out["after_erasure"] = await a.retrieve("c1")
            return out

        print(json.dumps(asyncio.run(main())))
    """, tmp_path)
    saved = ["session_started:None", "action:action_listen", "user:hello", "action:utter_greet"]
    assert out["kept"] is True and out["reads_on_hit"] == 0  # a kept tracker: no events read back
    assert out["kept_events"] == out["other_server_sees"] == saved  # the same rows Rasa's own save writes
    assert out["after_other_server"] == {"kept": False, "events": saved + ["user:again"]}
    assert out["after_failed_turn"] == saved + ["user:again"]
    assert out["after_erasure"] is None


def test_rasa_site_tracker_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_RASA_TRACKER_CACHE", "0")
    out = run_in_rasa("""
        import json
        from rasa.core.tracker_store import SQLTrackerStore
        print(json.dumps({"module": SQLTrackerStore.save.__module__}))
    """, tmp_path)
    assert out == {"module": "rasa.core.tracker_store"}


def test_rasa_site_tracker_cache_keeps_the_most_recently_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_RASA_TRACKER_CACHE", "2")
    out = run_in_rasa("""
        import asyncio, json
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import ActionExecuted
        from rasa.shared.core.trackers import DialogueStateTracker

        domain = Domain.from_dict({"intents": ["greet"]})

        async def main():
            s = SQLTrackerStore(domain=domain, dialect="sqlite", db="tracker.db")
            for c in ("c1", "c2", "c3"):
                await s.save(DialogueStateTracker.from_events(c, [ActionExecuted("action_listen")], domain.slots))
            first = {c: await s.retrieve(c) for c in ("c1", "c2", "c3")}  # c1 is evicted by c3
            return {c: (await s.retrieve(c)) is first[c] for c in ("c3", "c2", "c1")}

        print(json.dumps(asyncio.run(main())))
    """, tmp_path)
    assert out == {"c3": True, "c2": True, "c1": False}


def test_rasa_site_tracker_cache_save_sees_rows_moved_during_the_turn_and_new_sessions(tmp_path: Path) -> None:
    out = run_in_rasa("""
        import asyncio, json
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
        from rasa.shared.core.trackers import DialogueStateTracker

        domain = Domain.from_dict({"intents": ["greet"]})

        def names(t):
            return [e.as_dict().get("name") or e.as_dict().get("text") or e.as_dict()["event"] for e in t.events]

        async def main():
            a, b = (SQLTrackerStore(domain=domain, dialect="sqlite", db="tracker.db") for _ in range(2))
            await a.save(DialogueStateTracker.from_events("c1", [ActionExecuted("action_listen")], domain.slots))
            mine = await a.retrieve("c1")  # kept from here on
            # another server writes while this turn is in flight; this turn then saves
            theirs = await b.retrieve("c1")
            theirs.update(UserUttered("theirs", {"name": "greet", "confidence": 1.0}))
            await b.save(theirs)
            mine.update(UserUttered("mine", {"name": "greet", "confidence": 1.0}))
            await a.save(mine)
            after = await a.retrieve("c1")
            out = {"kept_after_moved_save": after is mine, "served": names(after),
                   "stored": names(await b.retrieve("c1"))}
            # a kept tracker that starts a new session is read back next time (only the new session's events)
            again = await a.retrieve("c1")
            again.update(SessionStarted())
            again.update(ActionExecuted("action_listen"))
            await a.save(again)
            fresh = await a.retrieve("c1")
            out["kept_after_new_session"] = fresh is again
            out["new_session"] = names(fresh)
            return out

        print(json.dumps(asyncio.run(main())))
    """, tmp_path)
    # The turn that saved after another server wrote is saved as Rasa saves it (from a fresh count of
    # rows, which here drops "mine": the race Rasa's lock store exists to prevent), and not kept: what is
    # served next is what the database holds, not the kept tracker's "mine".
    assert out["kept_after_moved_save"] is False
    assert out["served"] == out["stored"] == ["action_listen", "theirs"]
    assert out["kept_after_new_session"] is False
    assert out["new_session"] == ["session_started", "action_listen"]


def test_rasa_site_freezes_the_loaded_heap_once_the_agent_is_up(tmp_path: Path) -> None:
    out = run_in_rasa("""
        import asyncio, gc, json
        import rasa.core.run as run

        async def load_agent(**kwargs):
            return "the agent"

        run.agent.load_agent = load_agent  # the real one needs a trained model; what follows is Rasa's own code
        app = type("App", (), {"ctx": type("Ctx", (), {})()})()
        before = gc.get_freeze_count()
        got = asyncio.run(run.load_agent_on_start("models", None, None, app, None))
        print(json.dumps({"agent": got, "kept": app.ctx.agent, "before": before, "after": gc.get_freeze_count()}))
    """, tmp_path)
    assert out["agent"] == out["kept"] == "the agent"
    assert out["before"] == 0
    assert out["after"] > 100_000  # Rasa's modules and what they loaded: out of the collector's walk
