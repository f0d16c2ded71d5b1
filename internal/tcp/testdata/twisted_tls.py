"""Run the TLS scenarios of internal/tcp/tls_twisted_test.go on Twisted
(listenSSL/connectSSL, or listenTCP/connectTCP and startTLS), one after
another on one reactor, and print one JSON object: scenario name -> trace
lines, in the form the Go test writes for braid.

Input (stdin): {"certs": {...PEM paths...}, "scenarios": [...]}. Each end
has steps, each run once when its event happens ("made", "data": the first
data, "handshake"). A trace says, per end, what happened in order: made,
handshake, data (consecutive chunks joined), and the connectionLost reason.
"""

import json
import sys

from OpenSSL import SSL
from zope.interface import implementer

from twisted.internet import error, protocol, reactor, ssl
from twisted.internet.interfaces import IHandshakeListener


def reason_name(reason):
    v = reason.value
    if isinstance(v, SSL.Error):
        return "TLSError"
    for cls in (error.ConnectionDone, error.ConnectionAborted, error.ConnectionLost):
        if type(v) is cls:
            return cls.__name__
    return type(v).__name__


@implementer(IHandshakeListener)
class End(protocol.Protocol):
    def __init__(self, name, steps, tls, done):
        self.name, self.steps, self.tls, self.done = name, steps or [], tls, done
        self.trace = []
        self.seen_data = False

    def note(self, ev):
        self.trace.append(self.name + ": " + ev)

    def run(self, event):
        for on, action, arg in self.steps:
            if on != event:
                continue
            t = self.transport
            if action == "write":
                t.write(arg.encode())
            elif action == "lose":
                t.loseConnection()
            elif action == "abort":
                t.abortConnection()
            elif action == "startTLS":
                t.startTLS(self.tls)

    def connectionMade(self):
        self.note("made")
        self.run("made")

    def handshakeCompleted(self):
        self.note("handshake")
        self.run("handshake")

    def dataReceived(self, data):
        if self.trace and self.trace[-1].startswith(self.name + ": data:"):
            self.trace[-1] += data.decode()
        else:
            self.note("data:" + data.decode())
        if not self.seen_data:
            self.seen_data = True
            self.run("data")

    def connectionLost(self, reason):
        self.note("lost:" + reason_name(reason))
        self.done()


def main():
    spec = json.load(sys.stdin)
    certs = spec["certs"]
    read = lambda k: open(certs[k], "rb").read()
    server_tls = ssl.PrivateCertificate.loadPEM(read("serverCert") + read("serverKey")).options()
    trusted = ssl.optionsForClientTLS("localhost", trustRoot=ssl.Certificate.loadPEM(read("ca")))
    untrusted = ssl.optionsForClientTLS("localhost", trustRoot=ssl.Certificate.loadPEM(read("otherCA")))
    out = {}
    scenarios = list(spec["scenarios"])

    def run_next():
        if not scenarios:
            reactor.stop()
            return
        sc = scenarios.pop(0)
        sys.stderr.write(sc["name"] + "\n")
        left = [2]
        ends = []

        def done():
            left[0] -= 1
            if left[0] == 0:
                port.stopListening()
                out[sc["name"]] = ends[0].trace + ends[1].trace
                reactor.callLater(0, run_next)

        client_tls = untrusted if sc.get("untrusted") else trusted
        server = End("server", sc["server"]["steps"], server_tls, done)
        client = End("client", sc["client"]["steps"], client_tls, done)
        ends.extend([server, client])
        sf = protocol.Factory.forProtocol(lambda: server)
        cf = protocol.ClientFactory.forProtocol(lambda: client)
        if sc["mode"] == "ssl":
            port = reactor.listenSSL(0, sf, server_tls, interface="127.0.0.1")
            reactor.connectSSL("127.0.0.1", port.getHost().port, cf, client_tls)
        else:
            port = reactor.listenTCP(0, sf, interface="127.0.0.1")
            reactor.connectTCP("127.0.0.1", port.getHost().port, cf)

    reactor.callWhenRunning(run_next)
    reactor.callLater(60, reactor.stop)
    reactor.run()
    print(json.dumps(out))


main()
