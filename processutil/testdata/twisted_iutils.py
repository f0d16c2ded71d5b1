"""Run the scenarios of processutil/twisted_test.go under Twisted's
twisted.internet.utils, one after another on one reactor, and print one
JSON object: scenario name -> trace, in the form the Go test writes for
braid.

The scenarios come as JSON on stdin: a list of {name, helper ("output",
"value" or "outputAndValue"), argv (argv[0] is the executable, the rest
are args), env (null for Twisted's default), path, errortoo, stdin (null
for none)}. Output is decoded as latin-1 so that any byte survives JSON.
"""

import json
import sys

from twisted.internet import defer, error, reactor, utils


def text(b):
    return b.decode("latin-1")


def reason_text(reason):
    v = reason.value
    if isinstance(v, error.ProcessDone):
        return "ProcessDone"
    if isinstance(v, error.ProcessTerminated):
        return "ProcessTerminated exit=%s signal=%s" % (v.exitCode, v.signal)
    return "?" + type(v).__name__


def run(s):
    exe, args = s["argv"][0], s["argv"][1:]
    env = s["env"] if s["env"] is not None else {}
    kw = dict(env=env, path=s["path"] or None)
    if s["helper"] == "output":
        d = utils.getProcessOutput(exe, args, errortoo=s["errortoo"], **kw)
    elif s["helper"] == "value":
        d = utils.getProcessValue(exe, args, **kw)
    else:
        stdin = s["stdin"].encode("latin-1") if s["stdin"] is not None else None
        d = utils.getProcessOutputAndValue(exe, args, stdinBytes=stdin, **kw)
    trace = []
    done = defer.Deferred()

    def ok(v):
        if isinstance(v, tuple):
            trace.extend(["callback", text(v[0]), text(v[1]), str(v[2])])
        elif isinstance(v, bytes):
            trace.extend(["callback", text(v)])
        else:
            trace.extend(["callback", str(v)])
        done.callback(None)

    def failed(f):
        v = f.value
        if isinstance(v, tuple):
            trace.extend(["errback signal", text(v[0]), text(v[1]), str(v[2])])
            done.callback(None)
        elif isinstance(v, utils._UnexpectedErrorOutput):
            trace.extend(["errback stderr", v.args[0]])

            def ended(reason):
                trace.append("processEnded " + reason_text(reason))
                done.callback(None)

            v.processEnded.addCallbacks(lambda r: ended(None), ended)
        else:
            trace.extend(["errback ?", repr(v)])
            done.callback(None)

    d.addCallbacks(ok, failed)
    return done.addCallback(lambda _: trace)


@defer.inlineCallbacks
def main(scenarios):
    out = {}
    try:
        for s in scenarios:
            out[s["name"]] = yield run(s)
    finally:
        print(json.dumps(out))
        reactor.stop()


reactor.callWhenRunning(main, json.load(sys.stdin))
reactor.run()
