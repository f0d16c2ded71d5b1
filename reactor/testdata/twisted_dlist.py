"""Run the DeferredList programs of reactor/deferred_list_twisted_test.go on
Twisted's DeferredList and gatherResults: one JSON program per line on
stdin, one JSON list of trace lines per program on stdout, in the format
the Go test writes for braid.
"""

from twisted_common import FuzzErr, canceller, fire, serve, show as show_plain
from twisted.internet import defer
from twisted.python import failure

FIRE, FAIL, CANCEL_MEMBER, CANCEL_LIST, WATCH_MEMBER, LIST_WAITS, PAUSE, UNPAUSE, MAKE_LIST = range(9)


def tag(f):
    if f.check(FuzzErr):
        return "%d" % f.value.n
    if f.check(defer.CancelledError):
        return "cancel"
    return "?" + f.getErrorMessage()


def show(v):
    if isinstance(v, failure.Failure) and v.check(defer.FirstError):
        return "FirstError(%d, %s)" % (v.value.index, show(v.value.subFailure))
    plain = show_plain(v, tag)
    if plain is not None:
        return plain
    if isinstance(v, tuple):
        if len(v) == 2 and isinstance(v[0], bool):
            return "(%s %s)" % ("ok" if v[0] else "failed", show(v[1]))
        return "(%s at %d)" % (show(v[0]), v[1])
    if isinstance(v, list):
        return "[" + " ".join(show(x) for x in v) + "]"
    if isinstance(v, defer.Deferred):
        return "<Deferred>"
    return "?" + type(v).__name__


class Run:
    def __init__(self, prog):
        self.trace = []
        self.prog = prog
        self.members = [defer.Deferred(canceller(self.log, "m%d" % i, i, k)) for i, k in enumerate(prog["cancellers"])]
        self.list = None

    def log(self, s):
        self.trace.append(s)

    def do(self, op):
        kind, i, n = op["kind"], op["i"], op["n"]
        m = self.members[i]
        if kind == FIRE:
            self.log("callback m%d v%d: %s" % (i, n, fire(m.callback, n)))
        elif kind == FAIL:
            self.log("errback m%d F:%d: %s" % (i, n, fire(m.errback, FuzzErr(n))))
        elif kind == CANCEL_MEMBER:
            self.log("cancel m%d" % i)
            m.cancel()
        elif kind == WATCH_MEMBER:
            def watch(v, i=i):
                self.log("m%d passes on %s" % (i, show(v)))
                return v
            m.addBoth(watch)
        elif kind == PAUSE:
            self.log("pause m%d" % i)
            m.pause()
        elif kind == UNPAUSE:
            self.log("unpause m%d" % i)
            m.unpause()
        elif kind == MAKE_LIST:
            if self.list is not None:
                return
            p = self.prog
            ms = self.members[:p["size"]]
            if p["gather"]:
                self.list = defer.gatherResults(ms, consumeErrors=p["consume"])
            else:
                self.list = defer.DeferredList(ms, fireOnOneCallback=p["oneCallback"],
                                               fireOnOneErrback=p["oneErrback"], consumeErrors=p["consume"])
            self.log("list made")

            def fired(v):
                self.log("list fires with %s" % show(v))
                return v
            self.list.addBoth(fired)
        elif self.list is None:
            return
        elif kind == CANCEL_LIST:
            self.log("cancel list")
            self.list.cancel()
        elif kind == LIST_WAITS:
            w = self.members[i]

            def wait(v):
                self.log("list waits on m%d" % i)
                return w
            self.list.addCallback(wait)

    def final(self):
        for i, m in enumerate(self.members):
            self.log("final m%d called=%s paused=%d result=%s" % (
                i, "true" if m.called else "false", m.paused, show(getattr(m, "result", None))))
        if self.list is not None:
            self.log("final list called=%s result=%s" % (
                "true" if self.list.called else "false", show(getattr(self.list, "result", None))))


if __name__ == "__main__":
    serve(Run)
