"""Production mode's app workers: uvicorn's process manager, each worker on its own SO_REUSEPORT socket.

`uvicorn --workers N` binds one listening socket and shares it. Every worker's event loop wakes on
a new connection and the first to run accepts every connection then waiting (asyncio accepts up to
the backlog at once), and keep-alive connections stay where they were accepted. Under the load
benchmark one worker carried every customer's request and the other every Rasa action call (each
a miss in that worker's vector cache): 36 against 9 ms of CPU per turn, so the busy worker set the
pace while a core sat half idle (README "Operations").

Here each worker binds its own socket to the same address with SO_REUSEPORT, and the kernel
spreads new connections over the workers by a hash of their addresses, whatever each worker is
doing. uvicorn's `Multiprocess` still starts, health-checks and replaces the workers (a worker
killed with -9 is back within a second or two); only where a worker listens changes.

    python -m firstline.app_workers --factory web.main:create --host 127.0.0.1 --port 8000 --workers 2
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import Any

from uvicorn import Config
from uvicorn.supervisors import multiprocess


def reuseport_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket that other workers may bind to the same host and port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on the address, a SO_REUSEPORT group included.

    Without this check a second desk started on the same port would quietly join the first's
    group and the kernel would share customers between the two."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class ReusePortWorker(multiprocess.Process):
    """uvicorn's worker process, listening on a socket of its own instead of the parent's."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover - in the child
        cfg = self.config
        super().target([reuseport_socket(cfg.host, cfg.port, cfg.backlog)])


class ReusePortSupervisor(multiprocess.Multiprocess):
    """uvicorn's Multiprocess (start, health-check, replace workers) with ReusePortWorker workers."""

    def __init__(self, config: Config) -> None:
        super().__init__(config, sockets=[])
        # Multiprocess names its worker class through the module; this launcher's process runs
        # nothing else, so pointing the name at the subclass changes nothing outside it.
        multiprocess.Process = ReusePortWorker  # type: ignore[misc]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m firstline.app_workers", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factory", required=True, help="module:function returning the ASGI app")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--log-level", default="warning")
    ap.add_argument("--ws-max-size", type=int, default=65536)
    return ap.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    kwargs: dict[str, Any] = {"factory": True, "host": args.host, "port": args.port, "workers": args.workers,
                              "log_level": args.log_level, "ws_max_size": args.ws_max_size}
    return Config(args.factory, **kwargs)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not port_is_free(args.host, args.port):
        print(f"app workers: {args.host}:{args.port} is already in use", file=sys.stderr)
        return 1
    config = config_from(args)
    ReusePortSupervisor(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
