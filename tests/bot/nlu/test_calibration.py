from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.calibration import expected_calibration_error, fit_temperature, softmax


def test_expected_calibration_error_matches_hand_worked_example() -> None:
    # bin (0.9, 1.0]: confidences .95, .95, accuracy 1/2 -> |0.5 - 0.95| * 2/5 = 0.18
    # bin (0.5, 0.6]: confidences .55, .55, accuracy 1/2 -> |0.5 - 0.55| * 2/5 = 0.02
    # bin (0.2, 0.3]: confidence .3 (on the edge), accuracy 0 -> |0 - 0.3| * 1/5 = 0.06
    conf = np.array([0.95, 0.95, 0.55, 0.55, 0.3])
    correct = np.array([1, 0, 1, 0, 0])
    assert expected_calibration_error(conf, correct) == pytest.approx(0.26)


def test_expected_calibration_error_of_perfect_calibration_is_zero() -> None:
    assert expected_calibration_error(np.array([1.0, 1.0, 0.5, 0.5]), np.array([1, 1, 1, 0])) == 0.0


def test_expected_calibration_error_of_nothing_is_zero() -> None:
    assert expected_calibration_error(np.array([]), np.array([])) == 0.0


def test_fit_temperature_softens_overconfident_logits() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3))
    logits[np.arange(300), y] += 1.0  # right about 60% of the time ...
    t = fit_temperature(logits * 20, y)  # ... but scaled to claim near certainty
    assert t > 5
    before = expected_calibration_error(softmax(logits * 20).max(1), softmax(logits * 20).argmax(1) == y)
    after = expected_calibration_error(softmax(logits * 20 / t).max(1), softmax(logits * 20 / t).argmax(1) == y)
    assert after < before / 3


def test_cross_fitted_ece_scores_each_half_with_the_other_halfs_temperature() -> None:
    from bot.nlu.intent_model import cross_fitted_ece

    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 400)
    logits = rng.normal(size=(400, 3))
    logits[np.arange(400), y] += 1.0
    logits *= 20  # overconfident
    perm = np.random.default_rng(13).permutation(400)
    a, b = perm[:200], perm[200:]
    expected = 0.0
    for fit_on, score_on in ((a, b), (b, a)):
        p = softmax(logits[score_on] / fit_temperature(logits[fit_on], y[fit_on]))
        expected += expected_calibration_error(p.max(1), p.argmax(1) == y[score_on]) / 2
    assert cross_fitted_ece(logits, y, seed=13) == pytest.approx(expected)
    assert expected < expected_calibration_error(softmax(logits).max(1), softmax(logits).argmax(1) == y) / 3


def test_cross_fitted_ece_of_too_few_examples_is_nan() -> None:
    from bot.nlu.intent_model import cross_fitted_ece

    assert np.isnan(cross_fitted_ece(np.zeros((10, 2)), np.zeros(10, int)))
