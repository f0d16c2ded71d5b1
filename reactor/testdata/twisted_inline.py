"""Run the inlineCallbacks programs of reactor/inline_twisted_test.go on
Twisted's @inlineCallbacks: one JSON program per line on stdin, one JSON
list of trace lines per program on stdout, in the format the Go test
writes for braid.

A program has three Deferreds e0..e2 (each with a kind of canceller), a
body (a list of steps the generator runs: await e_i, perhaps catching what
it raises; fire e_i; return; raise) and top-level operations (fire, fail,
pause, unpause e_i; cancel the body's Deferred; start the body).
"""

from twisted_common import FuzzErr, canceller, fire, serve, show as show_plain
from twisted.internet import defer

AWAIT, FIRE_INSIDE, RETURN, RAISE = range(4)
FIRE, FAIL, PAUSE, UNPAUSE, CANCEL_OUTER, START = range(6)


def show(v):
    plain = show_plain(v, lambda f: tag(f.value))
    return plain if plain is not None else "?" + type(v).__name__


def tag(e):
    if isinstance(e, FuzzErr):
        return str(e.n)
    if isinstance(e, defer.CancelledError):
        return "cancel"
    return "?" + type(e).__name__


class Run:
    def __init__(self, prog):
        self.trace = []
        self.prog = prog
        self.es = [defer.Deferred(canceller(self.log, "e%d" % i, i, k)) for i, k in enumerate(prog["cancellers"])]
        self.outer = None

    def log(self, s):
        self.trace.append(s)

    @defer.inlineCallbacks
    def body(self):
        self.log("body starts")
        for st in self.prog["body"]:
            kind, i, n = st["kind"], st["i"], st["n"]
            if kind == AWAIT:
                try:
                    v = yield self.es[i]
                    self.log("body got %s from e%d" % (show(v), i))
                except Exception as e:
                    if not st["catch"]:
                        self.log("body lets F:%s through" % tag(e))
                        raise
                    self.log("body caught F:%s" % tag(e))
            elif kind == FIRE_INSIDE:
                self.log("body fires e%d v%d: %s" % (i, n, fire(self.es[i].callback, n)))
            elif kind == RETURN:
                self.log("body returns v%d" % n)
                return n
            elif kind == RAISE:
                self.log("body raises F:%d" % n)
                raise FuzzErr(n)
        self.log("body ends")
        return "end"

    def do(self, op):
        kind, i, n = op["kind"], op["i"], op["n"]
        e = self.es[i]
        if kind == FIRE:
            self.log("callback e%d v%d: %s" % (i, n, fire(e.callback, n)))
        elif kind == FAIL:
            self.log("errback e%d F:%d: %s" % (i, n, fire(e.errback, FuzzErr(n))))
        elif kind == PAUSE:
            self.log("pause e%d" % i)
            e.pause()
        elif kind == UNPAUSE:
            self.log("unpause e%d" % i)
            e.unpause()
        elif kind == START:
            if self.outer is not None:
                return
            self.outer = self.body()

            def done(v):
                self.log("outer fires with %s" % show(v))
            self.outer.addBoth(done)
        elif kind == CANCEL_OUTER and self.outer is not None:
            self.log("cancel outer")
            self.outer.cancel()

    def final(self):
        for i, e in enumerate(self.es):
            self.log("final e%d called=%s paused=%d result=%s" % (
                i, "true" if e.called else "false", e.paused, show(getattr(e, "result", None))))


if __name__ == "__main__":
    serve(Run)
