"""Policy effects from paired runs, and the transferability ratio between two cities.

A policy's *effect* on a KPI in one city is the mean over seeds of the paired
difference ``policy − baseline`` (both arms run with the same seeds, so the
seed's noise largely cancels). Its 95% confidence interval is the Student t
interval of those differences: ``mean ± t(0.975, n−1) · sd / √n``. The
relative effect (%) is the effect divided by the mean baseline value; its CI
is the effect's CI divided the same way (the baseline mean is treated as
known, which is a good approximation when the baseline's seed spread is small
next to its level).

The *transferability ratio* of a KPI is ``effect in target / effect in
origin``. Its CI comes from Fieller's theorem for a ratio of two independent
means (the two cities are simulated independently; covariance 0): the set of
``θ`` with ``|a − θ·b| ≤ t · √(se_a² + θ²·se_b²)``, using ``t`` with
``n − 1`` degrees of freedom (``n`` = seeds, the smaller city's count). When
the origin effect is not significantly different from zero (``g =
t²·se_b²/b² ≥ 1``) the Fieller set is unbounded and the CI is reported as
``(-inf, inf)``; the table flags every KPI whose origin CI includes 0.

Example:
    >>> import numpy as np
    >>> e = paired_effect(np.array([10., 11, 12]), np.array([8., 9.5, 9]))
    >>> round(e.effect, 3), e.n
    (-2.167, 3)
    >>> lo, hi = fieller_ratio(2.0, 0.1, 4.0, 0.1, df=9)
    >>> bool(lo < 0.5 < hi)
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Confidence level of every interval reported.
CONFIDENCE = 0.95

#: Columns of :func:`effects_table`.
EFFECT_COLUMNS = ["city", "kpi", "unit", "n", "baseline_mean", "policy_mean", "effect",
                  "effect_se", "ci_low", "ci_high", "rel_effect_pct", "rel_ci_low_pct",
                  "rel_ci_high_pct", "significant"]


@dataclass(frozen=True)
class PairedEffect:
    """Mean paired difference with its standard error and t-interval."""

    n: int
    baseline_mean: float
    policy_mean: float
    effect: float
    se: float
    ci_low: float
    ci_high: float

    @property
    def rel_pct(self) -> tuple[float, float, float]:
        """(effect, CI low, CI high) as % of the baseline mean (NaN for a zero baseline)."""
        b = self.baseline_mean
        if b == 0 or not math.isfinite(b):
            return (math.nan, math.nan, math.nan)
        lo, hi = sorted((self.ci_low / abs(b) * 100, self.ci_high / abs(b) * 100))
        return (self.effect / abs(b) * 100, lo, hi)

    @property
    def significant(self) -> bool:
        """Whether the CI excludes 0."""
        return bool(self.ci_low > 0 or self.ci_high < 0)


def t_quantile(df: float, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student t critical value (NaN when ``df < 1``)."""
    return float(stats.t.ppf(0.5 + confidence / 2, df)) if df >= 1 else math.nan


def paired_effect(baseline: np.ndarray, policy: np.ndarray,
                  confidence: float = CONFIDENCE) -> PairedEffect:
    """Effect of ``policy − baseline`` over paired seeds with its t confidence interval.

    ``baseline[i]`` and ``policy[i]`` come from the same seed. With one pair the
    CI is NaN (no spread to estimate). A zero spread gives a zero-width CI.

    >>> e = paired_effect(np.array([1., 2, 3, 4]), np.array([2., 3, 4, 5]))
    >>> e.effect, e.ci_low, e.ci_high
    (1.0, 1.0, 1.0)
    """
    b = np.asarray(baseline, dtype=np.float64)
    p = np.asarray(policy, dtype=np.float64)
    if b.shape != p.shape:
        raise ValueError(f"paired samples differ in length ({b.size} vs {p.size})")
    d = p - b
    n = int(d.size)
    if n == 0:
        return PairedEffect(0, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)
    mean = float(d.mean())
    if n < 2:
        se = half = math.nan
    else:
        se = float(d.std(ddof=1) / math.sqrt(n))
        half = t_quantile(n - 1, confidence) * se
    return PairedEffect(n, float(b.mean()), float(p.mean()), mean, se, mean - half, mean + half)


def fieller_ratio(a: float, se_a: float, b: float, se_b: float, *, df: float,
                  confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Fieller confidence interval of ``a / b`` for independent estimates ``a`` and ``b``.

    Solves ``(a − θb)² = t²(se_a² + θ²se_b²)`` for ``θ``. Returns
    ``(-inf, inf)`` when ``b`` is not significantly different from 0 at this
    level (the confidence set is then unbounded), and ``(nan, nan)`` when a
    standard error is unknown.

    >>> lo, hi = fieller_ratio(1.0, 0.0, 2.0, 0.0, df=5)
    >>> lo, hi
    (0.5, 0.5)
    """
    t = t_quantile(df, confidence)
    if not all(math.isfinite(x) for x in (a, se_a, b, se_b, t)) or b == 0:
        return (math.nan, math.nan) if b != 0 else (-math.inf, math.inf)
    g = (t * se_b / b) ** 2
    if g >= 1.0:
        return (-math.inf, math.inf)
    theta = a / b
    root = (t / abs(b)) * math.sqrt(se_a ** 2 * (1.0 - g) + theta ** 2 * se_b ** 2)
    return ((theta - root) / (1.0 - g), (theta + root) / (1.0 - g))


def effects_table(kpis: pd.DataFrame, *, city_of: dict[str, str], policy_arm: str,
                  kpi_names: list[str] | None = None,
                  confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Paired effects per city and KPI from a KPI DataFrame of a result store.

    ``kpis`` has the store's columns (scenario, policies, seed, name, value,
    unit); ``city_of`` maps a scenario path to its city's name; baseline rows
    have ``policies == ""`` and policy rows ``policies == policy_arm``. Only
    seeds present in both arms are paired. Returns :data:`EFFECT_COLUMNS`.
    """
    rows = []
    data = kpis[kpis["scenario"].isin(city_of)
                & kpis["policies"].isin(["", policy_arm])]
    names = kpi_names if kpi_names is not None else sorted(data["name"].unique())
    for scenario, city in city_of.items():
        here = data[data["scenario"] == scenario]
        units = here.drop_duplicates("name").set_index("name")["unit"]
        wide = here.pivot_table(index=["name", "seed"], columns="policies", values="value",
                                aggfunc="first")
        for name in names:
            if name not in units.index or "" not in wide or policy_arm not in wide:
                continue
            pair = wide.loc[name, ["", policy_arm]].dropna()
            e = paired_effect(pair[""].to_numpy(), pair[policy_arm].to_numpy(), confidence)
            rel, rel_lo, rel_hi = e.rel_pct
            rows.append({"city": city, "kpi": name, "unit": units[name], "n": e.n,
                         "baseline_mean": e.baseline_mean, "policy_mean": e.policy_mean,
                         "effect": e.effect, "effect_se": e.se, "ci_low": e.ci_low,
                         "ci_high": e.ci_high, "rel_effect_pct": rel, "rel_ci_low_pct": rel_lo,
                         "rel_ci_high_pct": rel_hi, "significant": e.significant})
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)
