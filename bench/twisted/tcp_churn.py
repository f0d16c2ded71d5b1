"""Connection churn on loopback: connect, send one byte, wait for the echo,
close; the client's connectionLost starts the next connection. n per sample.

Server (echo) and client run on one reactor, as the braid workload in
bench/cmd/sidebyside/tcp_workloads.go does.
"""

from twisted.internet import protocol, reactor

import common


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Client(protocol.Protocol):
    def __init__(self, next_):
        self.next_ = next_

    def connectionMade(self):
        self.transport.write(b"x")

    def dataReceived(self, data):
        self.transport.loseConnection()

    def connectionLost(self, reason):
        self.next_()


def main():
    args = common.parse_args(__doc__)
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Echo), interface="127.0.0.1", backlog=128)
    portno = port.getHost().port

    def start(n, done):
        state = {"left": n}
        t0 = common.now_ns()
        f = protocol.ClientFactory()

        def next_():
            if state["left"] == 0:
                done(common.now_ns() - t0)
                return
            state["left"] -= 1
            reactor.connectTCP("127.0.0.1", portno, f)

        f.protocol = lambda: Client(next_)
        next_()

    common.emit(common.sample_in_reactor(args.n, args.samples, start))


if __name__ == "__main__":
    main()
