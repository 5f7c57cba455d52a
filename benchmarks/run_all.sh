#!/usr/bin/env bash
# Every measurement quoted in benchmarks/README.md, one after the other, into
# benchmarks/latest/ (about an hour on 2 cores; run it on a quiet machine).
#   bash benchmarks/run_all.sh            # from the repository root
# PYTHON (default: python) is the interpreter with twincity and the peers installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
ASV=${ASV:-asv}
OUT=benchmarks/latest
TIMEOUT=${PEER_TIMEOUT:-1800}
mkdir -p "$OUT"
{
  echo "start: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD -- src || echo ' (+ uncommitted changes in src/)')"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "ram: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"

"$PY" benchmarks/scaling/run.py | tee "$OUT/scaling.txt"
"$PY" benchmarks/mesa_baseline/run.py --grid 10 --lanes 2 --trips 2000 10000 50000 \
  | tee "$OUT/mesa_baseline.txt"
for lanes in 1 2; do
  for trips in 10000 50000; do
    "$PY" benchmarks/peers/compare.py --grid 10 --trips "$trips" --lanes "$lanes" \
      --timeout "$TIMEOUT" --json "$OUT/peers-grid10-$trips-${lanes}lane.json" \
      | tee "$OUT/peers-grid10-$trips-${lanes}lane.txt"
  done
done
"$PY" benchmarks/peers/compare.py --city sejong --trips 50000 --timeout "$TIMEOUT" \
  --json "$OUT/peers-sejong-50000.json" | tee "$OUT/peers-sejong-50000.txt"
(
  cd benchmarks
  "$ASV" machine --yes > /dev/null
  "$ASV" run --python=same --set-commit-hash "$(git rev-parse HEAD)" 2>&1 | tee "../$OUT/asv.txt"
  "$ASV" publish > /dev/null
)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
echo "end: $(date -u '+%Y-%m-%d %H:%M:%S UTC')" >> "$OUT/machine.txt"
