from __future__ import annotations

import math

import pytest

from knowledge_base.calibration import expected_calibration_error, features, fit, probability


def test_probability_applies_bias_and_weights() -> None:
    assert probability([0.0, 2.0], [0.0]) == 0.5
    assert probability([-1.0, 2.0, 1.0], [1.0, 0.5]) == pytest.approx(1 / (1 + math.exp(-1.5)))


def test_features_each_retriever_sees_only_its_own_signal() -> None:
    assert features("dense", 0.7, 3.0, 2) == [0.7]
    assert features("bm25", 0.7, math.e - 1, 2) == [pytest.approx(1.0)]
    assert features("hybrid", 0.7, 0.0, 4) == [0.7, 0.0, 0.25]


def test_expected_calibration_error_on_known_bins() -> None:
    # bin 0.9: confidence 0.9, accuracy 1/2 -> 0.4 over 2 of 4; bin 0.1: confidence 0.1, accuracy 0 -> 0.1 over 2
    assert expected_calibration_error([0.9, 0.9, 0.1, 0.1], [1, 0, 0, 0]) == pytest.approx((2 * 0.4 + 2 * 0.1) / 4)
    assert expected_calibration_error([], []) == 0.0


def test_fit_learns_that_higher_similarity_means_relevant() -> None:
    rows = [[x / 10] for x in range(11)] * 4
    labels = [int(r[0] > 0.5) for r in rows]
    coef = fit(rows, labels)
    assert probability(coef, [0.9]) > 0.9 and probability(coef, [0.1]) < 0.1


def test_fit_with_one_class_is_refused() -> None:
    with pytest.raises(ValueError, match="both relevant and irrelevant"):
        fit([[0.1], [0.2]], [0, 0])
