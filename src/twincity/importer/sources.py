"""Read the inputs of ``twincity import`` in WGS84 lon/lat: roads, zone polygons, GTFS.

* roads: an OSM ``.osm.pbf`` / ``.osm`` file (:func:`~twincity.city.io_osm.parse_osm`)
  or an OSMnx GraphML in lon/lat, as junction nodes, directed links and polylines;
* zones: polygons with a population column — a GeoJSON or GeoPackage of zones, or a
  population grid (each cell a zone) — read with geopandas (``twincity[import]``)
  and transformed to EPSG:4326;
* transit: the day's patterns of a GTFS feed (:mod:`twincity.traffic.gtfs`).

Each reader refuses bad input with one line naming the file and what was expected.

Example:
    >>> roads = read_roads("Helsinki.osm.pbf")                         # doctest: +SKIP
    >>> zones = read_zones("grid.gpkg", population_field="population")  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twincity.city.geo import LocalProjection
from twincity.city.network import Network
from twincity.city.simplify import Shapes
from twincity.errors import InputError

INSTALL_HINT = "install the import extra: pip install 'twincity[import]'"


@dataclass(frozen=True, eq=False)
class Roads:
    """A road network with its place on the map: metres about ``projection``, polylines in
    lon/lat, and the node lon/lat.
    """

    network: Network
    shapes: Shapes
    projection: LocalProjection
    node_lon_deg: np.ndarray
    node_lat_deg: np.ndarray
    notes: tuple[str, ...] = ()


def read_roads(path: str | Path) -> Roads:
    """The drivable roads of an OSM (XML or PBF) or lon/lat GraphML file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such road network file; expected .osm.pbf, .osm or .graphml",
                         file=path)
    name = path.name.lower()
    if name.endswith((".graphml", ".graphml.gz")):
        return _graphml_roads(path)
    from twincity.city.io_osm import parse_osm

    roads = parse_osm(path)
    proj = roads.projection()
    notes = ()
    if roads.cut_refs:
        notes = (f"{roads.cut_refs} way nodes are outside the extract (ways cut at its edge)",)
    return Roads(network=roads.to_network(proj),
                 shapes=Shapes(roads.shape_start, roads.shape_lon_deg, roads.shape_lat_deg,
                               roads.osm_ways()),
                 projection=proj, node_lon_deg=roads.lon_deg, node_lat_deg=roads.lat_deg,
                 notes=notes)


def _graphml_roads(path: Path) -> Roads:
    import networkx as nx

    from twincity.city.io_graphml import read_graphml

    g = nx.read_graphml(path)
    try:
        lon = np.array([float(d["x"]) for _, d in g.nodes(data=True)])
        lat = np.array([float(d["y"]) for _, d in g.nodes(data=True)])
    except (KeyError, TypeError, ValueError):
        raise InputError("GraphML nodes need x/y in lon/lat degrees (an OSMnx graph) to be "
                         "imported; expected x = longitude, y = latitude", file=path) from None
    if np.any(np.abs(lon) > 180) or np.any(np.abs(lat) > 90):
        raise InputError("GraphML x/y are not lon/lat degrees; expected an unprojected OSMnx "
                         "graph", file=path)
    proj = LocalProjection.about_centroid(lon, lat)
    net = read_graphml(path, coords="lonlat", origin=proj)
    nlon, nlat = proj.inverse(net.node_x_m, net.node_y_m)
    f, t = net.link_from, net.link_to
    return Roads(network=net, shapes=Shapes.straight(nlon[f], nlat[f], nlon[t], nlat[t]),
                 projection=proj, node_lon_deg=nlon, node_lat_deg=nlat)


def _geopandas():
    try:
        import geopandas
    except ImportError:
        raise InputError(f"reading zone polygons needs geopandas; {INSTALL_HINT}") from None
    return geopandas


def read_zones(path: str | Path, *, population_field: str, jobs_field: str | None = None,
               name_field: str | None = None, layer: str | None = None):
    """Zone polygons (a GeoDataFrame in EPSG:4326) with ``name``, ``population``, ``jobs``.

    ``jobs`` is NaN where no ``jobs_field`` is given (the importer fills it by a proxy).
    """
    gpd = _geopandas()
    path = Path(path)
    if not path.is_file():
        raise InputError("no such zones file; expected a GeoJSON or GeoPackage", file=path)
    try:
        gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as e:  # pyogrio raises its own DataSourceError / DataLayerError
        raise InputError(f"cannot read zone polygons ({str(e).splitlines()[0]}); expected a "
                         "GeoJSON or GeoPackage", file=path) from None
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    for field in (population_field, jobs_field, name_field):
        if field is not None and field not in gdf.columns:
            raise InputError(f"no column {field!r}; expected one of {', '.join(cols)}",
                             file=path, path=field)
    if gdf.crs is None:
        raise InputError("the layer has no coordinate reference system; expected one "
                         "(e.g. EPSG:4326)", file=path)
    gdf = gdf[gdf.geometry.notna() & gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if gdf.empty:
        raise InputError("no Polygon or MultiPolygon features; expected zone polygons",
                         file=path)
    gdf = gdf.to_crs(4326)
    import pandas as pd

    pop = pd.to_numeric(gdf[population_field], errors="coerce")
    if pop.isna().any() or (pop < 0).any():
        row = int(np.flatnonzero((pop.isna() | (pop < 0)).to_numpy())[0])
        raise InputError(f"{population_field}={gdf[population_field].iloc[row]!r} in feature "
                         f"{row}; expected a non-negative number", file=path,
                         path=population_field)
    jobs = (pd.to_numeric(gdf[jobs_field], errors="coerce") if jobs_field
            else pd.Series(np.nan, index=gdf.index))
    names = (gdf[name_field].astype(str) if name_field
             else pd.Series([f"Z{i + 1:03d}" for i in range(len(gdf))], index=gdf.index))
    return gpd.GeoDataFrame({"name": names.to_numpy(), "population": pop.to_numpy(),
                             "jobs": jobs.to_numpy()}, geometry=gdf.geometry.to_numpy(),
                            crs=4326)
