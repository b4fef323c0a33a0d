"""A tiny ASGI app for the app-worker launcher's tests: answers "pid client-port" (who served which connection);
/busy?SECONDS holds the worker's event loop that long first."""

from __future__ import annotations

import os
import time
from typing import Any


def create() -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["path"] == "/busy":  # hold this worker's event loop, as a long piece of work would
            time.sleep(float(scope["query_string"] or b"1"))
        body = f"{os.getpid()} {scope['client'][1]}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})

    return app
