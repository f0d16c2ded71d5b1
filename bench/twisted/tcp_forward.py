"""Bulk throughput through Twisted's port forwarder
(twisted.protocols.portforward.ProxyFactory) on loopback.

The forwarder runs on the reactor in the main thread. A sink thread accepts
the forwarded connection on a plain blocking socket and counts bytes; a
client thread connects to the forwarder and sends n chunks of -size bytes
with sendall. One sample is the time from the client's connect until the sink
has every byte. Blocking socket calls release the GIL, so the two helper
threads cost the reactor thread little; the braid and socat rows drive their
forwarders with the same client and sink written in Go.
"""

import socket
import threading

from twisted.internet import reactor
from twisted.protocols import portforward

import common


def extra(p):
    p.add_argument("-size", type=int, default=65536)


def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def one_sample(sink, fwd_port, n, size):
    total = n * size
    got = [0]
    ready = threading.Event()

    def drain():
        c, _ = sink.accept()
        buf = bytearray(1 << 16)
        ready.set()
        while got[0] < total:
            k = c.recv_into(buf)
            if k == 0:
                break
            got[0] += k
        c.close()

    t = threading.Thread(target=drain)
    t.start()
    chunk = b"x" * size
    t0 = common.now_ns()
    c = socket.create_connection(("127.0.0.1", fwd_port))
    for _ in range(n):
        c.sendall(chunk)
    t.join()
    elapsed = common.now_ns() - t0
    c.close()
    if got[0] != total:
        raise RuntimeError("sink got %d of %d bytes" % (got[0], total))
    return elapsed


def worker(args, sink, fwd_port, out, errors):
    try:
        one_sample(sink, fwd_port, max(1, args.n // 10), args.size)
        for _ in range(args.samples):
            out.append(one_sample(sink, fwd_port, args.n, args.size) / args.n)
    except BaseException as e:
        errors.append(e)
    finally:
        reactor.callFromThread(reactor.stop)


def main():
    args = common.parse_args(__doc__, extra)
    sink = listener()
    factory = portforward.ProxyFactory("127.0.0.1", sink.getsockname()[1])
    factory.noisy = False
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    out, errors = [], []
    t = threading.Thread(target=worker, args=(args, sink, port.getHost().port, out, errors))
    reactor.callWhenRunning(t.start)
    reactor.run(installSignalHandlers=False)
    t.join()
    if errors:
        raise errors[0]
    common.emit(out)


if __name__ == "__main__":
    main()
