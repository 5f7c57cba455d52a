"""Import and JIT warm-up in a fresh interpreter (``timeraw_``: one process per sample).

- ``timeraw_import``: importing the package entry points.
- ``timeraw_first_run``: import plus one tiny call of every numba kernel
  family (routing, traffic kernel, Frank-Wolfe, building thermal kernel), with
  a **cold** numba cache (an empty ``NUMBA_CACHE_DIR`` per sample: everything
  compiles) and a **warm** cache (a ``NUMBA_CACHE_DIR`` filled once in
  ``setup``: everything loads from disk). Cold minus warm is the compile time a
  first-time user pays once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

FIRST_RUN = """
import numpy as np
from twincity.city.grid_network import grid_network
from twincity.traffic.routes import route_trips
from twincity.traffic.simulation import TrafficSim
from twincity.traffic.assignment import frank_wolfe
from twincity.energy.buildings import simulate_thermal
net = grid_network(4)
o, d, dep = np.array([0, 5, 15]), np.array([15, 10, 0]), np.array([0.0, 10.0, 20.0])
r = route_trips(net, net.free_flow_s[None, :], 3600.0, o, d, dep)
sim = TrafficSim(net, dep, r.start, r.links, np.zeros(3, np.int8), horizon_s=3600.0, seed=1)
sim.run()
assert sim.counters["arrived"] == 3
frank_wolfe(net, 100.0 * (1 - np.eye(2)), np.array([0, 15]), max_iter=5)
simulate_thermal(np.zeros(24), np.zeros(24), np.full(1, 100.0), np.full(1, 1e7),
                 np.zeros((1, 24)), np.zeros(1), np.full(1, 20.0), np.full(1, 26.0))
"""


def _cache_setup(path: str) -> str:
    return f"import os\nos.environ['NUMBA_CACHE_DIR'] = {path!r}\n"


class Startup:
    params = [["cold", "warm"]]
    param_names = ["numba_cache"]
    number = 1
    repeat = (2, 5, 120.0)
    timeout = 900

    def setup(self, numba_cache):
        self.root = tempfile.mkdtemp(prefix="twincity-asv-numba-")
        self.warm_dir = os.path.join(self.root, "warm")
        if numba_cache == "warm":
            env = dict(os.environ, NUMBA_CACHE_DIR=self.warm_dir)
            subprocess.run([sys.executable, "-c", FIRST_RUN], env=env, check=True)

    def teardown(self, numba_cache):
        shutil.rmtree(self.root, ignore_errors=True)

    def timeraw_first_run(self, numba_cache):
        if numba_cache == "cold":
            setup = (f"import tempfile\ncache = tempfile.mkdtemp(dir={self.root!r})\n"
                     "import os\nos.environ['NUMBA_CACHE_DIR'] = cache\n")
        else:
            setup = _cache_setup(self.warm_dir)
        return FIRST_RUN, setup


class Import:
    params = [["twincity.traffic.simulation", "twincity.model"]]
    param_names = ["module"]
    number = 1
    repeat = (3, 10, 60.0)

    def timeraw_import(self, module):
        return f"import {module}"
