"""Keyed random numbers: pure functions of (seed, purpose, identity, iteration)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from twincity import draws
from twincity.traffic.modechoice import choose_by_errors, logit_probabilities


def test_a_number_depends_on_its_key_not_on_its_neighbours() -> None:
    ids = np.arange(1000, 2000)
    full = draws.uniform(11, "mode", ids, 3)
    some = draws.uniform(11, "mode", ids[::7], 3)
    np.testing.assert_array_equal(full[::7], some)
    assert not np.array_equal(full, draws.uniform(11, "mode", ids, 4))
    assert not np.array_equal(full, draws.uniform(12, "mode", ids, 3))
    assert not np.array_equal(full, draws.uniform(11, "route-swap", ids, 3))


def test_uniforms_are_uniform_and_independent_of_neighbours() -> None:
    u = draws.uniform(5, "test", np.arange(200_000))
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # consecutive identities are uncorrelated (a counter-based hash, not a stride)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


def test_frozen_gumbel_errors_reproduce_logit_shares() -> None:
    """Random-utility maximisation with Gumbel errors gives the logit formula (McFadden 1974)."""
    v = np.array([0.0, np.log(3.0), -np.inf, 0.5])
    n = 200_000
    eps = draws.gumbel(9, "mode", np.arange(n * 4).reshape(n, 4))
    chosen = choose_by_errors(np.broadcast_to(v, (n, 4)), eps)
    share = np.bincount(chosen, minlength=4) / n
    np.testing.assert_allclose(share, logit_probabilities(v[None, :])[0], atol=0.005)


def test_kernel_hash_matches_range() -> None:
    key = draws.purpose_key(3, "kernel")
    u = np.array([draws.hash_u01(key, n, k, 0) for n in range(50) for k in range(40)])
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.03
