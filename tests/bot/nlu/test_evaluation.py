from __future__ import annotations

import pytest

from bot.nlu.evaluation import OOS, score


def test_score_matches_hand_worked_example() -> None:
    gold = ["a", "a", "b", OOS, OOS]
    pred = ["a", "b", "b", OOS, "a"]
    r = score(gold, pred, confidence=[0.9, 0.8, 0.6, 0.7, 0.5], top_correct=[True, False, True, False, False])
    assert r["accuracy"] == pytest.approx(3 / 5)
    assert r["in_scope_accuracy"] == pytest.approx(2 / 3)
    # F1 per class: a = 0.5 (1 right, 1 missed, 1 wrongly claimed), b = 2/3 (P 1/2, R 1), OOS = 2/3 (P 1, R 1/2)
    assert r["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 2 / 3) / 3)
    assert (r["oos_precision"], r["oos_recall"], r["in_scope_rejected"]) == (1.0, 0.5, 0.0)
    # ECE over the three in-scope examples, one per bin: (|1-.9| + |0-.8| + |1-.6|) / 3
    assert r["ece"] == pytest.approx(1.3 / 3)


def test_score_without_oos_in_test_has_null_oos_figures_and_counts_rejections() -> None:
    r = score(["a", "b"], ["a", OOS], confidence=[0.9, 0.4], top_correct=[True, True])
    assert (r["oos_precision"], r["oos_recall"]) == (None, None)
    assert r["in_scope_rejected"] == 0.5
    assert r["accuracy"] == 0.5


def test_score_without_oos_anywhere_has_null_oos_figures() -> None:
    r = score(["a", "b"], ["a", "b"], confidence=[0.9, 0.9], top_correct=[True, True])
    assert (r["oos_precision"], r["oos_recall"], r["in_scope_rejected"]) == (None, None, 0.0)
