"""Which OpenStreetMap ways each link of an imported network follows.

A link of a network read from OSM lies on one way (the way is split at
junctions); after :func:`~twincity.city.simplify.simplify_network` merges
degree-2 chains, a link can run along several ways. Each link's ways are kept
as text, in driving order, separated by ``;``: ``"<way id>+"`` when the link
runs along the way's node order (OSM's *forward* direction, as in
``oneway=yes`` or ``lanes:forward``), ``"<way id>-"`` against it. The text is
the ``osm_ways`` attribute of twincity GraphML files, a property of
``network.geojson`` and a column of a run's ``network.parquet``, and what
counts keyed by OSM way id are matched against (:mod:`twincity.counts`).

Example:
    >>> join_ways("24339817+", "24339817+;8130950-")
    '24339817+;8130950-'
    >>> parse_ways("24339817+;8130950-")
    [(24339817, True), (8130950, False)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Separator of the ways of one link.
SEP = ";"


def join_ways(first: str, second: str) -> str:
    """The ways of a link made by joining two links end to end (a way split at the
    joined node is listed once).
    """
    a, b = first.split(SEP), second.split(SEP)
    if a[-1] == b[0]:
        b = b[1:]
    return SEP.join(a + b)


def parse_ways(text: str) -> list[tuple[int, bool]]:
    """``(way id, forward)`` pairs of one link's ``osm_ways`` text."""
    return [(int(part[:-1]), part[-1] == "+") for part in text.split(SEP) if part]


def way_links(osm_ways: Sequence[str | None]) -> pd.DataFrame:
    """One row per (link, way) pair: columns ``link``, ``way_id``, ``forward``.

    >>> way_links(["7+", "7-;9+", None]).to_dict("list")
    {'link': [0, 1, 1], 'way_id': [7, 7, 9], 'forward': [True, False, True]}
    """
    text = pd.Series(list(osm_ways), dtype=object)
    parts = text.dropna().str.split(SEP).explode()
    parts = parts[parts.str.len() > 1]
    return pd.DataFrame({
        "link": parts.index.to_numpy(np.int64),
        "way_id": parts.str[:-1].astype(np.int64).to_numpy(),
        "forward": (parts.str[-1] == "+").to_numpy(),
    })
