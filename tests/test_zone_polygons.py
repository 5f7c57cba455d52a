"""Zones from GeoJSON polygons: membership with holes, area centroids, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twincity.city.geo import LocalProjection
from twincity.city.zone_polygons import attach_zones, read_zone_polygons
from twincity.errors import InputError

PROJ = LocalProjection(24.94, 60.17)


def _square(x0, y0, x1, y1):
    """A lon/lat ring from metre corners about PROJ (counter-clockwise, closed)."""
    xs, ys = np.array([x0, x1, x1, x0, x0]), np.array([y0, y0, y1, y1, y0])
    lon, lat = PROJ.inverse(xs, ys)
    return np.column_stack([lon, lat]).tolist()


def _write(tmp_path, features):
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _feature(name, rings, population=100, jobs=10):
    return {"type": "Feature", "properties": {"name": name, "population": population,
                                              "jobs": jobs},
            "geometry": {"type": "Polygon", "coordinates": rings}}


def test_a_hole_belongs_to_the_zone_inside_it_and_centroids_are_area_weighted(tmp_path):
    # "ring": a 1000 m square with a 400 m hole at its centre; "core": the hole itself
    outer = _square(-500, -500, 500, 500)
    hole = _square(-200, -200, 200, 200)[::-1]
    path = _write(tmp_path, [_feature("ring", [outer, hole]), _feature("core", [hole[::-1]])])
    zp = read_zone_polygons(path)
    nodes_x = np.array([0.0, 300.0, -450.0, 900.0])
    nodes_y = np.array([0.0, 0.0, 450.0, 0.0])
    at = attach_zones(zp, PROJ, nodes_x, nodes_y)
    # centre → core; 300 m east and the corner → ring; 900 m east (outside all) → nearest
    # zone centre (both centres are at the origin by symmetry: the first, ring)
    assert at.node_zone[:3].tolist() == [1, 0, 0]
    assert at.area_m2 == pytest.approx([1000**2 - 400**2, 400**2], rel=1e-4)
    assert np.allclose(at.x_m, 0.0, atol=0.5) and np.allclose(at.y_m, 0.0, atol=0.5)
    assert at.node[1] == 0  # core's loading node: its own node nearest its centroid


def test_an_off_centre_hole_moves_the_centroid_away_from_it(tmp_path):
    outer = _square(0, 0, 1000, 1000)
    hole = _square(0, 0, 500, 1000)[::-1]  # the western half cut out
    far = _feature("b", [_square(2000, 0, 2100, 100)])
    zp = read_zone_polygons(_write(tmp_path, [_feature("a", [outer, hole]), far]))
    at = attach_zones(zp, PROJ, np.array([750.0, 2050.0]), np.array([500.0, 50.0]))
    assert at.x_m[0] == pytest.approx(750.0, abs=0.5)  # the centre of the eastern half
    assert at.area_m2[0] == pytest.approx(500_000, rel=1e-4)


def test_missing_population_property_names_the_feature_and_what_it_has(tmp_path):
    f = _feature("a", [_square(0, 0, 10, 10)])
    del f["properties"]["population"]
    with pytest.raises(InputError,
                       match=r"feature 0 has no property 'population'.*has: jobs, name"):
        read_zone_polygons(_write(tmp_path, [f]))


def test_bad_geometry_and_repeated_names_are_refused(tmp_path):
    point = {"type": "Feature", "properties": {"population": 1, "jobs": 0},
             "geometry": {"type": "Point", "coordinates": [24.9, 60.1]}}
    with pytest.raises(InputError, match="Polygon or MultiPolygon"):
        read_zone_polygons(_write(tmp_path, [point]))
    sq = [_square(0, 0, 10, 10)]
    with pytest.raises(InputError, match="repeat"):
        read_zone_polygons(_write(tmp_path, [_feature("a", sq), _feature("a", sq)]))
