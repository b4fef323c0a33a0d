from __future__ import annotations

import numpy as np
import pytest

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


def _evidence(seed: int, n_in: int = 800, n_oos: int = 100) -> tuple[np.ndarray, ...]:
    """Synthetic validation evidence where each signal alone overlaps but together they separate better."""
    rng = np.random.default_rng(seed)
    conf = np.concatenate([rng.beta(8, 2, n_in), rng.beta(3, 3, n_oos)])
    sim = np.concatenate([rng.normal(0.70, 0.09, n_in), rng.normal(0.50, 0.09, n_oos)])
    p_oos = np.concatenate([rng.beta(1, 40, n_in), rng.beta(2, 10, n_oos)])
    is_oos = np.array([False] * n_in + [True] * n_oos)
    return conf, sim, p_oos, is_oos


def test_scorer_is_learned_with_enough_oos_examples_and_keeps_the_share_asked_for() -> None:
    from bot.nlu.out_of_scope import MIN_OOS_FOR_SCORER

    conf, sim, p_oos, is_oos = _evidence(0)
    none = np.zeros(len(conf), bool)
    d = fit_detector(conf, sim, ~is_oos, is_oos, none, keep_in_scope=0.95, oos_prob=p_oos)
    assert d.method == "validation-oos-scorer" and len(d.weights) == 3
    w_conf, w_sim, w_oos = d.weights
    assert w_conf < 0 and w_sim < 0 and w_oos > 0  # surer, closer, less like the out_of_scope intent: in scope
    # The threshold comes from out-of-fold scores, so on its own data it keeps about what was asked.
    assert 0.93 <= (~d.fires(conf, sim, p_oos))[~is_oos].mean() <= 0.97
    # Without an out_of_scope intent there is no third feature.
    assert len(fit_detector(conf, sim, ~is_oos, is_oos, none, keep_in_scope=0.95).weights) == 2
    # Too few out-of-scope examples for a learned scorer: the two thresholds.
    few = np.flatnonzero(is_oos)[MIN_OOS_FOR_SCORER - 1 :]
    keep = np.setdiff1d(np.arange(len(conf)), few)
    small = fit_detector(conf[keep], sim[keep], ~is_oos[keep], is_oos[keep], none[keep], keep_in_scope=0.95,
                         oos_prob=p_oos[keep])
    assert small.method == "validation-oos-keep" and small.weights == ()


def test_scorer_catches_more_unseen_oos_than_the_two_thresholds_at_the_same_keep() -> None:
    conf, sim, p_oos, is_oos = _evidence(1)
    none = np.zeros(len(conf), bool)
    scorer = fit_detector(conf, sim, ~is_oos, is_oos, none, keep_in_scope=0.95, oos_prob=p_oos)
    grid = fit_detector(conf, sim, ~is_oos, is_oos, none, keep_in_scope=0.95, objective="keep")
    conf, sim, p_oos, is_oos = _evidence(2, n_in=4000, n_oos=1000)  # fresh data from the same source
    s_fired, g_fired = scorer.fires(conf, sim, p_oos), grid.fires(conf, sim)
    assert s_fired[~is_oos].mean() <= g_fired[~is_oos].mean() + 0.01  # no more in-scope answers lost ...
    assert s_fired[is_oos].mean() >= g_fired[is_oos].mean() + 0.03  # ... and more out-of-scope caught


def test_confidence_needed_is_the_boundary_the_detector_fires_below() -> None:
    conf, sim, p_oos, is_oos = _evidence(3)
    none = np.zeros(len(conf), bool)
    for d in (fit_detector(conf, sim, ~is_oos, is_oos, none, keep_in_scope=0.95, oos_prob=p_oos),
              fit_detector(conf, sim, ~is_oos, is_oos, none, keep_in_scope=0.95, objective="keep")):
        rng = np.random.default_rng(4)
        for c, s, p in zip(rng.uniform(0.01, 0.99, 300), rng.uniform(0.2, 0.9, 300), rng.uniform(0.001, 0.5, 300),
                           strict=True):
            needed = d.confidence_needed(float(s), float(p))
            assert d.min_confidence <= needed <= 1.0
            if abs(c - needed) > 1e-6:
                assert bool(d.fires(np.array([c]), np.array([s]), np.array([p]))[0]) == (c < needed)


def test_scorer_never_learns_that_more_confidence_means_out_of_scope() -> None:
    from bot.nlu.out_of_scope import fit_scorer

    rng = np.random.default_rng(0)
    n = 400
    is_oos = np.arange(n) < 60
    # An accident of the data: here the out-of-scope examples happen to be the more confident ones.
    conf = np.where(is_oos, rng.uniform(0.6, 1.0, n), rng.uniform(0.3, 0.9, n))
    sim = np.where(is_oos, rng.normal(0.4, 0.1, n), rng.normal(0.7, 0.1, n))
    d = fit_scorer(conf, sim, None, ~is_oos, is_oos, np.zeros(n, bool), keep_in_scope=0.95)
    assert d.weights[0] == 0.0 and d.weights[1] < 0  # confidence left out, similarity still used
    assert d.confidence_needed(0.5) == d.min_confidence  # no confidence threshold to report but the floor
    assert d.fires(conf, sim)[is_oos].mean() > 0.8


def _in_scope_evidence(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Correct in-scope answers' confidence and similarity, strongly correlated (both follow z).

    Where the two signals agree, halving the rejection budget per signal kept nearly 1 - alpha / 2.
    """
    z = rng.normal(size=n)
    conf = 1 / (1 + np.exp(-(2.0 + 1.2 * z + 0.3 * rng.normal(size=n))))
    sim = 0.7 + 0.06 * z + 0.02 * rng.normal(size=n)
    return conf, sim


@pytest.mark.parametrize("keep", [0.9, 0.97, 0.995])
def test_thresholds_without_oos_keep_the_promised_share_of_new_in_scope_answers(keep: float) -> None:
    fresh_conf, fresh_sim = _in_scope_evidence(np.random.default_rng(99), 200_000)
    kept = []
    for seed in range(20):
        conf, sim = _in_scope_evidence(np.random.default_rng(seed), 1500)
        d = fit_detector(conf, sim, np.ones(1500, bool), np.zeros(1500, bool), np.zeros(1500, bool),
                         keep_in_scope=keep)
        assert d.method == "validation-in-scope"
        kept.append(1 - d.fires(fresh_conf, fresh_sim).mean())
    # Conformal: never below the promise on average, and not far above it (the old per-signal halves of
    # the budget kept up to 1 - alpha / 2 here, the in-sample quantile fell short on small sets).
    assert keep - 0.002 <= np.mean(kept) <= keep + max(0.25 * (1 - keep), 2 / 1501)
    assert min(kept) >= keep - 3 * np.sqrt(keep * (1 - keep) / 1500)


def test_too_few_examples_to_promise_the_share_sit_at_the_lowest_held_out_evidence() -> None:
    conf, sim = _in_scope_evidence(np.random.default_rng(0), 50)
    d = fit_detector(conf, sim, np.ones(50, bool), np.zeros(50, bool), np.zeros(50, bool), keep_in_scope=0.995)
    # 51 * 0.005 < 1: no threshold keeps 0.995 for sure; the lowest of each signal keeps 50 / 51.
    assert (d.min_confidence, d.min_similarity) == (conf.min(), sim.min())
    assured = fit_detector(conf, sim, np.ones(50, bool), np.zeros(50, bool), np.zeros(50, bool), keep_in_scope=0.995,
                           assurance=0.9)
    assert (assured.min_confidence, assured.min_similarity) == (d.min_confidence, d.min_similarity)
    assert not d.fires(conf, sim).any()
    assert d.fires(np.array([conf.min() - 1e-6, 0.99]), np.array([0.9, sim.min() - 1e-6])).all()


def test_scorer_threshold_keeps_the_promised_share_of_new_in_scope_answers() -> None:
    kept = []
    fresh = _evidence(1000, n_in=50_000, n_oos=10)
    for seed in range(10):
        conf, sim, p_oos, is_oos = _evidence(seed, n_in=1500, n_oos=100)
        d = fit_detector(conf, sim, ~is_oos, is_oos, np.zeros(len(conf), bool), keep_in_scope=0.97, oos_prob=p_oos)
        assert d.method == "validation-oos-scorer"
        kept.append(1 - d.fires(fresh[0], fresh[1], fresh[2])[~fresh[3]].mean())
    assert 0.968 <= np.mean(kept) <= 0.98


def test_conformal_upper_is_the_order_statistic_that_holds_out_of_sample() -> None:
    from bot.nlu.out_of_scope import conformal_upper

    x = np.arange(1.0, 100.0)  # 99 scores 1..99
    assert conformal_upper(x, 0.9) == 90.0  # ceil(100 * 0.9) = 90th smallest
    assert conformal_upper(x, 0.995) == float("inf")  # 100 * 0.995 > 99: nothing can promise it
    assert conformal_upper(x, 0.5) == 50.0


@pytest.mark.parametrize("keep", [0.97, 0.995])
def test_assured_thresholds_keep_the_promise_for_nine_fits_in_ten_not_one_in_two(keep: float) -> None:
    """Split-conformal thresholds keep the promise on average: about half of all fits keep a little less
    (BANKING77 and CLINC150 test: 0.991-0.993 against 0.995). With assurance 0.9, nine fits in ten keep it."""
    fresh_conf, fresh_sim = _in_scope_evidence(np.random.default_rng(99), 200_000)
    held = {0.0: [], 0.9: []}
    for seed in range(60):
        conf, sim = _in_scope_evidence(np.random.default_rng(seed), 1500)
        for assurance, kept in held.items():
            d = fit_detector(conf, sim, np.ones(1500, bool), np.zeros(1500, bool), np.zeros(1500, bool),
                             keep_in_scope=keep, assurance=assurance)
            kept.append(1 - d.fires(fresh_conf, fresh_sim).mean())
    plain, assured = (np.array(held[a]) for a in (0.0, 0.9))
    assert (assured >= keep).mean() >= 0.8  # 0.9 expected; 60 fits
    assert (plain >= keep).mean() <= 0.75  # about half
    assert np.mean(assured) > np.mean(plain)
    # and the price is small: the share it keeps beyond the promise stays within a third of what it may miss
    assert np.mean(assured) <= keep + (1 - keep) / 3 + 2 / 1501


def test_conformal_upper_with_assurance_holds_for_that_share_of_calibration_draws() -> None:
    from bot.nlu.out_of_scope import conformal_upper

    rng = np.random.default_rng(5)
    # Uniform scores: a threshold t keeps exactly t of new ones, so each draw's true keep is known.
    for n, keep in ((300, 0.95), (2000, 0.995)):
        true_keep = np.array([conformal_upper(rng.uniform(size=n), keep, 0.9) for _ in range(3000)])
        assert 0.88 <= (true_keep >= keep).mean() <= 0.96  # at least 0.9 (ranks are whole: up to one step over)
        plain = np.array([conformal_upper(rng.uniform(size=n), keep) for _ in range(3000)])
        assert 0.4 <= (plain >= keep).mean() <= 0.7
    assert conformal_upper(rng.uniform(size=100), 0.995, 0.9) == float("inf")  # too few for any promise
    # Too few to assure 0.995 (it needs 459) but enough for the plain promise (199): the plain rank stands,
    # so a small tenant's detector is never switched off by asking for more certainty.
    x = np.arange(1.0, 401.0)
    assert conformal_upper(x, 0.995, 0.9) == conformal_upper(x, 0.995) == 399.0


def test_scorer_threshold_with_assurance_keeps_the_promise_in_most_fits() -> None:
    fresh = _evidence(1000, n_in=50_000, n_oos=10)
    kept = []
    for seed in range(20):
        conf, sim, p_oos, is_oos = _evidence(seed, n_in=1500, n_oos=100)
        d = fit_detector(conf, sim, ~is_oos, is_oos, np.zeros(len(conf), bool), keep_in_scope=0.97,
                         oos_prob=p_oos, assurance=0.9)
        kept.append(1 - d.fires(fresh[0], fresh[1], fresh[2])[~fresh[3]].mean())
    assert (np.array(kept) >= 0.97).mean() >= 0.8


def test_assured_ranks_are_the_order_statistics_the_beta_law_gives() -> None:
    from bot.nlu.out_of_scope import _assured_rank

    # 1,400 held-out correct answers, promise 0.995, assurance 0.9 (BANKING77's size): the plain ranks
    # are the 7th lowest (lower) and 1,394th (upper); assured, the 4th and the 1,397th.
    assert _assured_rank(1400, 0.005, 0.9, upper=False) == 4
    assert _assured_rank(1400, 0.005, 0.9, upper=True) == 1397
    assert _assured_rank(200, 0.005, 0.9, upper=False) == 0  # no rank can assure it
    assert _assured_rank(650, 0.005, 0.9, upper=False) == 1  # only the lowest can

    assert _assured_rank(459, 0.005, 0.9, upper=True) == 460  # none (n + 1) ...
    assert _assured_rank(460, 0.005, 0.9, upper=True) == 460  # ... until 460: the very highest


def test_assured_pair_of_thresholds_holds_for_independent_signals_too() -> None:
    """The pair's region is bounded by two order statistics: with independent signals it misses more
    than one signal would, and the assured rank allows for it (one rank lower)."""
    rng = np.random.default_rng(7)
    fresh_c, fresh_s = rng.uniform(size=200_000), rng.uniform(size=200_000)
    held = []
    for _ in range(200):
        c, s_ = rng.uniform(size=1500), rng.uniform(size=1500)
        d = fit_detector(c, s_, np.ones(1500, bool), np.zeros(1500, bool), np.zeros(1500, bool),
                         keep_in_scope=0.97, assurance=0.9)
        held.append(1 - d.fires(fresh_c, fresh_s).mean() >= 0.97)
    assert np.mean(held) >= 0.92  # 0.9 promised; 0.94 on these seeds, where one rank higher gave 0.90


def test_assured_pair_never_fires_on_more_than_the_plain_rank() -> None:
    from bot.nlu.out_of_scope import joint_lower_thresholds

    for n in (300, 650, 1400, 4000):
        conf, sim = _in_scope_evidence(np.random.default_rng(n), n)
        plain, assured = (joint_lower_thresholds(conf, sim, 0.995, a) for a in (0.0, 0.9))
        if n < 460:  # too few to assure anything: the plain rank
            assert assured == plain
        else:  # 650: only the lowest can assure it (rank 1 against the plain 3); 1,400: 3 against 7
            assert assured[0] < plain[0] and assured[1] < plain[1]
