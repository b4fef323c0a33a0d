"""Canned replies: placeholders, who sees and edits which, bad input refused."""

from __future__ import annotations

import pytest

from core.db import Database
from crm.canned import CannedError, fill, for_agent, may_edit, save
from tests import factories


def test_fill_replaces_known_placeholders_and_never_leaks_braces() -> None:
    assert fill("Thanks {first_name}, {agent_first_name} here.", {"first_name": "Ana", "agent_first_name": "Tom"}) \
        == "Thanks Ana, Tom here."
    assert fill("Thanks {first_name}, I'll check.", {}) == "Thanks, I'll check."
    assert fill("Use {{braces}} and {unknown}", {}) == "Use {{braces}} and {unknown}"


def test_canned_for_agent_personal_and_own_team_only(db: Database) -> None:
    with db.session() as s:
        maria = factories.agent(s, "maria", team="Billing")
        tom = factories.agent(s, "tom", team="Tech")
        boss = factories.agent(s, "boss", role="admin", team="Billing")
        save(s, maria, "/Thanks", "Thanks {first_name}")
        save(s, boss, "refund", "Refunds take 5 days", team="Billing")
        save(s, boss, "reboot", "Please restart the router", team="Tech")
        with pytest.raises(CannedError, match="only admins"):
            save(s, maria, "x", "y", team="Billing")
        with pytest.raises(CannedError, match="shortcut"):
            save(s, maria, "no spaces allowed", "y")
        with pytest.raises(CannedError, match="text"):
            save(s, maria, "empty", "   ")
        assert [r.shortcut for r in for_agent(s, maria)] == ["refund", "thanks"]
        assert [r.shortcut for r in for_agent(s, tom)] == ["reboot"]
        team_reply = for_agent(s, maria)[0]
        assert not may_edit(maria, team_reply) and may_edit(boss, team_reply)
