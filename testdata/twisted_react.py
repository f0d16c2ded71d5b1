"""Run the task.react scenarios of react_twisted_test.go on Twisted, each on
a fresh reactor: print one JSON object mapping each scenario's name to
its trace — what main saw, the errors logged, and the exit code react
gave.
"""

import json
import sys

from twisted.internet import defer, selectreactor
from twisted.internet.task import react
from twisted.python import log


class Expected(Exception):
    pass


def scenarios():
    def sync_ok(r, t):
        return defer.succeed("ok")

    def async_ok(r, t):
        d = defer.Deferred()
        r.callLater(0.01, d.callback, "ok")
        return d

    def sync_fail(r, t):
        return defer.fail(Expected())

    def async_fail(r, t):
        d = defer.Deferred()
        r.callLater(0.01, d.errback, Expected())
        return d

    def exit_code(r, t):
        return defer.fail(SystemExit(23))

    def exit_code_later(r, t):
        d = defer.Deferred()
        r.callLater(0.01, d.errback, SystemExit(7))
        return d

    def stop_then_fire_in_shutdown(r, t):
        r.callLater(0.01, r.stop)
        d = defer.Deferred()
        r.addSystemEventTrigger("during", "shutdown", d.callback, None)
        return d

    def stop_then_fail_in_shutdown(r, t):
        r.callLater(0.01, r.stop)
        d = defer.Deferred()
        r.addSystemEventTrigger("during", "shutdown", d.errback, Expected())
        return d

    def stop_then_fire(r, t):
        d = defer.Deferred()

        def stop():
            r.stop()
            d.callback(None)
        r.callWhenRunning(stop)
        return d

    def stop_never_fire(r, t):
        r.callLater(0.01, r.stop)
        return defer.Deferred()

    def shutdown_order(r, t):
        r.addSystemEventTrigger("before", "shutdown", lambda: t.append("before shutdown"))
        r.addSystemEventTrigger("during", "shutdown", lambda: t.append("during shutdown"))
        r.callWhenRunning(lambda: t.append("running"))
        d = defer.Deferred()
        r.callLater(0.01, d.callback, None)
        d.addCallback(lambda _: t.append("main fired"))
        return d

    def fail_then_exit_in_callback(r, t):
        d = defer.Deferred()
        r.callLater(0.01, d.callback, None)

        def cb(_):
            raise SystemExit(3)
        return d.addCallback(cb)

    return [(f.__name__, f) for f in [
        sync_ok, async_ok, sync_fail, async_fail, exit_code, exit_code_later,
        stop_then_fire_in_shutdown, stop_then_fail_in_shutdown, stop_then_fire,
        stop_never_fire, shutdown_order, fail_then_exit_in_callback]]


def main():
    out = {}
    for name, f in scenarios():
        trace = []

        def observe(event):
            if event.get("isError"):
                why = event.get("why")
                trace.append("logged %s: %s" % (why, event["failure"].type.__name__))
        log.addObserver(observe)
        r = selectreactor.SelectReactor()
        try:
            react(lambda reactor: f(reactor, trace), _reactor=r)
        except SystemExit as e:
            trace.append("exit %r" % (e.code,))
        finally:
            log.removeObserver(observe)
        out[name] = trace
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
