#!/usr/bin/env bash
# Cross-checks braid for the platforms CI cannot run: go vet of every package
# and a compile of every test binary, for each target below. Linux is run for
# real by test.sh; these are only compiled here.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(darwin/arm64 darwin/amd64 freebsd/amd64 netbsd/amd64 openbsd/amd64 windows/amd64)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for t in "${targets[@]}"; do
  echo "crosscheck: $t"
  GOOS=${t%/*} GOARCH=${t#*/} go vet ./...
  # -o into a directory compiles one test binary per package with tests.
  GOOS=${t%/*} GOARCH=${t#*/} go test -c -o "$out/" ./... >/dev/null
  rm -rf "${out:?}"/*
done
