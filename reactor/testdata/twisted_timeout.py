"""Run the timeout programs of reactor/timeout_twisted_test.go on Twisted:
Deferred.addTimeout and task.deferLater over a task.Clock. One JSON program
per line on stdin, one JSON list of trace lines per program on stdout, in
the format the Go test writes for braid.
"""

from twisted_common import FuzzErr, canceller, fire, serve, show as show_plain
from twisted.internet import defer, task

ADD_TIMEOUT, ADVANCE, FIRE, FAIL, CANCEL, WATCH, DEFER_LATER, CANCEL_LATER = range(8)


def tag(f):
    if f.check(FuzzErr):
        return "%d" % f.value.n
    if f.check(defer.TimeoutError):
        return "timeout"
    if f.check(defer.CancelledError):
        return "cancel"
    return "?" + type(f.value).__name__


def show(v):
    plain = show_plain(v, tag)
    return plain if plain is not None else "?" + type(v).__name__


class Run:
    def __init__(self, prog):
        self.clock = task.Clock()
        self.trace = []
        self.d = defer.Deferred(canceller(self.log, "d", 0, prog["canceller"]))
        self.later = None

    def log(self, s):
        self.trace.append(s)

    def do(self, op):
        kind, n = op["kind"], op["n"]
        d = self.d
        if kind == ADD_TIMEOUT:
            self.log("addTimeout %d custom=%s" % (n, op["custom"]))
            if op["custom"]:
                def on_timeout(result, timeout):
                    self.log("onTimeoutCancel got %s after %d" % (show(result), timeout))
                    return 7
                d.addTimeout(n, self.clock, on_timeout)
            else:
                d.addTimeout(n, self.clock)
        elif kind == ADVANCE:
            self.log("advance %d" % n)
            self.clock.advance(n)
        elif kind == FIRE:
            self.log("callback v%d: %s" % (n, fire(d.callback, n)))
        elif kind == FAIL:
            self.log("errback F:%d: %s" % (n, fire(d.errback, FuzzErr(n))))
        elif kind == CANCEL:
            self.log("cancel")
            d.cancel()
        elif kind == WATCH:
            def watch(v):
                self.log("d passes on %s" % show(v))
                return v
            d.addBoth(watch)
        elif kind == DEFER_LATER:
            if self.later is not None:
                return
            self.log("deferLater %d raises=%s" % (n, op["custom"]))

            def f():
                self.log("deferLater's function runs at %g" % self.clock.seconds())
                if op["custom"]:
                    raise FuzzErr(9)
                return 5
            self.later = task.deferLater(self.clock, n, f)

            def done(v):
                self.log("deferLater fires with %s" % show(v))
            self.later.addBoth(done)
        elif kind == CANCEL_LATER and self.later is not None:
            self.log("cancel deferLater")
            self.later.cancel()

    def final(self):
        self.log("final d called=%s result=%s pending=%d" % (
            "true" if self.d.called else "false", show(getattr(self.d, "result", None)),
            len(self.clock.getDelayedCalls())))


if __name__ == "__main__":
    serve(Run)
