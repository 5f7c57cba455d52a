"""Experiments: many runs (cities × policies × seeds) into one result store.

* :mod:`~twincity.experiment.spec` — :class:`RunSpec`, :func:`run_id`,
  :func:`spawn_seeds`, :func:`execute`; :mod:`~twincity.experiment.design` —
  :class:`Experiment`.
* :mod:`~twincity.experiment.store` — :class:`ResultStore` (Parquet KPIs,
  JSON run markers, optional tables; atomic, resumable).
* :mod:`~twincity.experiment.runners` — :func:`run_experiment`, serial or on
  Dask (LocalCluster, a scheduler address, or e.g. a dask-jobqueue cluster).

Example:
    >>> from twincity.experiment import Experiment, spawn_seeds
    >>> exp = Experiment.grid(["tests/data/tiny.yaml"], [()], spawn_seeds(7, 4),
    ...                       overrides={"simulation.duration_h": 1})
    >>> len(exp)
    4
    >>> exp.run(ResultStore("out/tiny-seeds"), workers=2)     # doctest: +SKIP
"""

from twincity.experiment.design import Experiment
from twincity.experiment.runners import RunsFailed, StoreWarning, run_experiment, run_task
from twincity.experiment.spec import RunSpec, execute, run_id, spawn_seeds
from twincity.experiment.store import ResultStore, RunOutput

__all__ = [
    "Experiment",
    "ResultStore",
    "RunOutput",
    "RunSpec",
    "RunsFailed",
    "StoreWarning",
    "execute",
    "run_experiment",
    "run_id",
    "run_task",
    "spawn_seeds",
]
