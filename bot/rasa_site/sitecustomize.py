"""Loaded at start-up by the Rasa process only (firstline/rasa_project.py puts this folder on its PYTHONPATH).

Rasa 3.6.21 checks every custom action's answer with `jsonschema.validate(result, schema)`, which
validates the *schema* against its meta-schema on every call before validating the answer. Profiled
under load (py-spy, README "Operations"), that schema check was about 40 % of the Rasa process's CPU.
Here `jsonschema.validate` keeps one checked validator per distinct schema and otherwise behaves the
same (the same errors, picked by `best_match`). Rasa imports `validate` inside the function that uses
it, so replacing the module attribute is enough; nothing in the installed packages is edited.
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


_install()
