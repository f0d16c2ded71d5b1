"""Shared helpers for the Twisted side of braid's side-by-side benchmarks.

Every script under bench/twisted/ is run by bench/cmd/sidebyside as

    /usr/bin/python3 bench/twisted/<script> -n N -samples S -warmup-ms W [args...]

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
    p.add_argument("-warmup-ms", type=float, default=0,
                   help="discard samples until this much time has gone (at least one sample)")
    if extra is not None:
        extra(p)
    args = p.parse_args()
    if args.n < 1 or args.samples < 1 or args.warmup_ms < 0:
        p.error("-n and -samples must be at least 1, -warmup-ms not negative")
    global _warmup_ns
    _warmup_ns = int(args.warmup_ms * 1e6)
    return args


# How long the discarded warm-up samples run, from -warmup-ms. The runner
# gives both sides the same warm-up, so neither is timed while still
# settling (a Go heap still growing faults in fresh pages; Python too
# warms its caches).
_warmup_ns = 0


def emit(ns_per_op):
    """Print the one JSON line the runner reads."""
    sys.stdout.write(json.dumps({"ns_per_op": ns_per_op}) + "\n")
    sys.stdout.flush()


def now_ns():
    return time.perf_counter_ns()


def sample_sync(n, samples, body):
    """Time body(n) samples times after the warm-up; body runs n operations."""
    t0 = now_ns()
    body(n)
    while now_ns() - t0 < _warmup_ns:
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
    and calls done(elapsed_ns) once they have all happened. Warm-up samples
    run first, at least one and for at least -warmup-ms, and are discarded.
    Returns the ns-per-op list after the reactor has stopped.
    """
    from twisted.internet import reactor

    out = []
    failure = []
    warmup_started = []

    def warmed_up(_ns):
        still_warming = now_ns() - warmup_started[0] < _warmup_ns
        reactor.callLater(0, next_sample, still_warming)

    def next_sample(warming):
        try:
            if warming:
                if not warmup_started:
                    warmup_started.append(now_ns())
                start(n, warmed_up)
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
