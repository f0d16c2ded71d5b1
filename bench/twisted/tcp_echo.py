"""One TCP connection on loopback: the client writes -size bytes, waits until
all of them have come back from an echo server, and repeats n times.

Server and client run on one reactor (the default epoll reactor), as the
braid workload in bench/cmd/sidebyside/tcp_workloads.go does.
"""

from twisted.internet import protocol, reactor

import common


def extra(p):
    p.add_argument("-size", type=int, default=65536)


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Client(protocol.Protocol):
    def __init__(self, chunk, count, done):
        self.chunk, self.count, self.done = chunk, count, done
        self.got = 0

    def connectionMade(self):
        self.t0 = common.now_ns()
        self.transport.write(self.chunk)

    def dataReceived(self, data):
        self.got += len(data)
        if self.got < len(self.chunk):
            return
        self.got -= len(self.chunk)
        self.count -= 1
        if self.count > 0:
            self.transport.write(self.chunk)
        else:
            elapsed = common.now_ns() - self.t0
            self.transport.loseConnection()
            self.done(elapsed)


def main():
    args = common.parse_args(__doc__, extra)
    chunk = b"x" * args.size
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Echo), interface="127.0.0.1")
    portno = port.getHost().port

    def start(n, done):
        f = protocol.ClientFactory()
        f.protocol = lambda: Client(chunk, n, done)
        reactor.connectTCP("127.0.0.1", portno, f)

    common.emit(common.sample_in_reactor(args.n, args.samples, start))


if __name__ == "__main__":
    main()
