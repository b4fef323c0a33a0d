from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm import Agent
from escalation import choose_agent
from escalation.hours import describe, is_working, next_follow_up, next_opening

MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday; London is on UTC in November
HOURS = {"mon-fri": "08:00-18:00", "sat": "09:00-13:00"}


def agent(i: int, **kw: object) -> Agent:
    fields = {
        "username": f"a{i}",
        "display_name": f"Agent {i}",
        "role": "agent",
        "status": "online",
        "capacity": 2,
        "skills": [],
        "languages": ["en"],
        "working_hours": HOURS,
        "timezone": "Europe/London",
        "team": "T",
    }
    fields.update(kw)
    return Agent(id=i, **fields)


def test_choose_agent_prefers_the_last_agent_then_skill_then_room() -> None:
    a1, a2, a3 = agent(1), agent(2, skills=["billing_question"]), agent(3)
    pick = choose_agent(
        [a1, a2, a3], customer_last_agent_id=3, intent="billing_question", language="en", load={}, now=MON_10
    )
    assert pick is a3
    pick = choose_agent(
        [a1, a2, a3], customer_last_agent_id=None, intent="billing_question", language="en", load={2: 1}, now=MON_10
    )
    assert pick is a2
    pick = choose_agent(
        [a1, a2, a3], customer_last_agent_id=None, intent="outage", language="en", load={1: 1, 2: 1}, now=MON_10
    )
    assert pick is a3


def test_choose_agent_skips_offline_full_and_off_hours() -> None:
    agents = [agent(1, status="away"), agent(2, capacity=1), agent(3, working_hours={"sat": "09:00-13:00"})]
    assert (
        choose_agent(agents, customer_last_agent_id=None, intent=None, language=None, load={2: 1}, now=MON_10) is None
    )


def test_working_hours_and_next_opening() -> None:
    assert is_working(HOURS, "Europe/London", MON_10)
    assert not is_working(HOURS, "Europe/London", MON_10.replace(hour=19))
    fri_night = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert next_opening(HOURS, "Europe/London", fri_night) == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    sat_night = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    assert next_opening(HOURS, "Europe/London", sat_night) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_next_follow_up_is_the_earliest_opening_plus_margin() -> None:
    night = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    got = next_follow_up(
        night, [(HOURS, "Europe/London"), ({"mon-fri": "07:00-19:00"}, "Europe/London")], timedelta(minutes=30)
    )
    assert got == datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
    assert describe(got, "Europe/London") == "Wednesday 25 November, 07:30 (UK time)"
