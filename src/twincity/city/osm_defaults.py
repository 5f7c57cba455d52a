"""OpenStreetMap ``highway`` classes → twincity road class, lanes, speed, capacity.

Used by the OSM XML reader (:mod:`twincity.city.io_osm`) and by the GraphML
reader for foreign graphs such as OSMnx's (:mod:`twincity.city.io_graphml`),
so both interpret tags the same way. Also holds the tag parsers
(``maxspeed``, ``lanes``, ``oneway``, OSMnx list strings).

Defaults table and sources
--------------------------
Capacities are in vehicles per hour per lane and assume passenger cars only
(no heavy-vehicle or grade adjustment, 1 pc = 1 vehicle).

* motorway — 2400 /h/ln: HCM 2016 (6th ed.), basic freeway segments,
  Eq. 12-6 ``c = 2200 + 10 (FFS − 50)`` pc/h/ln, capped at 2400 (FFS ≥ 70 mph).
* trunk — 2100 /h/ln: HCM 2016 multilane highway segments, Eq. 12-7
  ``c = 1900 + 20 (FFS − 45)`` at FFS ≈ 56 mph (90 km/h) gives 2120; rounded down.
* motorway_link / trunk_link — 2000 /h: HCM 2016 Exhibit 14-12, ramp roadway
  capacity of a one-lane ramp with ramp FFS in 30–40 mph.
* primary / secondary / tertiary (and their links) — signalised urban
  streets: base saturation flow ``s0 = 1900`` pc/h/ln (HCM 2016 Eq. 19-8)
  times an *assumed* effective green ratio g/C of 0.55 / 0.50 / 0.45, i.e.
  1045 / 950 / 855 /h/ln. The g/C values are our assumption (typical through
  movement splits on urban arterials are 0.4–0.6), not an HCM figure.
* unclassified, residential — 600 /h/ln; living_street — 300 /h/ln: the
  defaults of MATSim's ``OsmNetworkReader`` (minor/unclassified, residential,
  living_street). service — 300 /h/ln, taken equal to living_street (ours).

Default speeds (km/h) are typical urban operating values, not legal limits:
urban 50 for primary to tertiary (the default built-up-area limit in most
countries, OSM wiki "Default speed limits"), residential 30, unclassified
40, motorway 110 and trunk 90 (between the national limits listed there),
links slower than their parent road, living_street walking pace.

Lanes per direction default to 2 for motorway and trunk (each carriageway is
usually mapped as its own oneway way) and 1 otherwise, as MATSim does for all
but motorways. Road classes: motorway → ``motorway``; trunk, primary,
secondary → ``arterial``; tertiary, unclassified → ``collector``;
residential, living_street, service → ``local`` (the US functional
classification mapping of the OSM US wiki); ``*_link`` takes its parent's
class. twincity's ``connector`` is left for zone centroid connectors.

Tag parsing rules (all return ``None`` for "use the default")
-------------------------------------------------------------
* ``maxspeed``: ``"50"``, ``"50 km/h"``, ``"50 kmh"``, ``"50 kph"``,
  ``"30 mph"``, ``"10 knots"``; ``"walk"`` and ``"XX:living_street"`` →
  walking pace (:data:`WALK_KMH`); ``"XX:zone30"`` / ``"XX:zone:30"`` → 30;
  ``"none"``, ``"signals"``, ``"variable"``, other country-zone codes
  (``"DE:urban"``, ``"DE:motorway"``) → default; lists (``"50;30"`` or
  OSMnx's ``"['50', '30']"``) → mean of the parseable values (OSMnx's
  convention); values outside (0, 300] km/h → default.
* ``lanes``: a positive number (``"2"``, ``"2.0"``; fractions floored, at
  least 1); lists → the minimum (the bottleneck); anything else → default.
* ``oneway``: yes/true/1 → 1, -1/reverse → -1, no/false/0 → 0; anything
  else (``reversible``, ``alternating``, typos) → ``None`` (implied rule).

Example:
    >>> parse_speed_kmh("30 mph"), parse_speed_kmh("DE:urban"), parse_lanes("['2', '3']")
    (48.28032, None, 2)
    >>> HIGHWAY_DEFAULTS["primary"].capacity_vphpl
    1045.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from twincity.vocab import ROAD_CLASSES

#: Walking pace for ``maxspeed=walk`` / living streets ("Schrittgeschwindigkeit",
#: read by German courts as roughly 4–7 km/h; we take the upper end).
WALK_KMH = 7.0
#: HCM 2016 base saturation flow rate, pc/h/ln (Eq. 19-8).
BASE_SATURATION_VPHPL = 1900.0

KMH_PER_MPH = 1.609344
KMH_PER_KNOT = 1.852


@dataclass(frozen=True)
class HighwayDefaults:
    """Defaults for one OSM ``highway`` value (see the module docstring for sources)."""

    road_class: str
    lanes_per_direction: int
    speed_kmh: float
    capacity_vphpl: float
    implied_oneway: bool = False

    @property
    def road_class_index(self) -> int:
        """Index of ``road_class`` in ``ROAD_CLASSES`` (the kernel's road-class code)."""
        return ROAD_CLASSES.index(self.road_class)


def _signalised(g_over_c: float) -> float:
    return round(BASE_SATURATION_VPHPL * g_over_c, 6)


HIGHWAY_DEFAULTS: dict[str, HighwayDefaults] = {
    "motorway": HighwayDefaults("motorway", 2, 110.0, 2400.0, implied_oneway=True),
    "motorway_link": HighwayDefaults("motorway", 1, 60.0, 2000.0),
    "trunk": HighwayDefaults("arterial", 2, 90.0, 2100.0),
    "trunk_link": HighwayDefaults("arterial", 1, 50.0, 2000.0),
    "primary": HighwayDefaults("arterial", 1, 50.0, _signalised(0.55)),
    "primary_link": HighwayDefaults("arterial", 1, 40.0, _signalised(0.55)),
    "secondary": HighwayDefaults("arterial", 1, 50.0, _signalised(0.50)),
    "secondary_link": HighwayDefaults("arterial", 1, 40.0, _signalised(0.50)),
    "tertiary": HighwayDefaults("collector", 1, 50.0, _signalised(0.45)),
    "tertiary_link": HighwayDefaults("collector", 1, 40.0, _signalised(0.45)),
    "unclassified": HighwayDefaults("collector", 1, 40.0, 600.0),
    "residential": HighwayDefaults("local", 1, 30.0, 600.0),
    "living_street": HighwayDefaults("local", 1, WALK_KMH, 300.0),
    "service": HighwayDefaults("local", 1, 20.0, 300.0),
}

#: The drivable classes read by default (``service`` is opt-in).
DRIVABLE_HIGHWAYS: tuple[str, ...] = tuple(k for k in HIGHWAY_DEFAULTS if k != "service")

#: Used for foreign GraphML edges with no (known) ``highway`` tag.
FALLBACK_HIGHWAY = "unclassified"

_LIST_SPLIT = re.compile(r"[;,|]")
_SPEED = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)\s*(km/h|kmh|kph|mph|knots)?$")
_ZONE_NUMBER = re.compile(r"^[a-z]{2}(?:-[a-z0-9]+)?:(?:zone:?|zone)?(\d+)$")


def split_values(value) -> list[str]:
    """The items of an OSM ``;`` list or an OSMnx list string ``"['a', 'b']"``.

    Parsed by hand, never ``eval``: brackets and quotes are stripped.

    Example:
        >>> split_values("['residential', 'tertiary']"), split_values("50;30")
        (['residential', 'tertiary'], ['50', '30'])
    """
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    s = str(value).strip()
    if s.startswith("[") and s.endswith("]"):
        s = s[1:-1]
        parts = s.split(",")
    elif ";" in s:
        parts = s.split(";")
    else:
        return [s] if s else []
    return [p.strip().strip("'\"").strip() for p in parts if p.strip().strip("'\"").strip()]


def parse_speed_kmh(value) -> float | None:
    """A ``maxspeed`` value in km/h, or ``None`` when the class default applies."""
    items = split_values(value)
    if len(items) > 1:
        speeds = [s for s in (parse_speed_kmh(v) for v in items) if s is not None]
        return sum(speeds) / len(speeds) if speeds else None
    if not items:
        return None
    s = items[0].lower()
    if s == "walk" or s.endswith(":living_street") or s.endswith(":walk"):
        return WALK_KMH
    m = _ZONE_NUMBER.match(s.replace(" ", ""))
    if m:
        kmh = float(m.group(1))
    else:
        m = _SPEED.match(s)
        if not m:
            return None  # none, signals, variable, DE:urban, junk
        kmh = float(m.group(1))
        if m.group(2) == "mph":
            kmh *= KMH_PER_MPH
        elif m.group(2) == "knots":
            kmh *= KMH_PER_KNOT
    return kmh if 0.0 < kmh <= 300.0 else None


def parse_lanes(value) -> int | None:
    """A lane count ≥ 1 (lists → minimum), or ``None`` when unparseable."""
    counts = []
    for item in split_values(value):
        try:
            x = float(item)
        except ValueError:
            continue
        if x == x and x >= 1.0 and x < 100.0:
            counts.append(int(x))
    return min(counts) if counts else None


def parse_oneway(value) -> int | None:
    """``1`` (forward), ``-1`` (reverse), ``0`` (two-way) or ``None`` (unknown)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    s = str(value).strip().lower()
    if s in ("yes", "true", "1"):
        return 1
    if s in ("-1", "reverse"):
        return -1
    if s in ("no", "false", "0"):
        return 0
    return None


def pick_highway(value) -> str | None:
    """The most important known class in a ``highway`` value (lists allowed).

    Example:
        >>> pick_highway("['residential', 'secondary']"), pick_highway("footway")
        ('secondary', None)
    """
    known = [v for v in split_values(value) if v in HIGHWAY_DEFAULTS]
    if not known:
        return None
    order = list(HIGHWAY_DEFAULTS)
    return min(known, key=order.index)


def lanes_per_direction(
    *, lanes: int | None, forward: int | None, backward: int | None,
    oneway: int, default: int,
) -> tuple[int, int]:
    """Lanes (forward, backward) of a way; 0 for a direction that cannot be driven.

    Two-way roads with only ``lanes`` get ``lanes // 2`` each way (at least 1;
    an odd lane is taken to be a shared centre turn lane); ``lanes:forward`` /
    ``lanes:backward`` win when given, and one of them with ``lanes`` gives
    the other as the remainder.

    Example:
        >>> lanes_per_direction(lanes=4, forward=None, backward=None, oneway=0, default=1)
        (2, 2)
        >>> lanes_per_direction(lanes=3, forward=2, backward=None, oneway=0, default=1)
        (2, 1)
    """
    if oneway == 1:
        return (forward or lanes or default), 0
    if oneway == -1:
        return 0, (backward or lanes or default)
    if forward is None and backward is None:
        each = max(1, lanes // 2) if lanes else default
        return each, each
    if forward is not None and backward is None:
        rest = lanes - forward if lanes else 0
        return forward, (rest if rest > 0 else default)
    if backward is not None and forward is None:
        rest = lanes - backward if lanes else 0
        return (rest if rest > 0 else default), backward
    return forward, backward
