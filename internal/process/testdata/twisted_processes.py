"""Run the process scenarios of internal/process/twisted_test.go under
Twisted's spawnProcess, one after another on one reactor, and print one
JSON object: scenario name -> trace lines, in the form the Go test writes
for braid.

The scenarios come as JSON on stdin: a list of {name, argv, childFDs
(null for Twisted's default), env, actions: [[when_ms, action, arg]]}:
when_ms >= 0 is after connectionMade, when_ms < 0 is -when_ms-1 ms after
the child's first output on stdout.
A trace is deterministic although the callbacks' interleaving is not:
the data of each fd concatenated, the fds whose pipes were lost, the
processExited and processEnded reasons, a check that processEnded came
last, what the actions returned, and what signalProcess says after the
end.
"""

import json
import sys

from twisted.internet import error, protocol, reactor


def reason_text(reason):
    v = reason.value
    if isinstance(v, error.ProcessDone):
        return "done"
    if isinstance(v, error.ProcessTerminated):
        return "terminated exit=%s signal=%s" % (v.exitCode, v.signal)
    return "?" + type(v).__name__


class Recorder(protocol.ProcessProtocol):
    def __init__(self, scenario, finished):
        self.scenario = scenario
        self.finished = finished
        self.data = {}
        self.lost = []
        self.events = []
        self.notes = []

    def connectionMade(self):
        self.events.append("made")
        for when_ms, action, arg in self.scenario["actions"] or []:
            if when_ms >= 0:
                reactor.callLater(when_ms / 1000.0, self.act, action, arg)

    def act(self, action, arg):
        t = self.transport
        try:
            if action == "write":
                t.write(arg.encode())
            elif action == "writeBig":
                t.write(b"x" * int(arg))
            elif action == "closeStdin":
                t.closeStdin()
            elif action == "loseConnection":
                t.loseConnection()
            elif action == "signal":
                t.signalProcess(arg)
            self.notes.append("%s %s: ok" % (action, arg))
        except error.ProcessExitedAlready:
            self.notes.append("%s %s: ProcessExitedAlready" % (action, arg))

    def childDataReceived(self, fd, data):
        if fd == 1 and not self.data.get(1):
            for when_ms, action, arg in self.scenario["actions"] or []:
                if when_ms < 0:
                    reactor.callLater((-when_ms - 1) / 1000.0, self.act, action, arg)
        self.data[fd] = self.data.get(fd, b"") + data

    def childConnectionLost(self, fd):
        self.lost.append(fd)
        self.events.append("lost")

    def processExited(self, reason):
        self.events.append("exited " + reason_text(reason))

    def processEnded(self, reason):
        self.events.append("ended " + reason_text(reason))
        try:
            self.transport.signalProcess("TERM")
            after = "ok"
        except error.ProcessExitedAlready:
            after = "ProcessExitedAlready"
        trace = ["made first: %s" % (self.events[0] == "made")]
        for fd in sorted(self.data):
            d = self.data[fd]
            shown = d.decode("latin-1") if len(d) <= 200 else "%d bytes" % len(d)
            trace.append("data %d: %s" % (fd, shown))
        trace.append("lost %s" % sorted(self.lost))
        trace += [e for e in self.events if e.startswith("exited")]
        trace.append(self.events[-1])
        trace.append("exited before ended: %s" % (
            [e for e in self.events if e.startswith(("exited", "ended"))][0].startswith("exited")))
        trace += self.notes
        trace.append("signal after end: " + after)
        self.finished(trace)


def main():
    scenarios = json.load(sys.stdin)
    out = {}
    todo = list(scenarios)

    def next_one(_=None):
        if not todo:
            reactor.stop()
            return
        s = todo.pop(0)

        def finished(trace):
            out[s["name"]] = trace
            reactor.callLater(0, next_one)
        childFDs = None
        if s["childFDs"] is not None:
            childFDs = {int(k): v for k, v in s["childFDs"].items()}
        kw = {"childFDs": childFDs}
        if s["env"] is not None:
            kw["env"] = s["env"]  # else Twisted's default, which is an empty one
        reactor.spawnProcess(Recorder(s, finished), s["argv"][0], s["argv"], **kw)

    reactor.callWhenRunning(next_one)
    reactor.run(installSignalHandlers=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
