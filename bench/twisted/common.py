"""Shared helpers for the Twisted side of braid's side-by-side benchmarks.

Every script under bench/twisted/ is run by bench/cmd/sidebyside as

    /usr/bin/python3 bench/twisted/<script> -n N -samples S [args...]

and prints exactly one JSON line on stdout: {"ns_per_op": [s1, s2, ...]},
one mean time per operation for each sample. Scripts use Debian's
python3-twisted and its default reactor (epoll on Linux).
"""

import argparse
import json
import sys
import time


def parse_args(description, extra=None):
    """Parse -n and -samples, plus whatever extra(parser) adds."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("-n", type=int, required=True, help="operations per sample")
    p.add_argument("-samples", type=int, default=5, help="samples to take")
    if extra is not None:
        extra(p)
    args = p.parse_args()
    if args.n < 1 or args.samples < 1:
        p.error("-n and -samples must be at least 1")
    return args


def emit(ns_per_op):
    """Print the one JSON line the runner reads."""
    sys.stdout.write(json.dumps({"ns_per_op": ns_per_op}) + "\n")
    sys.stdout.flush()


def now_ns():
    return time.perf_counter_ns()


def sample_sync(n, samples, body):
    """Time body(n) samples times after one warm-up; body runs n operations."""
    body(n)
    out = []
    for _ in range(samples):
        t0 = now_ns()
        body(n)
        out.append((now_ns() - t0) / n)
    return out


def sample_in_reactor(n, samples, start, install_signal_handlers=False):
    """Run samples inside the running reactor, one after another.

    start(n, done) begins one sample of n operations from inside the reactor
    and calls done(elapsed_ns) once they have all happened. A warm-up sample
    runs first and is discarded. Returns the ns-per-op list after the reactor
    has stopped.
    """
    from twisted.internet import reactor

    out = []
    failure = []

    def next_sample(first):
        try:
            if first:
                start(n, lambda _ns: next_sample(False))
                return
            if len(out) == samples:
                reactor.stop()
                return
            start(n, record)
        except BaseException as e:  # report, never hang
            failure.append(e)
            reactor.stop()

    def record(elapsed_ns):
        out.append(elapsed_ns / n)
        # Start the next sample on a fresh reactor turn.
        reactor.callLater(0, next_sample, False)

    reactor.callWhenRunning(next_sample, True)
    reactor.run(installSignalHandlers=install_signal_handlers)
    if failure:
        raise failure[0]
    return out
