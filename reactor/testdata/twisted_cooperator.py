"""Run the Cooperator programs of reactor/cooperator_twisted_test.go on
Twisted's task.Cooperator with a scheduler the program pumps: one JSON
program per line on stdin, one JSON list of trace lines per program on
stdout, in the format the Go test writes for braid.

A program has up to three tasks, each a list of what its iterator does
unit by unit (yield a value, yield a Deferred the program fires later, or
raise), how many units a step may do, and a list of operations.

Cooperator.stop is replaced by one that completes every task it holds:
Twisted's removes tasks from the list it walks, so it skips every other
task, whose Deferreds never fire; braid documents that it does not.
"""

from twisted_common import FuzzErr, serve
from twisted.internet import defer, task
from twisted.python.failure import Failure

PUMP, PAUSE, RESUME, STOP, FIRE_OK, FIRE_FAIL, WHEN_DONE, COOP_STOP, COOP_START, ADD = range(10)
VALUE, DEFER, RAISE = range(3)


def stop_every_task(self):
    self._stopped = True
    for t in list(self._tasks):
        if t._completionState is None:
            t._completeWith(task.SchedulerStopped(), Failure(task.SchedulerStopped()))
    self._tasks = []
    if self._delayedCall is not None:
        self._delayedCall.cancel()
        self._delayedCall = None


task.Cooperator.stop = stop_every_task


class Step:
    def __init__(self, f):
        self.f = f
        self.cancelled = False

    def cancel(self):
        self.cancelled = True


def name(e):
    return "ok" if e is None else type(e).__name__


class Run:
    def __init__(self, prog):
        self.trace = []
        self.work = []
        self.items = prog["tasks"]
        per_step = prog["perStep"]

        def predicate():
            units = [0]

            def done():
                units[0] += 1
                return units[0] >= per_step
            return done
        self.coop = task.Cooperator(scheduler=self.schedule, terminationPredicateFactory=predicate)
        self.tasks = []
        self.pending = [[] for _ in self.items]
        self.watchers = [0 for _ in self.items]
        self.add()

    def log(self, s):
        self.trace.append(s)

    def schedule(self, f):
        s = Step(f)
        self.work.append(s)
        return s

    def gen(self, i):
        for n, kind in enumerate(self.items[i]):
            self.log("t%d unit %d" % (i, n))
            if kind == RAISE:
                raise FuzzErr(0)
            if kind == DEFER:
                d = defer.Deferred()
                self.pending[i].append(d)
                yield d
            else:
                yield n

    def add(self):
        i = len(self.tasks)
        self.log("add t%d" % i)
        self.tasks.append(self.coop.cooperate(self.gen(i)))
        self.when_done(i)

    def when_done(self, i):
        k = self.watchers[i]
        self.watchers[i] += 1

        def done(r):
            self.log("t%d whenDone %d: iterator" % (i, k))

        def failed(f):
            self.log("t%d whenDone %d: %s" % (i, k, f.type.__name__))
        self.tasks[i].whenDone().addCallbacks(done, failed)

    def call(self, what, f):
        try:
            f()
            self.log(what + ": ok")
        except task.SchedulerError as e:
            self.log(what + ": " + name(e))

    def do(self, op):
        kind, i = op["kind"], op["task"]
        if kind == PUMP:
            self.log("pump")
            work, self.work = self.work, []
            for s in work:
                if not s.cancelled:
                    s.f()
            return
        if kind == COOP_STOP:
            self.log("cooperator stop")
            self.coop.stop()
            return
        if kind == COOP_START:
            self.log("cooperator start")
            self.coop.start()
            return
        if kind == ADD:
            if len(self.tasks) < len(self.items):
                self.add()
            return
        if i >= len(self.tasks):
            return
        t = self.tasks[i]
        if kind == PAUSE:
            self.call("pause t%d" % i, t.pause)
        elif kind == RESUME:
            self.call("resume t%d" % i, t.resume)
        elif kind == STOP:
            self.call("stop t%d" % i, t.stop)
        elif kind in (FIRE_OK, FIRE_FAIL):
            if not self.pending[i]:
                self.log("t%d nothing to fire" % i)
                return
            d = self.pending[i].pop(0)
            self.log("fire t%d %s" % (i, "ok" if kind == FIRE_OK else "fail"))
            if kind == FIRE_OK:
                d.callback(None)
            else:
                d.errback(FuzzErr(0))
            d.addErrback(lambda f: None)  # NotPaused, as braid's unhandled error
        elif kind == WHEN_DONE:
            self.when_done(i)

    def final(self):
        self.log("tasks %d scheduled %d running %s" % (
            len(self.coop._tasks), len([s for s in self.work if not s.cancelled]),
            "true" if self.coop.running else "false"))


if __name__ == "__main__":
    serve(Run)
