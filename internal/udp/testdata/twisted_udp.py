"""Run the UDP scenarios of internal/udp/twisted_test.go on Twisted and print
one JSON object: scenario name -> trace lines, in the form the Go test
writes for braid.

stdin is a JSON object with "closed", a UDP port on 127.0.0.1 nobody
listens on. The scenarios:

- "start and stop": the order of startProtocol, listenUDP returning,
  stopListening returning, stopProtocol and the Deferred.
- "connected port refused": a port connected to the closed port writes
  four datagrams at once, then lets two reactor passes go by; the trace
  says how each write went and when connectionRefused came. On loopback
  the refusal of a datagram is known by the next write, which fails: so
  every second write calls connectionRefused.
- "… an error left pending": five writes, so the last refusal is still
  pending on the socket. The poller reports an error and nothing to read,
  which the reactor takes for the end of the descriptor: the port is
  closed (stopProtocol) and stopListening returns None.
- "unconnected port refused": the same writes with write(data, addr) on a
  port that is not connected: never refused.
- "write errors": the error class each bad write or connect raises.
"""

import json
import sys

from twisted.internet import error, protocol, reactor

closed = json.load(sys.stdin)["closed"]
out = {}


class Recorder(protocol.DatagramProtocol):
    def __init__(self, trace):
        self.trace = trace

    def startProtocol(self):
        self.trace.append("startProtocol")

    def stopProtocol(self):
        self.trace.append("stopProtocol")

    def connectionRefused(self):
        self.trace.append("connectionRefused")


def start_stop(next):
    trace = out["start and stop"] = []
    port = reactor.listenUDP(0, Recorder(trace), interface="127.0.0.1")
    trace.append("listening")
    d = port.stopListening()
    trace.append("stopListening returned")

    def fired(_):
        trace.append("deferred fired")
        next()

    d.addCallback(fired)


def refused(name, connected, writes):
    def scenario(next):
        trace = out[name] = []
        port = reactor.listenUDP(0, Recorder(trace), interface="127.0.0.1")
        if connected:
            port.connect("127.0.0.1", closed)
        for i in range(writes):
            data = b"%d" % i
            try:
                if connected:
                    port.write(data)
                else:
                    port.write(data, ("127.0.0.1", closed))
                trace.append("write %d returned" % i)
            except Exception as e:
                trace.append("write %d raised %s" % (i, type(e).__name__))

        def later(n):
            trace.append("pass %d" % n)
            if n < 2:
                reactor.callLater(0, later, n + 1)
            else:
                d = port.stopListening()
                if d is None:
                    trace.append("stopListening returned None")
                    next()
                else:
                    d.addCallback(lambda _: next())

        reactor.callLater(0, later, 1)

    return scenario


def write_errors(next):
    trace = out["write errors"] = []
    v4 = reactor.listenUDP(0, protocol.DatagramProtocol(), interface="127.0.0.1")
    v6 = reactor.listenUDP(0, protocol.DatagramProtocol(), interface="::1")
    calls = [
        ("write too long", lambda: v4.write(b"x" * 70000, ("127.0.0.1", closed))),
        ("write to a host name", lambda: v4.write(b"x", ("localhost", closed))),
        ("write IPv6 on IPv4", lambda: v4.write(b"x", ("::1", closed))),
        ("write IPv4 on IPv6", lambda: v6.write(b"x", ("127.0.0.1", closed))),
        ("connect to a host name", lambda: v4.connect("localhost", closed)),
        ("connect", lambda: v4.connect("127.0.0.1", closed)),
        ("connect again", lambda: v4.connect("127.0.0.1", closed)),
        ("connected write too long", lambda: v4.write(b"x" * 70000)),
    ]
    for name, call in calls:
        try:
            call()
            trace.append(name + ": ok")
        except Exception as e:
            trace.append(name + ": " + type(e).__name__)
    v6.stopListening()
    v4.stopListening().addCallback(lambda _: next())


scenarios = [
    start_stop,
    refused("connected port refused", True, 4),
    refused("connected port refused, an error left pending", True, 5),
    refused("unconnected port refused", False, 4),
    write_errors,
]


def run_next():
    if not scenarios:
        reactor.stop()
        return
    s = scenarios.pop(0)
    reactor.callLater(0, s, run_next)


reactor.callWhenRunning(run_next)
reactor.run()
print(json.dumps(out))
