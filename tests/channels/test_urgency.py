from __future__ import annotations

from channels import score


def test_score_explains_reach_tone_and_the_words_that_make_it_urgent() -> None:
    u = score("Plane delayed 4 hours with children on board, stranded at the gate", -0.7, 10_000)
    assert u.explanation == "10,000 followers, very negative, mentions delayed, stranded, children on board"
    assert u.score == 45 + 21 + 20


def test_score_of_a_calm_post_with_small_reach_is_low() -> None:
    u = score("Thanks for the quick fix yesterday", 0.6, 12)
    assert (u.score, u.explanation) == (6, "12 followers, positive")


def test_score_ranks_reach_and_urgency_above_a_mild_grumble() -> None:
    grumble = score("bit annoyed the app logged me out", -0.2, 150)
    urgent = score("my father needs his medication and we are stuck, flight cancelled", -0.5, 300)
    famous = score("bit annoyed the app logged me out", -0.2, 2_000_000)
    assert grumble.score < famous.score < urgent.score
