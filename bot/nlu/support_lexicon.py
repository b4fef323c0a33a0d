"""Support-desk adjustment of VADER's lexicon: fault words describe the fault, not the customer's mood.

VADER was built on social media, where "dead", "broken" or "failed" say how the writer feels. A support
desk hears them all day from calm customers describing what is wrong ("wifi dead upstairs" scored
-0.65 and was handed off at once; issue 13). Mood shows in words about the experience (useless,
ridiculous, fed up, a joke), in repeats and in emphasis, which VADER and the frustration signals keep.

Chosen on the `dev` half of data/sentiment/fault_reports.yml (calm fault reports vs upset customers,
written for this) and reported on its `held_out` half: `python -m bench.sentiment.run`.
"""

from __future__ import annotations

from collections.abc import MutableMapping

# Words that name a fault, an outage or an account or payment state. They keep a quarter of VADER's
# valence: alone they leave a message neutral ("wifi dead upstairs" -0.21), beside words of mood or in
# capitals they still add to it ("this is awful, the internet keeps failing"). The quarter was chosen on
# the dev half (fault words removed outright: calm reports negative 2/40, upset caught by the rule 25/40;
# a quarter: 3/40 and 27/40; half: 7/40 and 28/40; VADER's own: 21/40 and 26/40, 3 calm fired on).
FAULT_SCALE = 0.25
FAULT_WORDS = frozenset({
    "dead", "died", "die", "dies", "broken", "error", "errors", "lost", "lose", "loses",
    "failed", "fail", "fails", "failing", "failure", "problem", "problems", "fault", "faulty",
    "cancelled", "cancel", "stuck", "crash", "drop", "cut", "missing", "weak", "offline",
    "damaged", "rejected", "blocked", "lag", "lagging", "freezing", "freezes", "stopped",
    "charged", "penalty", "debt", "wrong", "no",
})
# Words whose social-media valence is the wrong way round at a support desk ("what a joke", "are you
# kidding me", "unbelievable") or that VADER lacks; valences on VADER's -4..4 scale, set at its own
# values for words of the same strength (e.g. "hopeless" -2.0, "disgrace" -2.2).
MOOD_WORDS = {
    "joke": -2.0, "joking": -1.5, "kidding": -1.5, "unbelievable": -2.0, "nightmare": -2.2,
    "shambles": -2.2, "disgraceful": -2.4, "rubbish": -2.0, "hopeless": -2.0,
}


def adapt(lexicon: MutableMapping[str, float]) -> None:
    """Adjust a VADER lexicon (vaderSentiment's or nltk's `lexicon` dict) for support chat, in place."""
    for word in FAULT_WORDS:
        if word in lexicon:
            lexicon[word] = round(lexicon[word] * FAULT_SCALE, 3)
    lexicon.update(MOOD_WORDS)

