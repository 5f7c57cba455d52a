"""Scenario section for observations a run can be checked against: traffic counts.

``observations.counts`` names a CSV of hourly traffic counts (relative to
the scenario file, inside its folder; the format of
:func:`twincity.counts.read_counts`). The file is part of the scenario's
content hash, ``twincity validate`` checks it against the built network, and
``twincity validate-counts RESULTS`` uses it when no counts file is given.

Example:
    >>> ObservationsSpec.model_validate({"counts": "counts/sejong_2024.csv"}).counts
    'counts/sejong_2024.csv'
"""

from __future__ import annotations

from pydantic import Field

from twincity.scenario.base import Section


class ObservationsSpec(Section):
    """What was observed in the city, to check runs against."""

    counts: str | None = Field(
        default=None, min_length=1, description="CSV of hourly traffic counts (columns link, "
                                  "from_node,to_node or lon,lat,direction, then hour, count), "
                                  "relative to the scenario file; see `twincity "
                                  "validate-counts`.")
