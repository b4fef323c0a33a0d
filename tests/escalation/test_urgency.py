"""The inbox sort: most urgent first, then the longest wait."""

from __future__ import annotations

from escalation.urgency import InboxItem, reason_tag, urgency_key


def item(waiting: bool = True, waited: int = 0, unread: int = 0, vip: bool = False,
         trigger: str | None = None) -> InboxItem:
    return InboxItem(waiting, waited, unread, vip, trigger)


def test_urgency_key_puts_upset_waiting_customers_first_then_longest_wait() -> None:
    calm_long = item(waited=900, trigger="asked_for_human")
    upset_short = item(waited=30, trigger="negative_sentiment")
    open_chat = item(waiting=False, waited=2000, unread=1)
    calm_short = item(waited=60, trigger="asked_for_human")
    ranked = sorted([calm_short, open_chat, calm_long, upset_short], key=urgency_key)
    assert ranked == [upset_short, calm_long, calm_short, open_chat]


def test_reason_tag_is_short_and_plain() -> None:
    assert reason_tag("negative_sentiment") == "upset"
    assert reason_tag("some_new_trigger") == "some new trigger"
    assert reason_tag(None) == ""


def test_urgency_key_puts_a_public_post_first_by_its_score() -> None:
    upset_vip = item(waited=600, vip=True, trigger="negative_sentiment")
    small_post = InboxItem(True, 10, 0, False, "public_post", priority=20)
    big_post = InboxItem(True, 5, 0, False, "public_post", priority=70)
    ranked = sorted([upset_vip, small_post, big_post], key=urgency_key)
    assert ranked == [big_post, small_post, upset_vip]
    assert reason_tag("public_post") == "public post"
