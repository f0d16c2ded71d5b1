"""Deferred: create one, add ten pass-through callbacks, fire it.

Mirrors the braid workload "Deferred: create, 10 callbacks, fire" in
bench/cmd/sidebyside/reactor_workloads.go. No reactor is needed.
"""

from twisted.internet import defer

import common


def pass_through(result):
    return result


def body(n):
    Deferred = defer.Deferred
    for _ in range(n):
        d = Deferred()
        for _ in range(10):
            d.addCallback(pass_through)
        d.callback(1)


def main():
    args = common.parse_args(__doc__)
    common.emit(common.sample_sync(args.n, args.samples, body))


if __name__ == "__main__":
    main()
