"""Which cache keys hold an erased customer's words: the same text, or a text derived from it."""

from __future__ import annotations

from collections import OrderedDict

from core.forgetting import ErasedTexts, comparable, count_matching, drop_matching


def test_comparable_folds_case_spacing_and_punctuation() -> None:
    assert comparable("  My ROUTER's light:   FLASHING?!\n") == "my router s light flashing"
    assert comparable("ＦＵＬＬ width") == "full width"  # NFKC
    assert comparable("?!") == ""


def test_erased_texts_hold_same_or_derived_keys_as_whole_words() -> None:
    erased = ErasedTexts(["How do I reset my password?", "ok"])
    assert erased.holds("How do I reset my password?")
    assert erased.holds("how do i reset my password")  # the classifier's lower-cased form
    assert erased.holds("earlier: how do I reset my password? now: still stuck")  # part of a longer key
    assert erased.holds("OK")
    assert not erased.holds("book a technician")  # "ok" only as a whole word
    assert not erased.holds("how do I reset my router")


def test_erased_texts_without_words_hold_nothing() -> None:
    erased = ErasedTexts(["", "?!", "   "])
    assert not erased
    assert not erased.holds("anything at all")


def test_drop_matching_removes_exactly_the_holding_entries() -> None:
    cache = OrderedDict([("where is my refund", 1), ("WHERE IS MY REFUND??", 2), ("my router is blinking", 3)])
    assert count_matching(cache, ["Where is my refund"]) == 2
    assert drop_matching(cache, ["Where is my refund"]) == 2
    assert list(cache) == ["my router is blinking"]
    assert drop_matching(cache, []) == 0
    assert count_matching(cache, ["Where is my refund"]) == 0
