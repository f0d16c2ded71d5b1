#!/usr/bin/env bash
# Runs every check braid's CI runs: installs the third-party programs the tests
# drive for real (when missing, as root, with apt-get), then gofmt, go vet,
# staticcheck (when it can be installed), the race-enabled test suite, the
# suite's process packages again without pidfds, a cross-check for macOS,
# FreeBSD and Windows, and vet + tests on Go's newer supported release.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
[ -x /usr/sbin/sshd ] || command -v sshd >/dev/null 2>&1 || missing+=(openssh-server)
# reactor's Deferred tests compare braid with Twisted itself, run by Debian's python3.
/usr/bin/python3 -c 'import twisted.internet.defer' >/dev/null 2>&1 || missing+=(python3-twisted)
# internal/tcp's TestTLSAgainstTwisted runs Twisted's TLS, which needs pyOpenSSL.
/usr/bin/python3 -c 'import OpenSSL' >/dev/null 2>&1 || missing+=(python3-openssl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq </dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  else
    echo "test.sh: missing ${missing[*]}; install them (apt-get install ${missing[*]}) or the tests that need them fail in CI" >&2
  fi
fi
# sshd started as root insists on its privilege-separation directory.
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
  mkdir -p /run/sshd && chmod 0755 /run/sshd
fi

echo "test.sh: gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt: these files need formatting:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "test.sh: go vet"
go vet ./...

staticcheck=$(command -v staticcheck || true)
if [ -z "$staticcheck" ] && go install honnef.co/go/tools/cmd/staticcheck@v0.8.2 >/dev/null 2>&1; then
  staticcheck="$(go env GOPATH)/bin/staticcheck"
fi
if [ -n "$staticcheck" ]; then
  echo "test.sh: staticcheck"
  "$staticcheck" ./...
else
  echo "test.sh: staticcheck unavailable (no module proxy?); skipped" >&2
fi

echo "test.sh: go test -race"
go test -race -count=1 -timeout 9m ./...

# The process path for kernels without pidfds, forced on this one, under the
# packages that spawn children.
echo "test.sh: go test -race -tags braid_nopidfd"
go test -race -count=1 -timeout 6m -tags braid_nopidfd ./internal/process ./procmon ./conchtest ./trial .

echo "test.sh: cross-check (vet and test binaries for macOS, FreeBSD, Windows)"
./scripts/crosscheck.sh

# Go's other supported release: vet and test (without -race, to stay fast)
# with the newer toolchain, which the go command fetches from the module
# proxy. In CI a toolchain that cannot be fetched fails the run.
newer=go1.27.3
if GOTOOLCHAIN=$newer go version >/dev/null 2>&1; then
  echo "test.sh: $newer: go vet, go test"
  GOTOOLCHAIN=$newer go vet ./...
  GOTOOLCHAIN=$newer go test -count=1 -timeout 9m ./...
elif [ "${CI:-}" = true ]; then
  echo "test.sh: cannot fetch the $newer toolchain" >&2
  exit 1
else
  echo "test.sh: $newer toolchain unavailable (no module proxy?); skipped" >&2
fi
