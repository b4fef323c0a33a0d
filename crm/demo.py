"""Load the demo tenant (agents, customers, their history and cases) from data/demo/tenant.yml."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.models import Agent, Case, Conversation, Customer, Message
from crm.passwords import hash_password
from crm.store import add_identity


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def load_tenant(session: Session, path: Path, agent_password: str | None = None) -> dict[str, Any]:
    """Create the tenant's agents and customers unless they exist; return what was created.

    Each demo agent gets their own generated password (created["agent_passwords"]), so one leaked
    login is not every agent's; agent_password (tests) gives them all that one instead.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    tz = (data.get("company") or {}).get("timezone", "UTC")
    created: dict[str, Any] = {"agents": [], "customers": [], "agent_passwords": {}}
    from crm import tenant

    if tenant.get_one(session, "timezone") is None:  # the tenant's named zone, whoever joins the staff later
        tenant.put(session, "timezone", tz, "demo tenant")
    agents: dict[str, Agent] = {a.username: a for a in session.scalars(select(Agent))}
    shared_hash = hash_password(agent_password) if agent_password else None
    for a in data.get("agents") or []:
        if a["username"] in agents:
            continue
        password = agent_password or secrets.token_urlsafe(12)
        pw_hash = shared_hash or hash_password(password)
        created["agent_passwords"][a["username"]] = password
        agent = Agent(
            username=a["username"], display_name=a["display_name"], password_hash=pw_hash, role="agent",
            team=a.get("team"), skills=list(a.get("skills") or []), languages=list(a.get("languages") or ["en"]),
            capacity=int(a.get("capacity", 3)), working_hours=dict(a.get("working_hours") or {}),
            timezone=a.get("timezone", tz), status="offline",
        )
        session.add(agent)
        agents[agent.username] = agent
        created["agents"].append(agent.username)
    session.flush()
    for c in data.get("customers") or []:
        if session.scalar(select(Customer).where(Customer.external_id == c["external_id"])) is not None:
            continue
        customer = Customer(
            external_id=c["external_id"], name=c.get("name"), email=c.get("email"), phone=c.get("phone"),
            segment=c.get("segment", "residential"), vip=bool(c.get("vip")),
            profile={k: c[k] for k in ("plan", "account_number", "company", "postcode") if k in c},
        )
        if c.get("appointments"):
            customer.profile["appointments"] = [
                {k: (_dt(v).isoformat() if k in ("starts", "ends") else v) for k, v in a.items()}  # type: ignore[union-attr]
                for a in c["appointments"]]
        session.add(customer)
        session.flush()
        for kind in ("email", "phone", "account_number"):
            if c.get(kind):
                add_identity(session, customer, kind, str(c[kind]), verified=True)
        case_conversations: dict[str, str] = {}
        for conv_data in c.get("conversations") or []:
            started = _dt(conv_data.get("started"))
            handler = agents.get(conv_data.get("agent") or "")
            conv = Conversation(customer_id=customer.id, status=conv_data.get("status", "resolved"),
                                assigned_agent_id=handler.id if handler else None, created_at=started,
                                updated_at=started)
            session.add(conv)
            session.flush()
            if conv_data.get("case"):
                case_conversations[str(conv_data["case"])] = conv.id
            for m in conv_data.get("messages") or []:
                sender = m.get("sender", "customer")
                session.add(Message(conversation_id=conv.id, sender=sender, text=str(m.get("text", "")),
                                    agent_id=handler.id if sender == "agent" and handler else None,
                                    meta={"agent_name": handler.display_name} if sender == "agent" and handler else {},
                                    created_at=started))
        for case in c.get("cases") or []:
            session.add(Case(number=case["number"], customer_id=customer.id, title=case["title"],
                             conversation_id=case_conversations.get(case["number"]),
                             status=case.get("status", "open"), notes=case.get("notes", ""),
                             promised_by=_dt(case.get("promised_by")), created_at=_dt(case.get("opened"))))
        created["customers"].append(customer.external_id)
    session.flush()
    load_team_leads(session, data.get("team_leads") or {}, agents)
    return created


def load_team_leads(session: Session, leads: dict[str, str], agents: dict[str, Agent]) -> None:
    """Record who leads each team ("*": everyone without a lead of their own), unless already set."""
    from crm.followups import TeamLead

    for team, username in leads.items():
        lead = agents.get(username)
        if lead is not None and session.get(TeamLead, team) is None:
            session.add(TeamLead(team=team, agent_id=lead.id))
    session.flush()


def has_admin(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Agent).where(Agent.role == "admin")))


def create_staff(session: Session, username: str, password: str, display_name: str, role: str = "admin") -> Agent:
    """Create a staff account; raise ValueError if the username is taken or the password is weak."""
    username = username.strip().lower()
    if not username.isascii() or not username.replace("-", "").replace("_", "").isalnum():
        raise ValueError("username may contain letters, digits, - and _ only")
    if session.scalar(select(Agent).where(Agent.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    agent = Agent(username=username, display_name=display_name, password_hash=hash_password(password), role=role,
                  status="offline", skills=[], languages=["en"], working_hours={})
    session.add(agent)
    session.flush()
    return agent
