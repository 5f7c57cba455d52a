"""Build scenarios/singapore_census/ — Singapore's synthetic scenario with its real 2020
census subzones as zones — from the two data.gov.sg files:

    python scenarios/sources/singapore_census2020/build.py \\
        census2020_resident_pop_by_subzone.csv mp2019_subzone_boundaries.geojson

* population: Census of Population 2020, resident population by subzone (Department of
  Statistics Singapore), joined on the subzone name (all 332 match);
* polygons: URA Master Plan 2019 subzone boundaries, simplified to about 20 m
  (shapely, topology preserved) and rounded to 1e-5 degrees (about 1 m) to keep the file small;
* jobs: no open jobs-by-subzone table was at hand, so the 3.9 M jobs of singapore.yaml are
  shared by that scenario's own assumption: job density falling by e every 5 km from its
  network centre, i.e. jobs ∝ area × exp(−distance / 5000 m) (largest remainders).
The scenario file is singapore.yaml resolved (SI units) with city.population set to the
census residents and zones.file set to the subzones. Needs geopandas
(pip install 'twincity[import]').
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from twincity.city.build import build_city
from twincity.city.zones import largest_remainder
from twincity.scenario.loader import load_scenario

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "singapore_census"
HEADER = """\
# Singapore (census zones): singapore.yaml with its real 2020 census subzones as zones.
# Built by scenarios/sources/singapore_census2020/build.py (do not edit by hand: edit
# singapore.yaml or the script and rebuild). REAL DATA: the zones (URA Master Plan 2019
# subzone polygons) and their residents (Census of Population 2020, resident population by
# subzone, 4,044,800: citizens and permanent residents; the 1.9 M non-residents of the
# 5.92 M total are not placed, so city.population is the residents'). SYNTHETIC: the street
# network and transit lines (singapore.yaml's generator); jobs are singapore.yaml's 3.9 M
# shared by its exponential profile (see subzones.geojson's README). Every other figure is
# singapore.yaml's, sourced there. Singapore Open Data Licence v1.0 (data.gov.sg).
"""
JOBS_GRADIENT_M = 5000.0  # singapore.yaml zones.generate.jobs_gradient_m


def main(csv_path: str, geojson_path: str) -> None:
    import geopandas as gpd
    import shapely

    base = load_scenario(HERE.parents[1] / "singapore.yaml")
    city = build_city(base)
    jobs_total = base.spec.zones.generate.jobs
    pop = pd.read_csv(csv_path)
    g = gpd.read_file(geojson_path)
    g = g.merge(pop[["Subzone", "Subzone Total"]], left_on="Subzone", right_on="Subzone",
                how="left", validate="one_to_one")
    assert g["Subzone Total"].notna().all(), "a subzone without a census row"
    g = g.to_crs(4326)
    x, y = city.projection.forward(g.geometry.representative_point().x.to_numpy(),
                                   g.geometry.representative_point().y.to_numpy())
    r = np.hypot(x - city.centre_xy_m[0], y - city.centre_xy_m[1])
    area = g.to_crs(3414).area.to_numpy()  # SVY21 / Singapore TM
    jobs = largest_remainder(area * np.exp(-r / JOBS_GRADIENT_M), jobs_total)
    geoms = shapely.set_precision(g.geometry.simplify(0.0002, preserve_topology=True)
                                  .force_2d().to_numpy(), 1e-5)
    feats = [{"type": "Feature",
              "properties": {"name": f"{g['Subzone Code'].iloc[i]} {g['Subzone'].iloc[i]}",
                             "planning_area": g["Planning Area"].iloc[i],
                             "population": int(g["Subzone Total"].iloc[i]),
                             "jobs": int(jobs[i])},
              "geometry": json.loads(shapely.to_geojson(geoms[i]))} for i in range(len(g))]
    OUT.mkdir(exist_ok=True)
    out = OUT / "subzones.geojson"
    out.write_text(json.dumps({"type": "FeatureCollection", "features": feats},
                              separators=(",", ":")) + "\n")
    import yaml

    spec = base.spec.model_dump(mode="json", exclude_none=True)
    spec["description"] = ("Singapore with its 2020 census subzones as zones (real residents "
                           "by subzone) on the synthetic street network of singapore.yaml.")
    spec["city"]["population"] = int(g["Subzone Total"].sum())
    spec["zones"] = {"file": "subzones.geojson"}
    (OUT / "singapore_census.yaml").write_text(HEADER + yaml.safe_dump(
        spec, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None))
    print(f"{out}: {len(feats)} subzones, {int(g['Subzone Total'].sum()):,} residents, "
          f"{int(jobs.sum()):,} jobs, {out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main(*sys.argv[1:3])
