#!/usr/bin/env bash
# Runs the whole race-enabled test suite beside busy CPU neighbours, as on a
# shared CI runner: N processes spinning at full speed (default 2, the
# number of cores here) for as long as the suite runs, bounded by a time
# limit. Timing-sensitive tests must hold under this.
#
#   scripts/stress.sh            # 2 neighbours, 15 min limit
#   NEIGHBOURS=4 LIMIT=20m scripts/stress.sh ./protocol/...
set -euo pipefail
cd "$(dirname "$0")/.."

neighbours=${NEIGHBOURS:-2}
limit=${LIMIT:-15m}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

pids=()
stop_neighbours() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop_neighbours EXIT
for _ in $(seq "$neighbours"); do
  # A shell loop that never sleeps: one core's worth of load each.
  (while :; do :; done) &
  pids+=($!)
done

echo "stress.sh: go test -race -count=1 ${pkgs[*]} beside $neighbours busy neighbours (limit $limit)"
start=$(date +%s)
status=0
timeout --signal=INT --kill-after=30s "$limit" go test -race -count=1 -timeout "$limit" "${pkgs[@]}" || status=$?
echo "stress.sh: exit $status after $(( $(date +%s) - start )) s"
exit "$status"
