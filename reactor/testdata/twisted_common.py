"""What the scripts here share when they play braid's test programs on
Twisted (see reactor/twisted_helpers_test.go): the error programs raise,
a way to fire a Deferred that reports AlreadyCalledError, how plain
results are written, and the loop that reads programs and writes traces.
"""

import json
import sys

from twisted.internet import defer
from twisted.python import failure


class FuzzErr(Exception):
    """The error a program raises or errbacks with; n tells which."""

    def __init__(self, n):
        Exception.__init__(self, n)
        self.n = n


# Canceller kinds: none, one that does nothing, one that fires the Deferred
# with 100+i, one that errbacks it with FuzzErr(60+i).
C_NONE, C_NOOP, C_CALLBACK, C_ERRBACK = range(4)


def canceller(log, name, i, kind):
    """A canceller of the given kind for the Deferred called name (index i),
    which logs "canceller <name>" when called; None for C_NONE."""
    if kind == C_NONE:
        return None

    def cancel(d):
        log("canceller " + name)
        if kind == C_CALLBACK:
            d.callback(100 + i)
        elif kind == C_ERRBACK:
            d.errback(FuzzErr(60 + i))
    return cancel


def fire(how, value):
    """Call d.callback or d.errback: "ok", or "already" when fired before."""
    try:
        how(value)
        return "ok"
    except defer.AlreadyCalledError:
        return "already"


def show(v, failure_tag):
    """Write a plain result as the Go side does: nil, vN, a string, or F:
    and failure_tag(f) for a Failure; None for anything else."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "?bool"
    if isinstance(v, int):
        return "v%d" % v
    if isinstance(v, str):
        return v
    if isinstance(v, failure.Failure):
        return "F:" + failure_tag(v)
    return None


def serve(make_run, ops=lambda prog: prog["ops"]):
    """For each JSON program on stdin: make_run(prog), run its ops through
    do, call final, and print the run's trace as one JSON line."""
    for line in sys.stdin:
        prog = json.loads(line)
        r = make_run(prog)
        for op in ops(prog):
            r.do(op)
        r.final()
        sys.stdout.write(json.dumps(r.trace) + "\n")
