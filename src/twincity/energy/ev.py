"""Battery-electric car consumption: the effect of the outdoor temperature.

The packaged factor table (``bev_car``/``energy``) gives battery energy per km by speed
at the temperature where consumption is lowest. On a real day the cabin and battery are
heated or cooled, so consumption rises on both sides of that optimum.
:func:`bev_temperature_factor` is consumption at ``T`` over consumption at the optimum,
read off the Geotab study of 4,200 battery-electric vehicles over 5.2 million trips
(Geotab, "To what degree does temperature impact EV range?", 2020; summarised by
Electric Autonomy Canada, 26 May 2020): the average EV reached 115 % of its rated range
at the 21.5 °C sweet spot, at least 100 % between 10 °C and just above 30 °C, and 54 %
at −15 °C. Consumption is the inverse of range, so the factor is 1.15 / (range share):

=======  ===============  =========================================
T (°C)   range / rated    factor (consumption / optimum)
=======  ===============  =========================================
−15      0.54             2.13
10       1.00 (bound)     1.15
21.5     1.15             1.00
30       1.00 (bound)     1.15
=======  ===============  =========================================

Between the points the factor is linear; outside, it continues with the slope of the
nearest segment (an extrapolation, not a measurement) and is evaluated with the
temperature clamped to [:data:`T_MIN_C`, :data:`T_MAX_C`]. The 10 °C and 30 °C points use
the study's "at least 100 %" as the value, so the factor there is an upper bound.

Cross-check (not used in the curve): Recurrent's analysis of 18,000 EVs of 20 models
(January 2025) found winter range at 80 % of normal on average (83 % with a heat pump,
75 % without), i.e. a factor ≈ 1.25 over a North-American winter.

Example:
    >>> round(float(bev_temperature_factor(-15.0)), 3), float(bev_temperature_factor(21.5))
    (2.13, 1.0)
"""

from __future__ import annotations

import numpy as np

#: (temperature °C, consumption / consumption at the optimum), Geotab 2020 (see above).
GEOTAB_POINTS_C: tuple[tuple[float, float], ...] = (
    (-15.0, 1.15 / 0.54),
    (10.0, 1.15),
    (21.5, 1.0),
    (30.0, 1.15),
)
#: Temperature at which consumption is lowest (Geotab 2020 "sweet spot").
T_OPTIMUM_C = 21.5
#: Clamp of the extrapolation beyond the study's points.
T_MIN_C = -30.0
T_MAX_C = 40.0


def bev_temperature_factor(temp_c) -> np.ndarray:
    """Consumption at ``temp_c`` over consumption at the 21.5 °C optimum (≥ 1).

    Example:
        >>> bev_temperature_factor([10.0, 30.0]).round(2).tolist()
        [1.15, 1.15]
    """
    t = np.clip(np.asarray(temp_c, dtype=np.float64), T_MIN_C, T_MAX_C)
    xs = np.array([p[0] for p in GEOTAB_POINTS_C])
    ys = np.array([p[1] for p in GEOTAB_POINTS_C])
    out = np.interp(t, xs, ys)
    lo_slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    hi_slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    out = np.where(t < xs[0], ys[0] + (t - xs[0]) * lo_slope, out)
    return np.where(t > xs[-1], ys[-1] + (t - xs[-1]) * hi_slope, out)
