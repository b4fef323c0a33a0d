"""Wire the surge watch, the notice board and the channel connectors into a started runtime (issue 11)."""

from __future__ import annotations

import logging
from typing import Any

from bot.runtime import Runtime

log = logging.getLogger(__name__)


def install(rt: Runtime, *, ticker: bool = True) -> None:
    """Start the surge watch (when enabled), the notice board and the outbound channel connectors."""
    from channels import install as install_channels
    from insights.notice import NoticeBoard
    from insights.surge_settings import SurgeSettings
    from insights.surge_watch import SurgeWatch, metrics_subscriber

    rt.extras["notice_board"] = NoticeBoard()
    settings = SurgeSettings()
    if settings.enabled:
        watch = SurgeWatch(rt.db, rt.bus, settings, notify=_admin_webhook())
        watch.start(ticker=ticker)
        rt.extras["surge_watch"] = watch
        metrics_subscriber(rt.bus)
    install_channels(rt)
    _schedule_rollups(rt)


def _schedule_rollups(rt: Runtime) -> None:
    """Mark changed rollup hours on every flush, and refresh the dashboard rollups each minute on the
    follow-up scheduler (the process holding its runner lock). Without it the dashboard stays exact,
    reading the hours not rolled up from the raw tables, only slower."""
    from insights.rollup_marks import install as mark_changes
    from insights.rollups import refresh

    mark_changes()

    def job() -> None:
        with rt.db.session() as s:
            refresh(s)

    sched = rt.extras.get("followups")
    if sched is not None and hasattr(sched, "every"):
        sched.every("dashboard-rollups", 60, job)


def _admin_webhook() -> Any:
    """The admin webhook's send (outbound.WebhookSender), or None when FIRSTLINE_OUTBOUND_ADMIN_WEBHOOK_URL is unset."""
    from outbound import OutboundSettings, admin_webhook_from

    sender = admin_webhook_from(OutboundSettings())
    return sender.send if sender is not None else None


def surge_state(rt: Runtime) -> dict[str, Any]:
    """The banner's data: the running alert (if any) and the active notice (if any)."""
    from insights.notice import active_notice

    watch = rt.extras.get("surge_watch")
    alert = watch.active if watch is not None else None
    with rt.db.session() as s:
        n = active_notice(s)
        notice = ({"id": n.id, "text": n.text, "by": n.created_by, "at": n.created_at.isoformat()}
                  if n is not None else None)
    return {"alert": alert.as_dict() if alert is not None else None, "notice": notice}
