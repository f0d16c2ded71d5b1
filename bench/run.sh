#!/bin/sh
# Runs braid's side-by-side benchmarks (braid vs Twisted vs plain Go) from the
# repository root. Flags go to the runner: -group, -samples, -out, -run, -v.
#   bench/run.sh -group reactor -out bench/RESULTS.md
set -eu
cd "$(dirname "$0")/.."
exec go run ./bench/cmd/sidebyside "$@"
