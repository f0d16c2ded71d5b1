"""Run the descriptor-passing scenarios of internal/tcp/unix_twisted_test.go
on Twisted and print one JSON object: scenario name -> trace lines, in the
form the Go test writes for braid.

stdin is a JSON object: "dir", a directory holding the files f1, f2 and
f3, and "scenarios", a list of {name, steps}. For each scenario a server
on dir/sock runs the steps when a client connects ("write" bytes, "fd"
the descriptor of a file, "lose"), and the client, which receives
descriptors, records what arrives: "fd <file>" and "data <bytes>", in
order, then how the connection ended; then how the server's end ended.
"""

import json
import os
import sys

from zope.interface import implementer

from twisted.internet import error, protocol, reactor
from twisted.internet.interfaces import IFileDescriptorReceiver

args = json.load(sys.stdin)
d = args["dir"]
files = {n: open(os.path.join(d, n)) for n in ("f1", "f2", "f3")}
out = {}


def reason_name(reason):
    return type(reason.value).__name__


class Server(protocol.Protocol):
    def __init__(self, steps, trace):
        self.steps, self.trace = steps, trace

    def connectionMade(self):
        for action, arg in self.steps:
            if action == "write":
                self.transport.write(arg.encode())
            elif action == "fd":
                self.transport.sendFileDescriptor(files[arg].fileno())
            elif action == "lose":
                self.transport.loseConnection()

    def connectionLost(self, reason):
        self.trace.append("server lost " + reason_name(reason))


@implementer(IFileDescriptorReceiver)
class Client(protocol.Protocol):
    def __init__(self, trace, done):
        self.trace, self.done = trace, done

    def fileDescriptorReceived(self, fd):
        self.trace.append("fd " + os.path.basename(os.readlink("/proc/self/fd/%d" % fd)))
        os.close(fd)

    def dataReceived(self, data):
        self.trace.append("data " + data.decode())

    def connectionLost(self, reason):
        self.trace.append("client lost " + reason_name(reason))
        self.done()


scenarios = list(args["scenarios"])


def run_next():
    if not scenarios:
        reactor.stop()
        return
    s = scenarios.pop(0)
    trace, server_trace = [], []
    path = os.path.join(d, "sock")
    ended = []

    def done():
        ended.append(1)
        if len(ended) == 2:
            out[s["name"]] = trace + server_trace
            port.stopListening().addCallback(lambda _: reactor.callLater(0, run_next))

    class F(protocol.Factory):
        def buildProtocol(self, addr):
            p = Server(s["steps"], server_trace)
            orig = p.connectionLost

            def lost(reason):
                orig(reason)
                done()

            p.connectionLost = lost
            return p

    port = reactor.listenUNIX(path, F())
    cc = protocol.ClientCreator(reactor, Client, trace, done)
    cc.connectUNIX(path)


reactor.callWhenRunning(run_next)
reactor.run()
print(json.dumps(out))
