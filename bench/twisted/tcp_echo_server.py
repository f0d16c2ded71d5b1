"""An echo server in a process of its own, for the ping-pong and
server-apart echo rows of bench/cmd/sidebyside (tcp_pingpong.go).

Unlike the other scripts it times nothing: it listens on a loopback port,
prints the port number on a line of stdout, echoes on the default reactor
until its stdin closes, then exits 0. The runner's Go client drives it and
reads its CPU time, exactly as for the braid and plain-Go server children.
"""

import resource
import sys

from twisted.internet import protocol, reactor, stdio


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class StopOnEOF(protocol.Protocol):
    """Stops the reactor once stdin closes: the runner's signal to exit."""

    def connectionLost(self, reason):
        if reactor.running:
            reactor.stop()


def main():
    # 1,000 connections need more descriptors than a soft limit of 1024
    # leaves once the reactor's own are counted; Go raises its own limit,
    # Python does not.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Echo),
                             backlog=1000, interface="127.0.0.1")
    sys.stdout.write("%d\n" % port.getHost().port)
    sys.stdout.flush()
    stdio.StandardIO(StopOnEOF())
    reactor.run()


if __name__ == "__main__":
    main()
