"""Which browser origins may open our WebSockets (browsers send no CORS preflight for them)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from web.settings import origin_of

__all__ = ["origin_allowed"]


def origin_allowed(conn: HTTPConnection, *, customer: bool) -> bool:
    """True for our own pages and, for the customer channel, the sites that embed the widget.

    The console accepts only the app's own origin: its public URL, or the host it was reached at (a
    page of ours). A client without an Origin header is not a browser and carries nobody's cookies.
    """
    given = conn.headers.get("origin")
    if given is None:
        return True
    origin = origin_of(given)
    host = conn.headers.get("host", "").lower()
    if host and origin in (f"http://{host}", f"https://{host}"):
        return True
    public_url = conn.app.state.runtime.settings.public_url
    allowed = conn.app.state.web_settings.origins(public_url) if customer else {origin_of(public_url)}
    return origin in allowed
