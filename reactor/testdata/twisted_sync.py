"""Play the lock, semaphore and queue programs of
reactor/deferred_sync_twisted_test.go on Twisted's DeferredLock,
DeferredSemaphore and DeferredQueue: one JSON program per line on stdin,
one JSON list of trace lines per program on stdout, in the format the Go
test writes for braid.
"""

from twisted_common import serve
from twisted.internet import defer
from twisted.python import failure

(LOCK_ACQUIRE, LOCK_RELEASE, LOCK_RUN, SEM_ACQUIRE, SEM_RELEASE, SEM_RUN,
 PUT, GET, CANCEL, FIRE_CONTROL) = range(10)


def show(v):
    if v is None:
        return "nil"
    if isinstance(v, failure.Failure):
        if v.check(defer.CancelledError):
            return "F:cancel"
        if v.check(AssertionError):
            return "F:not acquired"
        return "F:?" + v.getErrorMessage()
    if isinstance(v, (defer.DeferredLock, defer.DeferredSemaphore)):
        return "self"
    return "v%d" % v


class Run:
    def __init__(self, prog):
        self.trace = []
        self.lock = defer.DeferredLock()
        self.sem = defer.DeferredSemaphore(prog["tokens"])
        size = None if prog["size"] < 0 else prog["size"]
        backlog = None if prog["backlog"] < 0 else prog["backlog"]
        self.queue = defer.DeferredQueue(size, backlog)
        self.ds = []        # every Deferred an op made, by number
        self.controls = []  # the Deferreds run's functions returned

    def log(self, s):
        self.trace.append(s)

    def watch(self, what, d):
        i = len(self.ds)
        self.ds.append(d)
        self.log("%s -> d%d" % (what, i))

        def fired(v):
            self.log("d%d fires with %s" % (i, show(v)))
            return v
        d.addBoth(fired)
        # Keep failures from being reported as unhandled.
        d.addErrback(lambda f: None)

    def release(self, what, p):
        try:
            p.release()
            self.log("%s release: ok" % what)
        except AssertionError:
            self.log("%s release: not acquired" % what)

    def run(self, what, p, n):
        def f():
            self.log("%s runs f%d" % (what, n))
            c = defer.Deferred()
            self.controls.append(c)
            return c
        self.watch("%s run f%d" % (what, n), p.run(f))

    def do(self, op):
        kind, n = op["kind"], op["n"]
        if kind == LOCK_ACQUIRE:
            self.watch("lock acquire", self.lock.acquire())
        elif kind == LOCK_RELEASE:
            self.release("lock", self.lock)
        elif kind == LOCK_RUN:
            self.run("lock", self.lock, n)
        elif kind == SEM_ACQUIRE:
            self.watch("sem acquire", self.sem.acquire())
        elif kind == SEM_RELEASE:
            self.release("sem", self.sem)
        elif kind == SEM_RUN:
            self.run("sem", self.sem, n)
        elif kind == PUT:
            try:
                self.queue.put(n)
                self.log("put v%d: ok" % n)
            except defer.QueueOverflow:
                self.log("put v%d: overflow" % n)
        elif kind == GET:
            try:
                d = self.queue.get()
            except defer.QueueUnderflow:
                self.log("get: underflow")
            else:
                self.watch("get", d)
        elif kind == CANCEL:
            if self.ds:
                i = n % len(self.ds)
                self.log("cancel d%d" % i)
                self.ds[i].cancel()
        elif kind == FIRE_CONTROL:
            if self.controls:
                i = n % len(self.controls)
                c = self.controls[i]
                if not c.called:
                    self.log("control %d fires with v%d" % (i, n))
                    c.callback(n)

    def final(self):
        self.log("final lock locked=%s waiting=%d" % ("true" if self.lock.locked else "false", len(self.lock.waiting)))
        self.log("final sem tokens=%d waiting=%d" % (self.sem.tokens, len(self.sem.waiting)))
        self.log("final queue pending=%d waiting=%d" % (len(self.queue.pending), len(self.queue.waiting)))


if __name__ == "__main__":
    serve(Run)
