"""Build a :class:`City` from a loaded scenario: network, zones and their checks.

Example:
    >>> from twincity.scenario.loader import load_scenario
    >>> city = build_city(load_scenario("scenarios/sejong.yaml"))   # doctest: +SKIP
    >>> city.network.n_links > 0, city.zones.n                        # doctest: +SKIP
    (True, 40)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twincity.city.geo import LocalProjection
from twincity.city.network import Network
from twincity.city.signals import SignalPlan, infer_signals, no_signals, with_signal_delay
from twincity.city.zone_polygons import ZonePolygons, read_zone_polygons
from twincity.city.zones import Zones, build_zones, network_centre_and_radius
from twincity.errors import ScenarioError
from twincity.scenario.loaded import LoadedScenario
from twincity.scenario.schema import ZONE_POPULATION_TOLERANCE, Scenario
from twincity.scenario.yamlio import format_path


@dataclass(frozen=True, eq=False)
class City:
    """A built city: the scenario it came from, its road network and zones.

    ``notes`` says what the builder did that a researcher should know (e.g.
    nodes dropped because they could not reach the rest of an imported network).
    ``signals`` is the inferred signal plan (:mod:`twincity.city.signals`)
    whose average delay is in the network's free-flow times.
    """

    loaded: LoadedScenario
    network: Network
    zones: Zones
    centre_xy_m: tuple[float, float]
    radius_m: float
    notes: tuple[str, ...] = field(default=())
    signals: SignalPlan = field(default_factory=no_signals)
    #: Places the network's metres on the map (lon/lat ↔ x/y); ``None``: unknown.
    projection: LocalProjection | None = None
    #: Zone polygons when the zones came from a file (``zones.file``).
    zone_polygons: ZonePolygons | None = None
    #: Each link's polyline as WKT in lon/lat when the network file has them (OSM files;
    #: GraphML written by ``twincity import``); ``None``: draw links straight.
    link_geometry_wkt: tuple[str, ...] | None = None
    #: The OpenStreetMap ways each link follows (:mod:`twincity.city.osm_ways`) when the
    #: network came from OSM (an OSM file, or GraphML written by ``twincity import``).
    link_osm_ways: tuple[str, ...] | None = None

    @property
    def spec(self) -> Scenario:
        """The scenario the city was built from (``loaded.spec``)."""
        return self.loaded.spec

    def summary(self) -> dict[str, float | int | str]:
        """Headline figures of the built city (what ``twincity info`` prints)."""
        net, spec = self.network, self.spec
        return {
            "name": spec.city.name,
            "country": spec.city.country,
            "population": spec.city.population,
            "area_km2": spec.city.area_km2,
            "density_per_km2": round(spec.city.population / spec.city.area_km2, 1),
            "nodes": net.n_nodes,
            "links": net.n_links,
            "lane_km": round(net.lane_km, 1),
            "road_km": round(float(net.length_m.sum()) / 1000.0, 1),
            "zones": self.zones.n,
            "jobs": int(self.zones.jobs.sum()),
            "network_radius_km": round(self.radius_m / 1000.0, 2),
        }


def load_network(loaded: LoadedScenario) -> Network:
    """The scenario's road network: generated, or imported from its file."""
    return load_network_and_projection(loaded)[0]


def load_network_and_projection(loaded: LoadedScenario
                                ) -> tuple[Network, LocalProjection | None,
                                           tuple[str, ...] | None, tuple[str, ...] | None]:
    """The road network and what places it on the map (see ``network.origin_lon_deg``).

    A generated network is centred on the city's coordinates (synthetic streets placed
    there for mapping only); an OSM file is projected about ``origin`` or its node
    centroid; GraphML and TNTP files are placed only by an explicit origin. The third
    item is each link's polyline (WKT, lon/lat) where the file has them, the fourth
    the OSM ways each link follows (:mod:`twincity.city.osm_ways`) where it has them.
    """
    spec = loaded.spec.network
    origin = (LocalProjection(spec.origin_lon_deg, spec.origin_lat_deg)
              if spec.origin_lon_deg is not None else None)
    if spec.generator is not None:
        from twincity.city.generator import generate_network

        city = loaded.spec.city
        return generate_network(spec.generator), origin or LocalProjection(
            city.longitude_deg, city.latitude_deg), None, None
    path = loaded.reference("network.file")
    if spec.format == "graphml":
        from twincity.city.io_graphml import read_graphml, read_link_text

        net = read_graphml(path, origin=origin)
        text = read_link_text(path)
        wkt, ways = (text["geometry"] if origin is not None else None), text["osm_ways"]
        return (net, origin, tuple(wkt) if wkt and len(wkt) == net.n_links else None,
                tuple(ways) if ways and len(ways) == net.n_links else None)
    if spec.format == "osm":
        from twincity.city.io_osm import parse_osm

        roads = parse_osm(path)
        proj = origin or roads.projection()
        from twincity.city.simplify import Shapes

        shapes = Shapes(roads.shape_start, roads.shape_lon_deg, roads.shape_lat_deg)
        return roads.to_network(proj), proj, shapes.wkt(), roads.osm_ways()
    from twincity.city.io_tntp import read_tntp_network

    return read_tntp_network(path)[0], origin, None, None


def _check_zones_reachable(loaded: LoadedScenario, net: Network, zones: Zones,
                           main: np.ndarray) -> None:
    """Refuse zones whose nearest node cannot reach, or be reached from, the main network."""
    for z in range(zones.n):
        if not main[zones.node[z]]:
            path = ("zones", "list", z) if loaded.spec.zones.list is not None else ("zones",)
            raise ScenarioError(
                f"zone '{zones.name[z]}' lies at node {int(net.node_id[zones.node[z]])}, which "
                "cannot reach or cannot be reached from the rest of the network; expected every "
                "zone on one strongly connected network",
                path=format_path(path), **loaded.where(path))


#: A listed zone farther than this from its nearest road node (and than the network radius)
#: is refused: it is almost certainly in other coordinates or units.
ZONE_FAR_M = 20_000.0
#: A listed zone farther than this share of the network radius (and 2 km) gets a note.
ZONE_NOTE_SHARE = 0.25


def _check_zone_distances(loaded: LoadedScenario, net: Network, zones: Zones,
                          radius_m: float, notes: list[str]) -> None:
    """Refuse listed zones far outside the network; note those somewhat off it."""
    if loaded.spec.zones.list is None:
        return
    gap = np.hypot(zones.x_m - net.node_x_m[zones.node], zones.y_m - net.node_y_m[zones.node])
    worst = int(np.argmax(gap))
    far = max(ZONE_FAR_M, radius_m)
    if gap[worst] > far:
        path = ("zones", "list", worst)
        raise ScenarioError(
            f"zone '{zones.name[worst]}' at ({zones.x_m[worst]:,.0f}, {zones.y_m[worst]:,.0f}) m "
            f"lies {gap[worst] / 1000:,.1f} km from the nearest road node; expected zones within "
            f"{far / 1000:,.0f} km of the network (x_m, y_m are metres from the network's origin)",
            path=format_path(path), **loaded.where(path))
    off = gap > max(2000.0, ZONE_NOTE_SHARE * radius_m)
    if off.any():
        names = ", ".join(str(zones.name[i]) for i in np.flatnonzero(off)[:5])
        notes.append(f"{int(off.sum())} listed zone(s) ({names}) lie more than "
                     f"{max(2000.0, ZONE_NOTE_SHARE * radius_m) / 1000:.1f} km from the nearest "
                     "road node; their trips start and end at that node")


def build_city(loaded: LoadedScenario) -> City:
    """Build the network and zones of a scenario and check that every zone is reachable.

    Signalised junctions are inferred and their average delay added to the
    free-flow times of their approaches (:mod:`twincity.city.signals`), except
    on TNTP networks: they have no road classes, and their free-flow times are
    the file's own.
    """
    net, projection, geometry, osm_ways = load_network_and_projection(loaded)
    notes: list[str] = []
    if net.n_links == 0:
        raise ScenarioError("the network has no links; expected a road network",
                            path="network", **loaded.where(("network",)))
    main = net.strongly_connected_mask()
    centre, radius = network_centre_and_radius(net)
    polygons = _zone_polygons(loaded, projection)
    # Zones are placed on the whole network first, so a zone that falls on an
    # unreachable part is reported rather than silently moved.
    zones = build_zones(loaded.spec.zones, loaded.spec.city, net, centre, radius,
                        polygons=polygons, projection=projection)
    if polygons is not None:
        _check_polygon_zones(loaded, net, zones, polygons, projection, notes)
    _check_zone_distances(loaded, net, zones, radius, notes)
    _check_zones_reachable(loaded, net, zones, main)
    if not loaded.spec.transit.lines:
        notes.append("transit: no trunk lines listed (transit.lines is empty); transit is the "
                     "feeder bus network only")
    if not main.all():
        dropped = int((~main).sum())
        notes.append(f"{dropped} of {net.n_nodes} nodes cannot reach or be reached from the main "
                     "network and were left out")
        kept = main[net.link_from] & main[net.link_to]
        # subnetwork keeps the links with both ends kept, in order
        if geometry is not None:
            geometry = tuple(w for w, k in zip(geometry, kept, strict=True) if k)
        if osm_ways is not None:
            osm_ways = tuple(w for w, k in zip(osm_ways, kept, strict=True) if k)
        net = net.subnetwork(main)
        zones = build_zones(loaded.spec.zones, loaded.spec.city, net, centre, radius,
                            polygons=polygons, projection=projection)
    signals = no_signals() if loaded.spec.network.format == "tntp" else infer_signals(net)
    if signals.n_junctions:
        net = with_signal_delay(net, signals)
        delayed = net.signal_delay_s[signals.links]
        n_appr = len(signals.links)
        notes.append(f"{signals.n_junctions} signalised junctions inferred (of {net.n_nodes} "
                     f"nodes); {n_appr} approach links ({n_appr / net.n_links:.0%}) get a mean "
                     f"{delayed.mean():.1f} s of signal delay in their free-flow time")
    return City(loaded=loaded, network=net, zones=zones, centre_xy_m=centre, radius_m=radius,
                notes=tuple(notes), signals=signals, projection=projection,
                zone_polygons=polygons, link_geometry_wkt=geometry, link_osm_ways=osm_ways)


def _zone_polygons(loaded: LoadedScenario, projection: LocalProjection | None
                   ) -> ZonePolygons | None:
    """The zones file's polygons (``None`` without ``zones.file``); checks the city total."""
    spec = loaded.spec.zones
    if spec.file is None:
        return None
    where = loaded.where(("zones", "file"))
    if projection is None:
        raise ScenarioError("zones.file needs the network placed on the map; expected an OSM "
                            "network file or network.origin_lon_deg/origin_lat_deg",
                            path="zones.file", **where)
    zp = read_zone_polygons(loaded.reference("zones.file"), name_field=spec.name_field,
                            population_field=spec.population_field, jobs_field=spec.jobs_field)
    total, city = int(zp.population.sum()), loaded.spec.city.population
    if abs(total - city) > ZONE_POPULATION_TOLERANCE * city:
        raise ScenarioError(f"the zones file's populations sum to {total}; expected the city "
                            f"population {city} (within {ZONE_POPULATION_TOLERANCE:.0%})",
                            path="zones.file", **where)
    return zp


def _check_polygon_zones(loaded: LoadedScenario, net: Network, zones: Zones,
                         zp: ZonePolygons, projection: LocalProjection,
                         notes: list[str]) -> None:
    """Refuse zone polygons that miss the network; note zones without a road node inside."""
    empty = [zones.name[z] for z in range(zones.n) if not np.any(zones.node_zone == z)]
    if len(empty) == zones.n or (zones.n and len(empty) > zones.n // 2):
        raise ScenarioError(
            f"{len(empty)} of {zones.n} zone polygons contain no road node (e.g. "
            f"'{empty[0]}'); expected zones over the road network (check that both are in "
            "WGS84 lon/lat and cover the same area)", path="zones.file",
            **loaded.where(("zones", "file")))
    if empty:
        notes.append(f"{len(empty)} zone(s) contain no road node ({', '.join(empty[:5])}); "
                     "their trips start and end at the nearest node")
