"""Figures of twincity runs and experiments, reports, and the Mesa dashboard.

Every figure function takes a :class:`~twincity.results.Results` or a results
folder and returns a ``matplotlib.figure.Figure`` (no pyplot, no GUI):

* :mod:`twincity.viz.maps` — link maps (speed / free flow, volume/capacity,
  queues; AM and PM peaks), difference maps of two runs, emission maps;
* :mod:`twincity.viz.energy` — hourly loads, generation by fuel and CO₂ intensity;
* :mod:`twincity.viz.traffic` — equilibrium convergence, mode shares, trip distributions;
* :mod:`twincity.viz.effects` — transfer and compare figures, good/bad by KPI direction;
* :mod:`twincity.viz.sensitivity` — sweep indices with their intervals and warnings;
* :mod:`twincity.viz.plots` / :mod:`twincity.viz.html` — PNGs and ``report.html``;
* :mod:`twincity.viz.live` / :mod:`twincity.viz.dashboard` — ``twincity dashboard``.
"""
