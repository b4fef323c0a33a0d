"""The surge detector on a controlled clock: one alert per storm, none for normal traffic, cleared when it passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from insights.surge import CONVERSATIONS, MESSAGES, Baseline, SurgeDetector, threshold
from insights.surge_settings import SurgeSettings

T0 = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
S = SurgeSettings(_env_file=None, tick_seconds=0)  # type: ignore[call-arg]


def detector(baselines: dict | None = None) -> SurgeDetector:
    ids = iter(f"alert-{i}" for i in range(1, 100))
    return SurgeDetector(S, lambda now: baselines or {}, new_id=lambda: next(ids))


def burst(d: SurgeDetector, intent: str, n: int, start: datetime, every: timedelta,
          text: str = "my flight is cancelled", first_conv: int = 0) -> list:
    out = []
    for i in range(n):
        t = d.observe_message(f"c{first_conv + i}", intent, f"{text} ({i})", start + i * every)
        if t is not None:
            out.append(t)
    return out


def test_threshold_is_well_above_baseline_and_never_below_the_minimum() -> None:
    assert threshold(Baseline(0, 0), S) == 10  # min_count
    assert threshold(Baseline(3, 1), S) == 10  # 3 x 3 = 9, 3 + 4 * sqrt(3) = 9.9: the minimum wins
    assert threshold(Baseline(20, 5), S) == 60  # 3 x baseline
    assert threshold(Baseline(100, 40), S) == 300


def test_detector_burst_of_similar_messages_raises_exactly_one_alert_naming_the_intent() -> None:
    d = detector({(CONVERSATIONS, "flight_cancelled"): Baseline(3, 1), (MESSAGES, "flight_cancelled"): Baseline(3, 1)})
    transitions = burst(d, "flight_cancelled", 42, T0, timedelta(seconds=10))
    assert [t.kind for t in transitions if t.kind != "updated"] == ["started"]
    alert = transitions[0].alert
    assert {id(t.alert) for t in transitions} == {id(alert)}
    # Its counts are refreshed at most once a minute (7 minutes of burst), never per message.
    assert len(transitions) - 1 <= 7
    assert list(alert.drivers) == ["flight_cancelled"]
    assert alert.started_at == T0 + 9 * timedelta(seconds=10)  # the tenth conversation tipped it
    d.tick(T0 + timedelta(seconds=420))
    assert alert.summary == "flight_cancelled: 42 messages in 10 min, baseline 3"
    assert alert.drivers["flight_cancelled"].samples == ["my flight is cancelled (39)", "my flight is cancelled (40)",
                                                         "my flight is cancelled (41)"]


def test_detector_normal_traffic_and_a_few_night_messages_raise_nothing() -> None:
    d = detector({(k, i): Baseline(4, 2) for k in (MESSAGES, CONVERSATIONS) for i in ("outage", "billing_question")})
    t = T0
    for minute in range(24 * 60):  # a day: one message every 2 minutes by day, three in the night hours
        t = T0 + timedelta(minutes=minute)
        night = t.hour < 6
        if (not night and minute % 2 == 0) or (night and minute % 120 == 0):
            intent = "outage" if minute % 4 == 0 else "billing_question"
            assert d.observe_message(f"conv-{minute}", intent, "hello", t) is None
        assert d.tick(t) is None
    assert d.active is None


def test_detector_one_customer_typing_forty_times_is_not_a_surge() -> None:
    d = detector()
    for i in range(40):
        assert d.observe_message("same-conversation", "complaint", "ANSWER ME", T0 + timedelta(seconds=5 * i)) is None
    assert d.active is None


def test_detector_alert_clears_when_volume_returns_and_a_new_storm_is_a_new_alert() -> None:
    d = detector()
    assert [t.kind for t in burst(d, "outage", 20, T0, timedelta(seconds=15)) if t.kind != "updated"] == ["started"]
    quiet = T0 + timedelta(minutes=5)
    kinds = []
    for minute in range(0, 20):  # a message every other minute: normal again
        now = quiet + timedelta(minutes=minute)
        if minute % 2 == 0:
            t = d.observe_message(f"calm-{minute}", "outage", "still slow", now)
            kinds += [t.kind] if t else []
        t = d.tick(now)
        kinds += [t.kind] if t else []
    assert kinds.count("ended") == 1 and kinds.count("started") == 0
    assert d.active is None
    again = burst(d, "outage", 20, quiet + timedelta(hours=1), timedelta(seconds=15), first_conv=100)
    assert [t.kind for t in again if t.kind != "updated"] == ["started"] and again[0].alert.id == "alert-2"


def test_detector_second_intent_joins_the_running_alert_instead_of_a_second_alert() -> None:
    d = detector()
    first = burst(d, "outage", 12, T0, timedelta(seconds=10))
    second = burst(d, "tv_problem", 12, T0 + timedelta(seconds=125), timedelta(seconds=5), first_conv=50)
    assert [t.kind for t in first if t.kind != "updated"] == ["started"]
    assert second and {t.kind for t in second} == {"updated"}
    assert set(second[0].alert.drivers) == {"outage", "tv_problem"} and second[0].alert is first[0].alert


def test_detector_counts_handoffs_under_the_conversations_topic() -> None:
    d = detector({(MESSAGES, "outage"): Baseline(50, 5), (CONVERSATIONS, "outage"): Baseline(50, 5)})
    kinds = []
    for i in range(12):
        now = T0 + timedelta(seconds=20 * i)
        d.observe_message(f"c{i}", "outage", "no internet", now)
        t = d.observe_handoff(f"c{i}", None, now)
        kinds += [t.kind] if t else []
    assert [k for k in kinds if k != "updated"] == ["started"]
    assert d.active is not None and d.active.drivers["outage"].kind == "handoffs"


def test_detector_ignores_chitchat_and_messages_without_intent() -> None:
    d = detector()
    for i in range(30):
        assert d.observe_message(f"c{i}", "greet", "hi", T0 + timedelta(seconds=i)) is None
        assert d.observe_message(f"d{i}", None, "??", T0 + timedelta(seconds=i)) is None
    assert d.active is None


def test_detector_samples_mask_personal_data_and_forget_an_erased_customers_words() -> None:
    d = detector()
    start = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    for i in range(12):
        if i == 8:  # the alert starts at the tenth message, with the last three as its samples
            d.observe_message("c-erased", "outage", "still down in Leeds, ref 016a963a", start)
        d.observe_message(f"c{i}", "outage", f"no internet at all, mail me at user{i}@example.com", start)
    assert d.active is not None
    samples = d.active.drivers["outage"].samples
    assert "still down in Leeds, ref 016a963a" in samples
    assert all("@example.com" not in s for s in samples) and any("[email]" in s for s in samples)

    assert d.holding(["still down in Leeds, ref 016a963a"]) == 1  # the alert keeps it (the window moved on)
    assert d.forget(["still   down in Leeds, ref 016a963a"]) == 1  # the stored message, however it was spaced
    assert all("016a963a" not in s for s in d.active.drivers["outage"].samples)
    assert d.holding(["still down in Leeds, ref 016a963a"]) == 0
    other = "no internet at all, mail me at user11@example.com"
    assert d.holding([other]) == 5  # masked alike: the window's three samples and the alert's two
    d.clear()
    assert d.active.drivers["outage"].samples == [] and d.holding([other]) == 0
