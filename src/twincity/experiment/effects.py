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

Arms. Each city's effect is ``treatment − control`` over the same seeds. For a
policy *in force* in a city (its own signature policy) the treatment is the
city as it is and the control the city ``without`` it; for a policy *added*
to a city the treatment is the city with it added (adapted) and the control
the city as it is, its own in-force policies kept (:func:`effects_table`'s
``arms``).

Multiplicity. A policy declares its *primary* KPIs; each is tested on its own
at 95% (the t-interval above; ``significant`` when it excludes 0). Every
other KPI is *secondary*: its paired t-test p-value is adjusted with Holm's
step-down method across the secondary KPIs of the city (:func:`holm_adjust`,
family-wise error 5%), and it is ``significant`` only when the adjusted
p-value is below 0.05. Each effect is judged good or bad by its KPI's good
direction (:func:`twincity.kpi.judge_effect`), never by its sign alone.

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

#: Columns of :func:`effects_table`. ``baseline_mean``/``policy_mean`` are the
#: control and treatment arms' means (for a policy in force at home: without it /
#: with it); ``role`` is ``primary`` or ``secondary``; ``p_value`` is the paired
#: t-test's, ``p_adjusted`` Holm's across the city's secondary KPIs (the raw
#: p-value for a primary KPI); ``significant`` is the reported verdict (primary:
#: the 95% CI excludes 0; secondary: ``p_adjusted < 0.05``); ``judgement`` is
#: good / bad / neutral / n.s. by the KPI's good direction.
EFFECT_COLUMNS = ["city", "kpi", "unit", "n", "baseline_mean", "policy_mean", "effect",
                  "effect_se", "ci_low", "ci_high", "rel_effect_pct", "rel_ci_low_pct",
                  "rel_ci_high_pct", "role", "p_value", "p_adjusted", "ci_excludes_zero",
                  "significant", "better", "judgement", "design"]

#: Family-wise error rate of the secondary KPIs (Holm) and level of the primary tests.
ALPHA = 1.0 - CONFIDENCE

#: How each arm pair reads in reports, by design.
DESIGNS = {
    "in_force": "with − without (policy in force at home, removed in the control arm)",
    "added": "with − without (policy added and adapted; control: the city as it is, its "
             "own policies in force kept)",
}


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

    @property
    def p_value(self) -> float:
        """Two-sided p-value of the paired t-test of "no effect" (NaN with fewer than 2 pairs).

        With no spread the differences are exact: 0 when they are not 0, else 1.
        """
        if self.n < 2 or not math.isfinite(self.effect):
            return math.nan
        if not self.se > 0:
            return 0.0 if self.effect != 0 else 1.0
        return float(2.0 * stats.t.sf(abs(self.effect / self.se), self.n - 1))


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


def holm_adjust(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control; NaN kept apart).

    Sort the ``m`` finite p-values ascending, multiply the ``i``-th (from 0)
    by ``m − i``, take the running maximum and cap at 1; reject where the
    adjusted value is below the level (Holm 1979, *Scand. J. Statist.* 6:65–70).

    >>> holm_adjust([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = p[order] * (m - np.arange(m))
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out


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


Arm = tuple[str, ...]
"""An arm as the store's KPI columns name it: (``policies``, ``without``[, ``control_of``]).

``policies`` and ``without`` are joined by ``,``; ``control_of`` (default empty)
picks a paired control arm: the city as it is, run beside the changed arm it
names (:attr:`~twincity.experiment.spec.RunSpec.control_of`).
"""


def _arm3(arm: Arm) -> tuple[str, str, str]:
    return (arm[0], arm[1], arm[2] if len(arm) > 2 else "")


def effects_table(kpis: pd.DataFrame, *, city_of: dict[str, str], policy_arm: str = "",
                  kpi_names: list[str] | None = None, confidence: float = CONFIDENCE,
                  arms: dict[str, tuple[Arm, Arm]] | None = None,
                  designs: dict[str, str] | None = None,
                  primary: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Paired effects per city and KPI from a KPI DataFrame of a result store.

    ``kpis`` has the store's columns (scenario, policies, without, seed, name,
    value, unit); ``city_of`` maps a scenario path to its city's name.
    ``arms`` maps a scenario path to its (control, treatment) arms; by default
    the control is the city as it is ``("", "")`` and the treatment
    ``(policy_arm, "")``. ``designs`` names each scenario's design (a key of
    :data:`DESIGNS`, default ``"added"``). Only seeds present in both arms are
    paired. KPIs in ``primary`` are tested at ``confidence`` each; the others
    are Holm-adjusted across the city (see the module docstring). Returns
    :data:`EFFECT_COLUMNS`.
    """
    from twincity.kpi import CATALOGUE, judge_effect

    alpha = 1.0 - confidence
    for column in ("without", "control_of"):
        if column not in kpis:
            kpis = kpis.assign(**{column: ""})
    arms = arms or {s: (("", ""), (policy_arm, "")) for s in city_of}
    designs = designs or {}
    data = kpis[kpis["scenario"].isin(city_of)].assign(
        arm=lambda f: list(zip(f["policies"], f["without"].fillna(""),
                               f["control_of"].fillna(""), strict=True)))
    names = kpi_names if kpi_names is not None else sorted(data["name"].unique())
    rows = []
    for scenario, city in city_of.items():
        control, treatment = (_arm3(a) for a in arms[scenario])
        here = data[(data["scenario"] == scenario) & data["arm"].isin([control, treatment])]
        units = here.drop_duplicates("name").set_index("name")["unit"]
        wide = here.assign(arm=here["arm"].map({control: "control", treatment: "treatment"})
                           ).pivot_table(index=["name", "seed"], columns="arm", values="value",
                                         aggfunc="first")
        city_rows = []
        for name in names:
            if (name not in units.index or "control" not in wide
                    or "treatment" not in wide or name not in wide.index.get_level_values(0)):
                continue
            pair = wide.loc[name, ["control", "treatment"]].dropna()
            e = paired_effect(pair["control"].to_numpy(), pair["treatment"].to_numpy(),
                              confidence)
            rel, rel_lo, rel_hi = e.rel_pct
            d = CATALOGUE.get(name)
            city_rows.append({
                "city": city, "kpi": name, "unit": units[name], "n": e.n,
                "baseline_mean": e.baseline_mean, "policy_mean": e.policy_mean,
                "effect": e.effect, "effect_se": e.se, "ci_low": e.ci_low,
                "ci_high": e.ci_high, "rel_effect_pct": rel, "rel_ci_low_pct": rel_lo,
                "rel_ci_high_pct": rel_hi,
                "role": "primary" if name in primary else "secondary",
                "p_value": e.p_value, "ci_excludes_zero": e.significant,
                "better": d.better if d is not None else "none",
                "design": designs.get(scenario, "added")})
        secondary = [r for r in city_rows if r["role"] == "secondary"]
        adjusted = holm_adjust([r["p_value"] for r in secondary])
        for r, q in zip(secondary, adjusted, strict=True):
            r["p_adjusted"] = float(q)
            r["significant"] = bool(q < alpha)
        for r in city_rows:
            if r["role"] == "primary":
                r["p_adjusted"] = r["p_value"]
                r["significant"] = r["ci_excludes_zero"]
            r["judgement"] = judge_effect(r["kpi"], r["effect"], significant=r["significant"])
        rows += city_rows
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def classify_pair(origin_effect: float, origin_significant: bool, target_effect: float,
                  target_significant: bool) -> str:
    """How two cities' effects on one KPI compare: same direction, opposite, or inconclusive.

    "same direction" only when both effects are significant and of the same
    sign; "opposite" when both are significant with opposite signs; anything
    else (either not significant) is "inconclusive".

    >>> classify_pair(-1.0, True, -0.5, True), classify_pair(-1.0, True, 0.5, True)
    ('same direction', 'opposite')
    >>> classify_pair(-1.0, True, -0.5, False)
    'inconclusive'
    """
    if not (origin_significant and target_significant):
        return "inconclusive"
    if origin_effect == 0 or target_effect == 0:
        return "inconclusive"
    return "same direction" if (origin_effect > 0) == (target_effect > 0) else "opposite"
