"""Admin a team lead runs alone: staff changes and settings are validated and audited; delete asks first."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from core.db import Database
from crm import EventRecord, store
from crm.tenant import get_all
from tests.web.test_console import login


def audit_names(db: Database) -> list[str]:
    with db.session() as s:
        return [r.name for r in s.scalars(select(EventRecord).order_by(EventRecord.id))]


def test_admin_creates_deactivates_and_resets_staff_with_an_audit_trail(app_client: TestClient, db: Database) -> None:
    login(app_client, "root")
    r = app_client.post("/admin/staff", data={"username": "Nia", "display_name": "Nia New", "password": "short",
                                               "role": "agent"})
    assert r.status_code == 422 and "at least 10" in r.text
    r = app_client.post("/admin/staff", data={"username": "nia", "display_name": "Nia New",
                                               "password": "long-enough-1", "team": "Billing"},
                        follow_redirects=False)
    assert r.status_code == 303
    form = {"display_name": "Nia New", "role": "agent", "team": "Billing", "skills": "outage, tv_problem",
            "capacity": "4", "working_hours": "mon-fri 08:00-16:00", "timezone": "Europe/London", "active": "1"}
    assert app_client.post("/admin/staff/nia", data={**form, "working_hours": "weekdays 9-5"}).status_code == 422
    assert app_client.post("/admin/staff/nia", data={**form, "timezone": "Mars/Base"}).status_code == 422
    assert app_client.post("/admin/staff/nia", data=form, follow_redirects=False).status_code == 303
    with db.session() as s:
        nia = store.agent_by_username(s, "nia")
        assert (nia.skills, nia.capacity, nia.working_hours, nia.team) == (
            ["outage", "tv_problem"], 4, {"mon-fri": "08:00-16:00"}, "Billing")
    r = app_client.post("/admin/staff/nia", data={**form, "active": "", "password": "a-new-password-2"},
                        follow_redirects=False)
    assert r.status_code == 303
    app_client.post("/logout")
    r = app_client.post("/login", data={"username": "nia", "password": "a-new-password-2"}, follow_redirects=False)
    assert r.status_code == 401  # deactivated
    assert audit_names(db) == ["staff.changed", "staff.created", "staff.changed", "staff.changed"]


def test_admin_cannot_deactivate_themselves(app_client: TestClient, db: Database) -> None:
    login(app_client, "root")
    r = app_client.post("/admin/staff/root", data={"display_name": "Admin", "role": "admin", "active": ""})
    assert r.status_code == 422 and "cannot deactivate yourself" in r.text


def test_settings_are_validated_saved_and_audited(app_client: TestClient, db: Database) -> None:
    login(app_client, "root")
    good = {"company_name": "Acme", "widget_title": "Acme help", "widget_greeting": "Hello from Acme!",
            "widget_color": "#0b5cad", "business_hours": "mon-fri 09:00-17:00", "timezone": "Europe/London"}
    assert app_client.post("/admin/settings", data={**good, "widget_color": "#ffff00"}).status_code == 422  # contrast
    assert app_client.post("/admin/settings", data={**good, "widget_color": "red"}).status_code == 422
    assert app_client.post("/admin/settings", data={**good, "business_hours": "always"}).status_code == 422
    assert app_client.post("/admin/settings", data=good, follow_redirects=False).status_code == 303
    with db.session() as s:
        values = get_all(s)
    assert (values["widget_greeting"], values["business_hours"]) == ("Hello from Acme!", {"mon-fri": "09:00-17:00"})
    config = app_client.get("/api/widget/config").json()
    assert (config["greeting"], config["hours"]) == ("Hello from Acme!", "Mon–Fri 09:00–17:00 (UK time)")
    assert audit_names(db) == ["settings.changed"]
    login(app_client, "maria")
    assert app_client.post("/admin/settings", data=good).status_code == 403
