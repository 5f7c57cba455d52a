"""Random numbers keyed by identity: common random numbers between the arms of an experiment.

A random number here is a pure function of ``(root seed, purpose, identity,
iteration)``, computed by a counter-based hash (SplitMix64's finaliser, Steele,
Lea & Flood 2014), not drawn from an advancing stream. A policy that changes
how many people drive, or how many trips exist, therefore cannot shift the
numbers of anyone else: traveller 17's taste for transit, her chance to
reconsider her route on day 3 and her car's class are the same in the baseline
and the policy arm. Only travellers whose costs cross a margin change their
choices, which is what makes paired differences between arms precise
(common random numbers; Law 2015, *Simulation Modeling and Analysis*, §11.2).

``purpose`` names the decision ("mode", "route-swap", "fleet"…); identities
are stable integers (a trip id, a vehicle id, ``trip * n_modes + mode``).

Example:
    >>> u = uniform(7, "mode", np.arange(3))
    >>> bool(np.all((u > 0) & (u < 1)))
    True
    >>> bool(np.all(u == uniform(7, "mode", np.arange(3))))
    True
    >>> bool(uniform(7, "mode", [1])[0] == uniform(7, "mode", [0, 1])[1])
    True
"""

from __future__ import annotations

import zlib

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on uint64 arrays (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def purpose_key(seed: int, purpose: str, iteration: int = 0) -> np.uint64:
    """One 64-bit key for (root seed, purpose, iteration).

    >>> bool(purpose_key(1, "mode") != purpose_key(1, "fleet"))
    True
    """
    with np.errstate(over="ignore"):
        k = _mix(np.array([int(seed) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))
        k = _mix(k ^ np.uint64(zlib.crc32(purpose.encode())) * _GOLDEN)
        k = _mix(k + np.uint64(int(iteration) & 0xFFFFFFFF) * _M1)
    return np.uint64(k[0])


def hash_bits(key: np.uint64, identity) -> np.ndarray:
    """64 random bits per identity under ``key``."""
    ident = np.asarray(identity, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        return _mix(_mix(ident * _GOLDEN + key) ^ key)


def uniform(seed: int, purpose: str, identity, iteration: int = 0) -> np.ndarray:
    """Uniforms in the open interval (0, 1), one per identity, keyed as the module says."""
    bits = hash_bits(purpose_key(seed, purpose, iteration), identity)
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * _TO_UNIT


def gumbel(seed: int, purpose: str, identity, iteration: int = 0) -> np.ndarray:
    """Standard Gumbel errors (location 0, scale 1), one per identity.

    Adding them to logit utilities and taking the best alternative reproduces
    the logit probabilities, with the errors frozen per traveller.

    >>> g = gumbel(3, "test", np.arange(200_000))
    >>> abs(float(g.mean()) - 0.5772) < 0.01   # Euler–Mascheroni constant
    True
    """
    return -np.log(-np.log(uniform(seed, purpose, identity, iteration)))


@njit(cache=True, inline="always")
def hash_u01(key, a, b, c):
    """Uniform in [0, 1) from a key and three integer counters (inside numba kernels).

    The same SplitMix64 finaliser as :func:`hash_bits`; used by the traffic
    kernel for node-service tie-breaking keyed by (seed, node, tick, draw).
    """
    x = key ^ (np.uint64(a) * np.uint64(0x9E3779B97F4A7C15))
    for v in (np.uint64(b), np.uint64(c)):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
        x = x + v * np.uint64(0xD1B54A32D192ED03)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return float(x >> np.uint64(11)) * (1.0 / 9007199254740992.0)
