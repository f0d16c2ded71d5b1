#!/usr/bin/env bash
# Cross-checks braid for the platforms CI cannot run: go vet of every package
# (test files included) for each target, and a compile of every test binary
# for the main ones. Linux is run for real by test.sh; these are only
# compiled here.
set -euo pipefail
cd "$(dirname "$0")/.."

compiled=(darwin/arm64 darwin/amd64 freebsd/amd64 windows/amd64)
vetted_only=(netbsd/amd64 openbsd/amd64 linux/arm64 linux/386) # their own writev, pipe and siginfo code
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for t in "${compiled[@]}" "${vetted_only[@]}"; do
  echo "crosscheck: $t"
  GOOS=${t%/*} GOARCH=${t#*/} go vet ./...
done
for t in "${compiled[@]}"; do
  echo "crosscheck: $t test binaries"
  # -o into a directory compiles one test binary per package with tests.
  GOOS=${t%/*} GOARCH=${t#*/} go test -c -o "$out/" ./... >/dev/null
  rm -rf "${out:?}"/*
done
