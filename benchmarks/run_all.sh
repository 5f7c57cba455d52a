#!/usr/bin/env bash
# Every measurement quoted in benchmarks/README.md, one after the other, into
# benchmarks/latest/ (one to two hours on 2 cores, mostly the per-vehicle Python
# UXsim and SUMO micro on the congested cases; run it on a quiet machine).
#   bash benchmarks/run_all.sh            # from the repository root
# PYTHON (default: python) is the interpreter with twincity and the peers installed;
# QUICK=1 runs tiny sizes (a smoke test of this script; asv with --quick, nothing saved)
# into OUT (default benchmarks/latest).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
ASV=${ASV:-asv}
OUT=${OUT:-benchmarks/latest}
if [ "${QUICK:-0}" = 1 ]; then
  SCALE=(1000 3000); MESA=(200 1000); PEER=(300 1000); CITY=500
  DUE_TRIPS=1000; DUE_BUDGET=20; BIG=(10 3000); ENSEMBLE=2
else
  SCALE=(10000 30000 100000 300000 1000000); MESA=(2000 10000 50000); PEER=(10000 50000)
  CITY=50000
  DUE_TRIPS=50000; DUE_BUDGET=${DUE_BUDGET:-300}; BIG=(30 300000); ENSEMBLE=8
fi
TIMEOUT=${PEER_TIMEOUT:-1800}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
{
  echo "start: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD -- src || echo ' (+ uncommitted changes in src/)')"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "ram: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"

if [ "${QUICK:-0}" = 1 ]; then
  "$PY" benchmarks/scaling/run.py --trips "${SCALE[@]}" --no-readme | tee "$OUT/scaling.txt"
else
  "$PY" benchmarks/scaling/run.py --trips "${SCALE[@]}" | tee "$OUT/scaling.txt"
fi
"$PY" benchmarks/mesa_baseline/run.py --grid 10 --lanes 2 --trips "${MESA[@]}" \
  | tee "$OUT/mesa_baseline.txt"
if [ "${QUICK:-0}" = 1 ]; then
  "$PY" benchmarks/profile_pipeline.py --only pipeline --trips 2000 > "$OUT/profiles.txt"
else
  "$PY" benchmarks/profile_pipeline.py > "$OUT/profiles.txt"
  "$PY" benchmarks/equilibrium/run.py --tight 0.01 | tee "$OUT/equilibrium.txt"
fi
# the uncongested grid cases first (the targets), then the congested ones (slow peers)
for case in "2 ${PEER[1]}" "2 ${PEER[0]}" "1 ${PEER[0]}" "1 ${PEER[1]}"; do
  read -r lanes trips <<< "$case"
  "$PY" benchmarks/peers/compare.py --grid 10 --trips "$trips" --lanes "$lanes" \
    --timeout "$TIMEOUT" --json "$OUT/peers-grid10-$trips-${lanes}lane.json" \
    | tee "$OUT/peers-grid10-$trips-${lanes}lane.txt"
done
"$PY" benchmarks/peers/compare.py --city sejong --trips "$CITY" --timeout "$TIMEOUT" \
  --json "$OUT/peers-sejong-$CITY.json" | tee "$OUT/peers-sejong-$CITY.txt"
# issue 16: DUE time to a common gap (each tool capped at DUE_BUDGET s), fixed routes at
# 300k trips, static UE vs AequilibraE, ensembles with one numba thread per worker, start-up
for lanes in 2 1; do
  "$PY" benchmarks/peers/due.py --grid 10 --trips "$DUE_TRIPS" --lanes "$lanes" \
    --budget "$DUE_BUDGET" --max-iter 40 --json "$OUT/due-grid10-$DUE_TRIPS-${lanes}lane.json" \
    | tee "$OUT/due-grid10-$DUE_TRIPS-${lanes}lane.txt"
done
for lanes in 2 1; do  # 2 lanes: travel times comparable; 1 lane: a jam
  "$PY" benchmarks/peers/compare.py --grid "${BIG[0]}" --trips "${BIG[1]}" --lanes "$lanes" \
    --regimes fixed --tools twincity,uxsim-cpp,sumo-meso --timeout "$TIMEOUT" \
    --json "$OUT/peers-grid${BIG[0]}-${BIG[1]}-${lanes}lane.json" \
    | tee "$OUT/peers-grid${BIG[0]}-${BIG[1]}-${lanes}lane.txt"
done
"$PY" benchmarks/static/aequilibrae_tntp.py --json "$OUT/static-aequilibrae.json" \
  | tee "$OUT/static-aequilibrae.txt"
"$PY" benchmarks/scaling/ensemble.py --runs "$ENSEMBLE" --json "$OUT/ensemble.json" \
  | tee "$OUT/ensemble.txt"
"$PY" benchmarks/startup.py --json "$OUT/startup.json" | tee "$OUT/startup.txt"
(
  cd benchmarks
  "$ASV" machine --yes > /dev/null
  if [ "${QUICK:-0}" = 1 ]; then
    "$ASV" run --python=same --quick --bench "bench_startup.Import|ThermalKernel" 2>&1 \
      | tee "$OUT/asv.txt"
  else
    "$ASV" run --python=same --set-commit-hash "$(git rev-parse HEAD)" 2>&1 \
      | tee "$OUT/asv.txt"
    "$ASV" publish > /dev/null
  fi
)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
echo "end: $(date -u '+%Y-%m-%d %H:%M:%S UTC')" >> "$OUT/machine.txt"
"$PY" benchmarks/summary.py --latest "$OUT" > /dev/null
