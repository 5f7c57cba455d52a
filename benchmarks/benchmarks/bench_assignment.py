"""Static user-equilibrium assignment (conjugate Frank-Wolfe) on the synthetic city.

A peak-hour gravity OD matrix (:func:`common.gravity_demand`: 60 zones,
40 000 veh/h) on the generated city; solved to a relative gap of 1e-4 (at most
500 iterations). ``track_`` records the iterations needed and the time per
iteration (one all-or-nothing loading per iteration dominates).
"""

from __future__ import annotations

import time

from twincity.traffic.assignment import frank_wolfe

from .common import gravity_demand, synthetic_city

GAP = 1e-4
MAX_ITER = 500


class StaticAssignment:
    params = [["fw", "cfw", "bfw"]]
    param_names = ["method"]
    number = 1
    repeat = (1, 3, 120.0)
    timeout = 900

    def setup(self, method):
        self.net = synthetic_city()
        self.od, self.nodes = gravity_demand(self.net)
        frank_wolfe(self.net, self.od, self.nodes, max_iter=1, method=method)  # compile

    def _solve(self, method):
        return frank_wolfe(self.net, self.od, self.nodes, gap=GAP, max_iter=MAX_ITER,
                           method=method)

    def time_solve(self, method):
        self._solve(method)

    def track_iterations(self, method):
        return self._solve(method).iterations

    track_iterations.unit = "iterations"

    def track_s_per_iteration(self, method):
        t0 = time.perf_counter()
        res = self._solve(method)
        return (time.perf_counter() - t0) / (res.iterations + 1)

    track_s_per_iteration.unit = "s"

    def track_relative_gap(self, method):
        return self._solve(method).relative_gap

    track_relative_gap.unit = "relative gap"
