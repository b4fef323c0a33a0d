from __future__ import annotations

import numpy as np

from bot.nlu.out_of_scope import OutOfScopeDetector, fit_detector


def test_fit_detector_with_oos_examples_separates_them() -> None:
    conf = np.array([0.9] * 20 + [0.2] * 10)
    sim = np.array([0.8] * 20 + [0.3] * 10)
    is_oos = np.array([False] * 20 + [True] * 10)
    d = fit_detector(conf, sim, ~is_oos, is_oos, np.zeros(30, bool))
    assert d.method == "validation-oos-keep"
    assert d.fires(conf, sim).tolist() == is_oos.tolist()


def test_fit_detector_without_oos_examples_keeps_most_in_scope() -> None:
    rng = np.random.default_rng(1)
    conf, sim = rng.uniform(0.3, 1.0, 400), rng.uniform(0.4, 1.0, 400)
    d = fit_detector(conf, sim, np.ones(400, bool), np.zeros(400, bool), np.zeros(400, bool), keep_in_scope=0.9)
    assert d.method == "validation-in-scope"
    assert 0.85 <= 1 - d.fires(conf, sim).mean() <= 0.95


def test_fit_detector_with_too_little_data_uses_the_default() -> None:
    d = fit_detector(np.array([0.9]), np.array([0.9]), np.array([True]), np.array([False]), np.array([False]))
    assert d == OutOfScopeDetector()


def test_fit_detector_keeping_everything_switches_it_off() -> None:
    conf, sim = np.linspace(0.1, 1.0, 50), np.linspace(0.2, 1.0, 50)
    d = fit_detector(conf, sim, np.ones(50, bool), np.zeros(50, bool), np.zeros(50, bool), keep_in_scope=1.0)
    assert d == OutOfScopeDetector(0.0, -1.0, "off")
    assert not d.fires(conf, sim).any()


def _overlapping(n_in: int = 100, n_oos: int = 20) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # In-scope confidences 0.01..1.0; OOS ones 0.05..0.5: no threshold separates them fully.
    conf = np.concatenate([np.linspace(0.01, 1.0, n_in), np.linspace(0.05, 0.5, n_oos)])
    is_oos = np.array([False] * n_in + [True] * n_oos)
    return conf, np.ones(n_in + n_oos), is_oos


def test_fit_detector_keep_objective_keeps_the_share_of_correct_answers_asked_for() -> None:
    conf, sim, is_oos = _overlapping()
    d = fit_detector(conf, sim, ~is_oos, is_oos, np.zeros(len(conf), bool), keep_in_scope=0.9, objective="keep")
    kept = (~d.fires(conf, sim))[~is_oos].mean()
    assert d.method == "validation-oos-keep"
    assert kept >= 0.9
    # ... and no threshold keeping as much catches more OOS: the highest confidence cut with kept >= 0.9.
    assert d.min_confidence == max(c for c in np.unique(np.clip(np.quantile(conf, np.linspace(0, 0.6, 61)), 0.05, 0.9))
                                   if (conf[~is_oos] >= c).mean() >= 0.9)


def test_fit_detector_balanced_objective_rejects_more_in_scope_for_recall() -> None:
    conf, sim, is_oos = _overlapping()
    keep = fit_detector(conf, sim, ~is_oos, is_oos, np.zeros(len(conf), bool), keep_in_scope=0.9)
    balanced = fit_detector(conf, sim, ~is_oos, is_oos, np.zeros(len(conf), bool), objective="balanced")
    assert balanced.method == "validation-oos-balanced"
    assert balanced.min_confidence > keep.min_confidence
    assert balanced.fires(conf, sim)[is_oos].mean() == 1.0
