"""Defaults shared by more than one layer, each stated once with its source.

The scenario schema, the kernel container and the operators read their default
from here, so a run built from a scenario and a kernel built by hand agree.

Example:
    >>> STUCK_TIME_S, TOLL_SLOT_S
    (10.0, 1800.0)
"""

from __future__ import annotations

#: A head vehicle blocked this long is squeezed onto its next link (MATSim's
#: ``qsim.stuckTime`` default, 10 s; Horni, Nagel & Axhausen 2016, *The Multi-Agent
#: Transport Simulation MATSim*, §4.3).
STUCK_TIME_S = 10.0
#: Length of a road-pricing time slot: Singapore's ERP rates change every 30 min
#: (LTA, "ERP rates", 2024). Tolls are a schedule of slots of this length.
TOLL_SLOT_S = 1800.0
#: Jam density per lane (vehicles per km per lane): the MATSim/QSim convention of
#: one vehicle per 7.5 m of lane.
JAM_DENSITY_VPKMPL = 133.3
#: Greenshields speed model: the least speed on a full link, as a share of free speed
#: (keeps link times finite at jam density; an assumption, not a measured value).
MIN_SPEED_RATIO = 0.05
