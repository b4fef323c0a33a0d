"""Real local servers for outbound tests: an aiosmtpd SMTP sink and a signature-checking HTTP sink."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from firstline.launch import free_port
from outbound import verify_signature

__all__ = ["HttpSink", "SmtpSink", "http_sink", "smtp_sink"]


@dataclass
class Received:
    """One message as the SMTP server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    message: MimeMessage
    at: float  # time.monotonic() when the server accepted the DATA


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.sink.temporary_failures > 0:
            self.sink.temporary_failures -= 1
            return "451 4.3.0 try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.cond:
            self.sink.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg, time.monotonic()))
            self.sink.cond.notify_all()
        return "250 OK"


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    temporary_failures: int = 0  # answer DATA with 451 this many times first
    cond: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Block until `count` messages have arrived; return them."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"expected {count} message(s), got {len(self.messages)} in {timeout} s")
            return list(self.messages)


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """An aiosmtpd server on a free loopback port, stopped at the end."""
    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(_Handler(sink), hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class HttpRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpSink:
    url: str
    secret: str
    fail_first: int = 0  # answer 503 to this many requests first
    requests: list[HttpRequest] = field(default_factory=list)


@contextmanager
def http_sink(secret: str, *, fail_first: int = 0) -> Iterator[HttpSink]:
    """A real HTTP server that records each POST, checks its signature (401 if bad) and can fail first."""
    port = free_port()
    sink = HttpSink(f"http://127.0.0.1:{port}/hook", secret, fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = verify_signature(sink.secret, body, self.headers.get("X-Firstline-Signature"))
            sink.requests.append(HttpRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body, ok))
            if sink.fail_first > 0:
                sink.fail_first -= 1
                code = 503
            else:
                code = 204 if ok else 401
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
