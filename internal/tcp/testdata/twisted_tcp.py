"""Run the TCP scenarios of internal/tcp/twisted_test.go on Twisted, one
after another on one reactor, and print one JSON object: scenario name ->
trace lines, in the form the Go test writes for braid.

Each scenario connects a client to a server on 127.0.0.1; each end has
steps, each run once when its event happens ("made", "data": the first
data, "readLost": the read side closed, for a half-closeable end). A
trace says, per end, what data arrived (its length when long), whether
the half-close callbacks came, and the connectionLost reason. Each
scenario's name goes to stderr as it starts, so a hang names its scenario.
"""

import json
import sys

from zope.interface import implementer

from twisted.internet import error, protocol, reactor
from twisted.internet.interfaces import IHalfCloseableProtocol


def reason_name(reason):
    v = reason.value
    for cls in (error.ConnectionDone, error.ConnectionLost, error.ConnectionAborted):
        if type(v) is cls:
            return cls.__name__
    return type(v).__name__


class End(protocol.Protocol):
    def __init__(self, name, steps, done):
        self.name = name
        self.steps = steps
        self.done = done
        self.data = b""
        self.events = []
        self.seen_data = False

    def run(self, event):
        for on, action, arg in self.steps:
            if on != event:
                continue
            t = self.transport
            if action == "write":
                t.write(arg.encode())
            elif action == "writeBig":
                t.write(b"y" * int(arg))
            elif action == "echo":
                t.write(self.data)
            elif action == "lose":
                t.loseConnection()
            elif action == "abort":
                t.abortConnection()
            elif action == "loseWrite":
                t.loseWriteConnection()

    def connectionMade(self):
        self.run("made")

    def dataReceived(self, data):
        self.data += data
        if not self.seen_data:
            self.seen_data = True
            self.run("data")

    def connectionLost(self, reason):
        shown = self.data.decode() if len(self.data) <= 100 else "%d bytes" % len(self.data)
        trace = ["%s data: %s" % (self.name, shown)] + ["%s %s" % (self.name, e) for e in self.events]
        trace.append("%s lost: %s" % (self.name, reason_name(reason)))
        self.done(trace)


@implementer(IHalfCloseableProtocol)
class HalfEnd(End):
    def readConnectionLost(self):
        self.events.append("readConnectionLost")
        self.run("readLost")

    def writeConnectionLost(self):
        self.events.append("writeConnectionLost")


def make(name, spec, done):
    cls = HalfEnd if spec["halfClose"] else End
    return cls(name, [tuple(s) for s in spec["steps"] or []], done)


def main():
    scenarios = json.load(sys.stdin)
    out = {}
    todo = list(scenarios)
    state = {}

    def next_one(_=None):
        if not todo:
            reactor.stop()
            return
        s = todo.pop(0)
        sys.stderr.write("scenario: %s\n" % s["name"])
        traces = {}

        def finished(side):
            def record(trace):
                traces[side] = trace
                if len(traces) == 2:
                    out[s["name"]] = traces["server"] + traces["client"]
                    state["port"].stopListening()
                    reactor.callLater(0, next_one)
            return record

        f = protocol.Factory()
        f.protocol = lambda: make("server", s["server"], finished("server"))
        f.buildProtocol = lambda addr: make("server", s["server"], finished("server"))
        port = reactor.listenTCP(0, f, interface="127.0.0.1")
        state["port"] = port
        cc = protocol.ClientCreator(reactor, lambda: make("client", s["client"], finished("client")))
        d = cc.connectTCP("127.0.0.1", port.getHost().port)

        def failed(f):
            out[s["name"]] = ["connect failed: " + type(f.value).__name__]
            port.stopListening()
            reactor.callLater(0, next_one)
        d.addErrback(failed)

    reactor.callWhenRunning(next_one)
    reactor.run(installSignalHandlers=False)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
