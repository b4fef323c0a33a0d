"""Loaded at start-up by the Rasa process only (firstline/rasa_project.py puts this folder on its PYTHONPATH).

Rasa 3.6.21 checks every custom action's answer with `jsonschema.validate(result, schema)`, which
validates the *schema* against its meta-schema on every call before validating the answer. Profiled
under load (py-spy, README "Operations"), that schema check was about 40 % of the Rasa process's CPU.
Here `jsonschema.validate` keeps one checked validator per distinct schema and otherwise behaves the
same (the same errors, picked by `best_match`). Rasa imports `validate` inside the function that uses
it, so replacing the module attribute is enough; nothing in the installed packages is edited.

Rasa's SQL tracker store is synchronous and runs on Rasa's one event loop, so every wait inside it
stops every conversation that Rasa serves. Profiled (README "Operations"), the commit at the end of
each turn was 28 % of the embedded Rasa process's time: SQLite's default journal syncs the disk on
every commit. `_tune_tracker_connections` makes each tracker connection commit without waiting for
the disk: SQLite in WAL mode with `synchronous=NORMAL` (a crash of the machine, not of the process,
can lose the last turns' events; the file stays consistent), PostgreSQL with
`synchronous_commit=off` for Rasa's own sessions only (the same: at most the last fraction of a
second of tracker events after a server crash, never corruption). The app's database, where
messages and cases live, keeps full durability. The tracker is the dialogue's short-term memory.

The app parses each customer message before it sends it to Rasa, and Rasa then asked the app to
parse the same text again over HTTP (its external NLU endpoint): a whole request through the app's
middleware and thread pool per turn for an answer the app already had. The app now sends its parse
in the message's metadata (`firstline_parse`); `_use_parse_from_app` makes Rasa's HTTP interpreter
take it when it is well formed and is the parse of this very text, and removes it from the metadata
(the tracker keeps the parse once, as Rasa's own parse data). Anything else still goes over HTTP.

Rasa's SQL tracker store rebuilt each conversation's tracker from the database on every turn (every
event read back, parsed and replayed) and counted the stored events again before each save: about a
third of the Rasa process's time under load (py-spy, README "Operations"). `_keep_trackers` keeps the
trackers it has handed out (an LRU of FIRSTLINE_RASA_TRACKER_CACHE, default 1000, per Rasa process;
0 = off). A kept tracker is used again only if the newest event id stored for the conversation is
still the one it was saved with and it holds exactly the events saved (a turn that failed before its
save, another Rasa server that served the conversation meanwhile, or an erasure all make it read the
database again); a save checks the same number again and appends the kept tracker's new events
without counting, in the same rows the original writes (if the number moved, it saves as Rasa does
and keeps nothing). Rasa's lock store already serialises a conversation's messages across servers.

Python's cyclic garbage collector walks every tracked object in a full collection, and the loaded
Rasa server holds about 600,000 of them (TensorFlow, the policies, the domain): each full collection
stopped the event loop, every conversation on it, for 330–360 ms, about every two and a half minutes
under 200 customers. `_freeze_after_load` moves what exists once the agent is loaded into the
permanent generation (`gc.freeze()`), so full collections walk only what came later.
"""

from __future__ import annotations

import json
import threading


def _install() -> None:
    try:
        import jsonschema
        from jsonschema import exceptions, validators
    except ImportError:  # not the Rasa environment
        return
    original = jsonschema.validate
    cache: dict[str, object] = {}
    lock = threading.Lock()

    def validate(instance, schema, cls=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        if cls is not None or args or kwargs:
            return original(instance, schema, cls, *args, **kwargs)
        try:
            key = json.dumps(schema, sort_keys=True)
        except (TypeError, ValueError):
            return original(instance, schema)
        validator = cache.get(key)
        if validator is None:
            vcls = validators.validator_for(schema)
            vcls.check_schema(schema)  # once per distinct schema, as the original does every time
            validator = vcls(schema)
            with lock:
                if len(cache) > 256:
                    cache.clear()
                cache[key] = validator
        error = exceptions.best_match(validator.iter_errors(instance))  # type: ignore[attr-defined]
        if error is not None:
            raise error

    validate.__doc__ = original.__doc__
    jsonschema.validate = validate


def _tune_tracker_connections() -> None:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:  # not the Rasa environment
        return

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        module = type(dbapi_conn).__module__
        cur = dbapi_conn.cursor()
        try:
            if module.startswith("sqlite3"):
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=5000")
            elif module.startswith("psycopg2"):
                cur.execute("SET synchronous_commit TO off")
                dbapi_conn.commit()  # psycopg2 opened a transaction for the SET; keep it outside Rasa's
        finally:
            cur.close()


PARSE_KEY = "firstline_parse"


def parse_from_metadata(message):  # type: ignore[no-untyped-def]
    """Return (and remove) the app's parse carried in a message's metadata, if it fits the message."""
    meta = getattr(message, "metadata", None)
    if not isinstance(meta, dict) or PARSE_KEY not in meta:
        return None
    parse = meta.pop(PARSE_KEY)
    if (isinstance(parse, dict) and isinstance(parse.get("intent"), dict)
            and isinstance(parse.get("entities"), list) and parse.get("text") == message.text):
        return parse
    return None


def _patch_interpreter(module) -> None:  # type: ignore[no-untyped-def]
    cls = module.RasaNLUHttpInterpreter
    original = cls.parse

    async def parse(self, message):  # type: ignore[no-untyped-def]
        given = parse_from_metadata(message)
        return given if given is not None else await original(self, message)

    parse.__doc__ = original.__doc__
    cls.parse = parse


def _use_parse_from_app() -> None:
    """Patch rasa.core.http_interpreter when Rasa imports it (importing it here would load Rasa early)."""
    _on_import("rasa.core.http_interpreter", _patch_interpreter)


def _patch_tracker_store(module) -> None:  # type: ignore[no-untyped-def]
    import collections
    import itertools
    import os
    import sys

    import sqlalchemy as sa
    from rasa.shared.core.events import SessionStarted

    try:
        size = int(os.environ.get("FIRSTLINE_RASA_TRACKER_CACHE", "1000") or 0)
    except ValueError:
        print("FIRSTLINE_RASA_TRACKER_CACHE is not a whole number: keeping 1000 trackers", file=sys.stderr)
        size = 1000
    if size <= 0:
        return
    cls = module.SQLTrackerStore
    original_retrieve, original_save = cls._retrieve, cls.save

    def kept(store):  # type: ignore[no-untyped-def]
        # sender id -> (tracker, events stored, newest stored event id), least recently used first;
        # emptied when Rasa loads another model (kept trackers hold the old domain's slots)
        cache = store.__dict__.get("_firstline_trackers")
        if cache is None or store.__dict__.get("_firstline_domain") is not store.domain:
            cache = store.__dict__["_firstline_trackers"] = collections.OrderedDict()
            store.__dict__["_firstline_domain"] = store.domain
        return cache

    def newest_id(store, session, sender_id):  # type: ignore[no-untyped-def]
        event = store.SQLEvent
        return session.execute(sa.select(sa.func.max(event.id)).where(event.sender_id == sender_id)).scalar()

    def keep(cache, sender_id, tracker, stored, newest):  # type: ignore[no-untyped-def]
        cache[sender_id] = (tracker, stored, newest)
        cache.move_to_end(sender_id)
        while len(cache) > size:
            cache.popitem(last=False)

    async def _retrieve(self, sender_id, fetch_events_from_all_sessions):  # type: ignore[no-untyped-def]
        if fetch_events_from_all_sessions:
            return await original_retrieve(self, sender_id, fetch_events_from_all_sessions)
        cache = kept(self)
        with self.session_scope() as session:
            newest = newest_id(self, session, sender_id)
        entry = cache.pop(sender_id, None)
        if entry is not None and newest is not None and entry[2] == newest and len(entry[0].events) == entry[1]:
            keep(cache, sender_id, *entry)
            return entry[0]
        tracker = await original_retrieve(self, sender_id, False)
        if tracker is not None and newest is not None:
            keep(cache, sender_id, tracker, len(tracker.events), newest)
        return tracker

    async def save(self, tracker):  # type: ignore[no-untyped-def]
        cache = kept(self)
        entry = cache.pop(tracker.sender_id, None)
        if entry is None or entry[0] is not tracker or entry[1] > len(tracker.events):
            return await original_save(self, tracker)  # the next retrieve reads it back and keeps it
        new = list(itertools.islice(tracker.events, entry[1], len(tracker.events)))
        with self.session_scope() as session:
            # Rows written or erased since this tracker was read (another server, an erasure in the
            # middle of the turn): write as Rasa does, from a fresh count, and keep nothing.
            moved = newest_id(self, session, tracker.sender_id) != entry[2]
            if not moved:
                await self.stream_events(tracker)
                newest = write(self, session, tracker, new, entry[2])
        if moved:
            return await original_save(self, tracker)
        if not any(isinstance(event, SessionStarted) for event in new):
            # (a new session: the store reads back only its events, so the kept tracker would hold more)
            keep(cache, tracker.sender_id, tracker, len(tracker.events), newest)

    def write(self, session, tracker, new, newest):  # type: ignore[no-untyped-def]
        rows = []
        for event in new:  # the rows SQLTrackerStore.save writes
            data = event.as_dict()
            rows.append(self.SQLEvent(
                sender_id=tracker.sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                action_name=data.get("name"), data=json.dumps(data)))
        session.add_all(rows)
        session.flush()
        newest = max([row.id for row in rows], default=newest)
        session.commit()
        return newest

    _retrieve.__doc__, save.__doc__ = original_retrieve.__doc__, original_save.__doc__
    cls._retrieve, cls.save = _retrieve, save


def _keep_trackers() -> None:
    _on_import("rasa.core.tracker_store", _patch_tracker_store)


def freeze_heap() -> None:
    """Collect what start-up left over, then keep everything still alive out of later collections."""
    import gc

    gc.collect()
    gc.freeze()


def _patch_run(module) -> None:  # type: ignore[no-untyped-def]
    original = module.load_agent_on_start

    async def load_agent_on_start(*args, **kwargs):  # type: ignore[no-untyped-def]
        agent = await original(*args, **kwargs)
        freeze_heap()
        return agent

    module.load_agent_on_start = load_agent_on_start


def _freeze_after_load() -> None:
    _on_import("rasa.core.run", _patch_run)


def _on_import(target: str, patch) -> None:  # type: ignore[no-untyped-def]
    """Run patch(module) right after `target` is first imported."""
    import importlib.abc
    import importlib.util
    import sys

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target_module=None):  # type: ignore[no-untyped-def]
            if name != target:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            loader = spec.loader
            exec_module = loader.exec_module

            def patched_exec(module):  # type: ignore[no-untyped-def]
                exec_module(module)
                patch(module)

            loader.exec_module = patched_exec  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, _Finder())


_install()
_tune_tracker_connections()
_use_parse_from_app()
_keep_trackers()
_freeze_after_load()
