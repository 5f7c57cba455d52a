"""Energy kernel: the 1R1C building thermal kernel (``energy.buildings.simulate_thermal``).

N building groups with seeded random envelopes (UA 50–5000 W/K, time constants
10–100 h), a cold-day and a hot-day weather profile, 6 sub-steps per hour and
3 warm-up days (the defaults of ``simulate_buildings``). ``track_`` records
group-hours simulated per second (warm-up days included in the count).
"""

from __future__ import annotations

import time

import numpy as np

from twincity.energy.buildings import simulate_thermal

from .common import rng_for

SUBSTEPS_PER_HOUR = 6
WARMUP_DAYS = 3


def _inputs(n: int, day: str):
    rng = rng_for("buildings")
    ua = rng.uniform(50.0, 5000.0, n)
    cap = ua * rng.uniform(10.0, 100.0, n) * 3600.0  # time constant 10–100 h
    hours = np.arange(24)
    base = -5.0 if day == "cold" else 28.0
    temp = base + 5.0 * np.sin((hours - 9) / 24 * 2 * np.pi)
    ghi = np.clip(800.0 * np.sin((hours - 6) / 12 * np.pi), 0.0, None)
    gains = rng.uniform(0.0, 20.0, n)[:, None] * ua[:, None] * np.ones(24)
    aperture = rng.uniform(0.0, 0.02, n) * ua
    return (temp, ghi, ua, cap, gains, aperture, np.full(n, 20.0), np.full(n, 26.0))


class ThermalKernel:
    params = [[10_000, 100_000], ["cold", "hot"]]
    param_names = ["groups", "day"]
    timeout = 600

    def setup(self, groups, day):
        self.args = _inputs(groups, day)
        simulate_thermal(*_inputs(2, day))  # compile / load the cache

    def _run(self):
        return simulate_thermal(*self.args, substeps_per_hour=SUBSTEPS_PER_HOUR,
                                warmup_days=WARMUP_DAYS)

    def time_simulate_thermal(self, groups, day):
        self._run()

    def track_group_hours_per_s(self, groups, day):
        t0 = time.perf_counter()
        self._run()
        dt = time.perf_counter() - t0
        return groups * 24 * (WARMUP_DAYS + 1) / dt

    track_group_hours_per_s.unit = "group-hours/s"
