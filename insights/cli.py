"""`firstline dashboard-rollups refresh|rebuild`: bring the dashboard's hourly rollups up to date, or redo them."""

from __future__ import annotations

import argparse
import json
from typing import Any


def cmd_rollups(args: argparse.Namespace) -> int:
    from core.db import Database
    from core.settings import get_settings
    from crm import migrate
    from insights.rollups import rebuild, refresh

    db = Database(get_settings().database_url)
    try:
        migrate(db)
        with db.session() as s:
            result = rebuild(s) if args.action == "rebuild" else refresh(s)
        print(json.dumps(result))
    finally:
        db.dispose()
    return 0


def add_commands(sub: Any) -> None:
    p = sub.add_parser("dashboard-rollups",
                       help="refresh the dashboard's hourly rollups (what the app does each minute), or rebuild "
                            "them from all history (after an import or a restore)")
    p.add_argument("action", choices=["refresh", "rebuild"])
    p.set_defaults(func=cmd_rollups)
