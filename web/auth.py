"""Staff login: bcrypt-checked passwords, a signed session cookie, and route guards."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request, status

from crm import store


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    display_name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginRequired(Exception):
    """Raised by page guards; the app turns it into a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def current_user(request: Request) -> StaffUser | None:
    agent_id = request.session.get("agent_id")
    if agent_id is None:
        return None
    rt = request.app.state.runtime
    with rt.db.session() as s:
        from crm import Agent

        agent = s.get(Agent, agent_id)
        if agent is None or request.session.get("pw") != agent.password_hash[-12:] or agent.active is False:
            return None  # deleted, deactivated, or the password changed since this session began
        return StaffUser(agent.id, agent.username, agent.display_name, agent.role)


def require_agent(request: Request) -> StaffUser:
    """Guard for console pages and APIs: any logged-in staff member."""
    user = current_user(request)
    if user is None:
        if request.url.path.startswith("/api/"):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "login required")
        raise LoginRequired(str(request.url.path))
    return user


def require_admin(request: Request) -> StaffUser:
    """Guard for admin pages and APIs."""
    user = require_agent(request)
    if not user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")
    return user


def login(request: Request, username: str, password: str) -> StaffUser | None:
    from crm import verify_password

    rt = request.app.state.runtime
    with rt.db.session() as s:
        agent = store.agent_by_username(s, username.strip().lower())
        if agent is None or agent.active is False or not verify_password(password, agent.password_hash):
            return None
        request.session.clear()
        request.session["agent_id"] = agent.id
        request.session["pw"] = agent.password_hash[-12:]
        from web.csrf import new_csrf_token

        new_csrf_token(request.session)
        return StaffUser(agent.id, agent.username, agent.display_name, agent.role)
