"""Run the LoopingCall programs of reactor/looping_twisted_test.go on
Twisted's task.LoopingCall over a task.Clock: one JSON program per line on
stdin, one JSON list of trace lines per program on stdout, in the format
the Go test writes for braid.

A program has two loops, each with a list of behaviours its function
cycles through and whether it is made withCount, and a list of operations. Where Twisted asserts (start on
a running loop, stop or reset on a stopped one), the trace says so as
braid's errors do; Start while the last call's Deferred is pending is
refused, as braid documents.
"""

from twisted_common import FuzzErr, serve
from twisted.internet import defer, task

START, STOP, RESET, ADVANCE = range(4)
B_OK, B_RAISE, B_DEFER, B_DEFER_FAIL, B_STOP, B_RESET, B_ADVANCE = range(7)


class Run:
    def __init__(self, prog):
        self.clock = task.Clock()
        self.trace = []
        self.loops = []
        self.pending = []
        self.calls = []
        counted = prog.get("counted") or [False, False]
        for i, behaviours in enumerate(prog["loops"]):
            if counted[i]:
                lc = task.LoopingCall.withCount(self.body(i, behaviours))
            else:
                lc = task.LoopingCall(self.body(i, behaviours))
            lc.clock = self.clock
            self.loops.append(lc)
            self.pending.append(False)
            self.calls.append(0)

    def log(self, s):
        self.trace.append(s)

    def now(self):
        return "%g" % self.clock.seconds()

    def body(self, i, behaviours):
        def f(count=None):
            n = self.calls[i]
            self.calls[i] += 1
            if count is None:
                self.log("lc%d call %d at %s" % (i, n, self.now()))
            else:
                self.log("lc%d call %d at %s count %d" % (i, n, self.now(), count))
            kind, k = behaviours[n % len(behaviours)]
            if kind == B_RAISE:
                raise FuzzErr(0)
            if kind in (B_DEFER, B_DEFER_FAIL):
                d = defer.Deferred()
                self.pending[i] = True

                def fire():
                    self.pending[i] = False
                    self.log("lc%d call %d's Deferred fires at %s" % (i, n, self.now()))
                    if kind == B_DEFER:
                        d.callback(None)
                    else:
                        d.errback(FuzzErr(0))
                self.clock.callLater(k, fire)
                return d
            if kind == B_STOP:
                self.log("lc%d stop: %s" % (i, self.outcome(self.loops[i].stop)))
            elif kind == B_RESET:
                self.log("lc%d reset: %s" % (i, self.outcome(self.loops[i].reset)))
            elif kind == B_ADVANCE:
                self.log("advance %d" % k)
                self.clock.advance(k)
            return None
        return f

    def outcome(self, f):
        try:
            f()
            return "ok"
        except AssertionError:
            return "not running"

    def do(self, op):
        kind, i, n = op["kind"], op["loop"], op["n"]
        lc = self.loops[i]
        if kind == START:
            if lc.running or self.pending[i]:
                self.log("lc%d start %d now=%s: running" % (i, n, op["now"]))
                return
            self.log("lc%d start %d now=%s" % (i, n, op["now"]))
            d = lc.start(n, op["now"])

            def done(r):
                self.log("lc%d done at %s: %s" % (i, self.now(), "itself" if r is lc else repr(r)))

            def failed(f):
                self.log("lc%d failed at %s: %s" % (i, self.now(), f.type.__name__))
            d.addCallbacks(done, failed)
        elif kind == STOP:
            self.log("lc%d stop: %s" % (i, self.outcome(lc.stop)))
        elif kind == RESET:
            self.log("lc%d reset: %s" % (i, self.outcome(lc.reset)))
        elif kind == ADVANCE:
            self.log("advance %d" % n)
            self.clock.advance(n)

    def final(self):
        for i, lc in enumerate(self.loops):
            self.log("final lc%d running=%s calls=%d" % (i, "true" if lc.running else "false", self.calls[i]))
        self.log("pending %d" % len(self.clock.getDelayedCalls()))


if __name__ == "__main__":
    serve(Run)
