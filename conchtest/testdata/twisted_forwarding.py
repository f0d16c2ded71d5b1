"""Run the forwarding scenarios of conchtest/forwarding_twisted_test.go with
Conch's own ConchTestForwardingProcess, one after another on one reactor,
and print one JSON object: scenario name -> trace lines, in the form the
Go test writes for braid.

Scenarios come as JSON on stdin: a list of {name, script, compareEnd}.
Each script is run as `/bin/sh -c script` with $PORT (where the manager
connects) and $ECHO (an echo server on this reactor, Conch's Echo: it
closes on a newline) set in its environment. The trace is what the
Deferred fired with and, where compareEnd is set, how the process ended.
"""

import json
import os
import socket
import sys

from twisted.conch.test import test_conch
from twisted.internet import defer, reactor


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def reason_text(reason):
    from twisted.internet import error
    v = reason.value
    if isinstance(v, error.ProcessDone):
        return "done"
    if isinstance(v, error.ProcessTerminated):
        return "terminated exit=%s signal=%s" % (v.exitCode, v.signal)
    return "?" + type(v).__name__


class Recording(test_conch.ConchTestForwardingProcess):
    def processEnded(self, reason):
        self.endReason = reason_text(reason)
        test_conch.ConchTestForwardingProcess.processEnded(self, reason)


def main():
    scenarios = json.load(sys.stdin)
    echo = reactor.listenTCP(0, test_conch.EchoFactory(), interface="127.0.0.1")
    out = {}
    todo = list(scenarios)

    def next_one(_=None):
        if not todo:
            reactor.stop()
            return
        s = todo.pop(0)
        port = free_port()
        proc = Recording(port, b"test\n")
        proc.deferred = defer.Deferred()

        def fired(result):
            shown = "None" if result is None else "b" + json.dumps(bytes(result).decode("latin-1"))
            trace = ["fired with " + shown]
            if s["compareEnd"]:
                trace.append("ended " + proc.endReason)
            out[s["name"]] = trace
            reactor.callLater(0, next_one)
        proc.deferred.addCallback(fired)
        env = {"PORT": str(port), "ECHO": str(echo.getHost().port), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        reactor.spawnProcess(proc, "/bin/sh", ["sh", "-c", s["script"]], env=env)

    reactor.callWhenRunning(next_one)
    reactor.run()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
