"""Run the Deferred programs of reactor/deferred_program_test.go on Twisted.

Reads one JSON program per line on stdin and prints, for each, one JSON
line: the list of trace lines, in the format runReal in
reactor/deferred_model_test.go writes for braid. TestDeferredChainAgainstTwisted
compares the two.

Where braid deviates from Twisted on purpose, this interpreter plays
braid's documented rule instead, so that everything else can still be
compared: a callback returning its own Deferred becomes a Failure (D-11),
a canceller that raises is caught and its exception errbacks the Deferred
if the canceller did not fire it, and cancelling Deferreds that wait on
each other in a cycle does nothing (Twisted recurses until RecursionError).
"""

from twisted_common import FuzzErr, fire, serve, show as show_plain
from twisted.internet import defer
from twisted.python import failure

OP_ADD_CALLBACK, OP_ADD_ERRBACK, OP_ADD_BOTH, OP_PAUSE, OP_UNPAUSE, OP_CALLBACK, \
    OP_ERRBACK, OP_CANCEL, OP_CHAIN = range(9)
FN_VALUE, FN_ERROR, FN_PANIC, FN_DEFERRED, FN_FAILURE, FN_NESTED, FN_NIL = range(7)
CANC_NONE, CANC_NOOP, CANC_CALLBACK, CANC_ERRBACK, CANC_PANIC = range(5)


class ReturnedSelf(Exception):
    pass


def passthru(r):
    return r


class Run:
    def __init__(self, prog):
        self.trace = []
        self.ds = []
        self.waiting = prog.get("waiting", False)
        for i, kind in enumerate(prog["cancellers"]):
            self.ds.append(defer.Deferred(self.canceller(i, kind)))

    def log(self, s):
        self.trace.append(s)

    def name(self, v):
        plain = show_plain(v, self.tag)
        if plain is not None:
            return plain
        if isinstance(v, defer.Deferred):
            for i, d in enumerate(self.ds):
                if d is v:
                    return "d%d" % i
            return "d?"
        return "?" + type(v).__name__

    def tag(self, f):
        if f.check(FuzzErr):
            return str(f.value.n)
        if f.check(defer.CancelledError):
            return "cancel"
        if f.check(defer.AlreadyCalledError):
            return "already"
        if f.check(ReturnedSelf):
            return "self"
        if f.check(AssertionError):
            return "deferred-result"  # callback() handed a Deferred
        return "?" + f.getErrorMessage()

    def canceller(self, i, kind):
        if kind == CANC_NONE:
            return None

        def cancel(d):
            self.log("canceller d%d" % i)
            if kind == CANC_CALLBACK:
                self.log("canceller callback d%d: %s" % (i, fire(d.callback, 100 + i)))
            elif kind == CANC_ERRBACK:
                self.log("canceller errback d%d: %s" % (i, fire(d.errback, FuzzErr(60 + i))))
            elif kind == CANC_PANIC:
                raise FuzzErr(70 + i)
        return cancel

    def step(self, op, half):
        owner = self.ds[op["d"]]

        def run(v):
            self.log("d%d.s%d.%s(%s)" % (op["d"], op["id"], half(v), self.name(v)))
            fn = op["fn"]
            if fn in (FN_ERROR, FN_PANIC):
                raise FuzzErr(op["arg"])
            if fn == FN_DEFERRED:
                inner = self.ds[op["arg"]]
                if inner is owner:
                    raise ReturnedSelf()  # braid's D-11
                return inner
            if fn == FN_FAILURE:
                if isinstance(v, failure.Failure):
                    return v
                return failure.Failure(FuzzErr(op["arg"]))
            if fn == FN_NESTED:
                self.do(op["nested"])
            return op["arg"]
        return run

    def do(self, op):
        kind, d = op["kind"], self.ds[op["d"]]
        if kind in (OP_ADD_CALLBACK, OP_ADD_ERRBACK, OP_ADD_BOTH):
            if op["fn"] == FN_NIL:
                d.addCallbacks(passthru, passthru)
            elif kind == OP_ADD_CALLBACK:
                d.addCallback(self.step(op, lambda v: "cb"))
            elif kind == OP_ADD_ERRBACK:
                d.addErrback(self.step(op, lambda v: "eb"))
            else:
                d.addBoth(self.step(op, lambda v: "both"))
        elif kind == OP_PAUSE:
            self.log("pause d%d" % op["d"])
            d.pause()
        elif kind == OP_UNPAUSE:
            self.log("unpause d%d" % op["d"])
            d.unpause()
        elif kind == OP_CALLBACK:
            self.log("callback d%d v%d: %s" % (op["d"], op["arg"], fire(d.callback, op["arg"])))
        elif kind == OP_ERRBACK:
            self.log("errback d%d F:%d: %s" % (op["d"], op["arg"], fire(d.errback, FuzzErr(op["arg"]))))
        elif kind == OP_CANCEL:
            self.log("cancel d%d" % op["d"])
            self.cancel(d)
        elif kind == OP_CHAIN:
            self.log("chain d%d -> d%d" % (op["d"], op["j"]))
            d.chainDeferred(self.ds[op["j"]])

    def cancel(self, d):
        # Twisted's cancel, with braid's two documented rules for what
        # Twisted leaves to an exception (see the module doc).
        seen = set()
        while d.called and isinstance(getattr(d, "result", None), defer.Deferred):
            if id(d) in seen:
                return
            seen.add(id(d))
            d = d.result
        if d.called:
            return
        try:
            d.cancel()
        except FuzzErr:
            if not d.called:
                d.errback(failure.Failure())

    def final(self):
        for i, d in enumerate(self.ds):
            self.log("final d%d called=%s paused=%d result=%s" % (
                i, "true" if d.called else "false", d.paused, self.name(getattr(d, "result", None))))
        if self.waiting:
            # What repr says d waits on (reactor/deferred_waiting_twisted_test.go).
            for i, d in enumerate(self.ds):
                self.log("d%d waits on %s" % (i, self.name(d._chainedTo)))


if __name__ == "__main__":
    serve(Run)
