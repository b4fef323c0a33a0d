"""The `firstline` console script."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.events import EventBus
    from core.settings import CoreSettings


def _settings():  # type: ignore[no-untyped-def]
    from core.settings import get_settings

    return get_settings()


def cmd_run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from firstline.supervisor import run

    try:
        settings = _settings()
    except ValidationError as exc:  # e.g. FIRSTLINE_MODE=production without a real secret
        print(f"[firstline] refusing to start: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    return run(settings, train_only=args.command == "train", production=getattr(args, "production", False),
               dialogue=not getattr(args, "skip_dialogue", False))


def cmd_create_admin(args: argparse.Namespace) -> int:
    from core.db import Database
    from crm import migrate
    from crm.demo import create_staff

    password = os.environ.get("FIRSTLINE_NEW_PASSWORD") or getpass.getpass(f"Password for {args.username}: ")
    db = Database(_settings().database_url)
    migrate(db)
    try:
        with db.session() as s:
            create_staff(s, args.username, password, args.name or args.username, role=args.role)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"created {args.role} {args.username}")
    return 0


def cmd_customer(args: argparse.Namespace) -> int:
    """Export a customer as JSON (stdout), or erase them everywhere (audited as --by)."""
    import json

    from core.db import Database
    from crm import NotFound, migrate
    from privacy import erase_everywhere, export

    settings = _settings()
    db = Database(settings.database_url)
    migrate(db)
    try:
        if args.action == "export":
            print(json.dumps(export(db, args.customer_id), indent=2, ensure_ascii=False))
        else:
            bus = _running_workers(settings)
            try:
                report = erase_everywhere(settings, db, args.customer_id, args.by, bus=bus)
            finally:
                if bus is not None:
                    bus.close()
            print(json.dumps(report.as_dict(), indent=2))
            if bus is None:
                print("A running app re-indexes edited articles and forgets the customer's words held in its "
                      "caches only at its next start: erase from the admin's Customers page to reach it at once.",
                      file=sys.stderr)
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    return 0


def _running_workers(settings: CoreSettings) -> EventBus | None:
    """The Redis bus to a running production desk's workers (they re-index and forget), or None."""
    if not settings.redis_url:
        return None
    from core.redis_bus import RedisEventBus, channel_for

    bus = RedisEventBus(settings.redis_url, channel_for(settings.database_url))
    if not bus.wait_subscribed(5):
        print("warning: Redis is unreachable: running workers empty their caches when it is back", file=sys.stderr)
    return bus


def cmd_rasa_endpoints(args: argparse.Namespace) -> int:
    """Write Rasa's endpoints.yml and auth token for Rasa servers this command does not start (docker-compose)."""
    from pathlib import Path

    from firstline.rasa_project import write_endpoints
    from web.security import internal_token

    settings = _settings()
    out = write_endpoints(settings, app_url=args.app_url, path=Path(args.out))
    token = Path(args.token_out)
    token.parent.mkdir(parents=True, exist_ok=True)
    token.write_text(internal_token(settings.secret_key))
    token.chmod(0o600)
    print(f"wrote {out} and {token}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="firstline", description="Firstline support desk")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="set up, train what is stale, start Rasa and the app")
    p.add_argument("--production", action="store_true",
                   help="several app workers and Rasa servers on PostgreSQL + Redis (needs DATABASE_URL, "
                        "REDIS_URL and FIRSTLINE_SECRET_KEY; see the README's Operations section)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("train", help="train what is stale (dialogue model, NLU model, search index) and exit")
    p.add_argument("--skip-dialogue", action="store_true",
                   help="leave the Rasa dialogue model alone (it is trained elsewhere, e.g. in the Rasa image)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("rasa-endpoints", help="write Rasa's endpoints.yml and auth token (for docker-compose)")
    p.add_argument("--app-url", required=True, help="where Rasa reaches the app, e.g. http://app:8000")
    p.add_argument("--out", required=True, help="endpoints.yml to write")
    p.add_argument("--token-out", required=True, help="file for the token Rasa's --auth-token takes")
    p.set_defaults(func=cmd_rasa_endpoints)
    p = sub.add_parser("create-admin", help="create a staff account (password from FIRSTLINE_NEW_PASSWORD or a prompt)")
    p.add_argument("username")
    p.add_argument("--name", help="display name")
    p.add_argument("--role", choices=["admin", "agent"], default="admin")
    p.set_defaults(func=cmd_create_admin)
    p = sub.add_parser("customer", help="export a customer's data as JSON, or erase the customer everywhere")
    p.add_argument("action", choices=["export", "erase"])
    p.add_argument("customer_id")
    p.add_argument("--by", default=f"cli:{os.environ.get('USER', 'unknown')}",
                   help="who erases (kept in the audit record)")
    p.set_defaults(func=cmd_customer)
    for module in ("bot.nlu.cli", "knowledge_base.cli", "bot.replay", "insights.cli"):
        try:
            mod = __import__(module, fromlist=["add_commands"])
        except ImportError:
            continue
        mod.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
