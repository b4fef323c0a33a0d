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
