"""Run the Clock programs of reactor/clock_twisted_test.go on Twisted's
task.Clock: one JSON program per line on stdin, one JSON list of trace
lines per program on stdout, in the format the Go test writes for braid.

A program is a list of operations; calls are named c0, c1, ... in the
order they are scheduled. Operations that name a call index it modulo the
calls made so far (and do nothing when there are none).
"""

from twisted_common import serve
from twisted.internet import error, task

SCHEDULE, CANCEL, RESET, DELAY, ADVANCE = range(5)


class Run:
    def __init__(self):
        self.clock = task.Clock()
        self.calls = []
        self.trace = []

    def log(self, s):
        self.trace.append(s)

    def now(self):
        return "%g" % self.clock.seconds()

    def outcome(self, f):
        try:
            f()
            return "ok"
        except error.AlreadyCalled:
            return "called"
        except error.AlreadyCancelled:
            return "cancelled"

    def do(self, op):
        kind, n = op["kind"], op["n"]
        if kind == SCHEDULE:
            name = "c%d" % len(self.calls)
            nested = op.get("nested")

            def fire():
                self.log("run %s at %s" % (name, self.now()))
                if nested is not None:
                    self.do(nested)
            self.log("schedule %s +%d at %s" % (name, n, self.now()))
            self.calls.append(self.clock.callLater(n, fire))
        elif kind == ADVANCE:
            self.log("advance %d" % n)
            self.clock.advance(n)
        elif self.calls:
            i = op["target"] % len(self.calls)
            c = self.calls[i]
            if kind == CANCEL:
                self.log("cancel c%d: %s" % (i, self.outcome(c.cancel)))
            elif kind == RESET:
                self.log("reset c%d +%d: %s" % (i, n, self.outcome(lambda: c.reset(n))))
            elif kind == DELAY:
                self.log("delay c%d +%d: %s" % (i, n, self.outcome(lambda: c.delay(n))))

    def final(self):
        pending = sorted((self.calls.index(c), c.getTime()) for c in self.clock.getDelayedCalls())
        self.log("pending " + " ".join("c%d@%g" % p for p in pending))


if __name__ == "__main__":
    serve(lambda prog: Run(), ops=lambda prog: prog)
