"""Twisted's own ConchTestForwardingProcess on braid's socat scenario.

A child shell sleeps -delay-ms, then execs socat forwarding a free port to an
echo server in this reactor; ConchTestForwardingProcess (imported from
Twisted's test suite) reconnects every 0.1 s until the port accepts, sends
b"test\\n", collects the echo and kills socat. -metric e2e times spawn to the
Deferred firing; -metric lag times from socat's own "listening on" log line
(socat -d -d -lu) to the forwarding port's connectionMade.
"""

import os
import shutil
import socket
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

warnings.simplefilter("ignore")

from twisted.conch.test import test_conch  # noqa: E402
from twisted.internet import defer, reactor  # noqa: E402


def extra(p):
    p.add_argument("-delay-ms", type=int, default=0)
    p.add_argument("-metric", choices=["e2e", "lag"], default="e2e")


args = common.parse_args(__doc__, extra)
socat = shutil.which("socat")

connected_at = []
OriginalPort = test_conch.ConchTestForwardingPort


class TimedPort(OriginalPort):
    def connectionMade(self):
        connected_at.append(time.time())
        OriginalPort.connectionMade(self)


test_conch.ConchTestForwardingPort = TimedPort


class Process(test_conch.ConchTestForwardingProcess):
    def __init__(self, port, data):
        test_conch.ConchTestForwardingProcess.__init__(self, port, data)
        self.err = b""

    def errReceived(self, data):
        self.err += data


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listened_at(log):
    """Wall-clock time of socat's 'listening on' line."""
    for line in log.decode().splitlines():
        if "listening on" in line:
            stamp = " ".join(line.split()[:2])
            return time.mktime(time.strptime(stamp[:19], "%Y/%m/%d %H:%M:%S")) + float("0" + stamp[19:])
    raise RuntimeError("socat did not log 'listening on': " + log.decode())


echo_port = reactor.listenTCP(0, test_conch.EchoFactory(), interface="127.0.0.1").getHost().port


def one_run():
    """Spawn one forwarder; fires with (elapsed_ns, lag_ns)."""
    port = free_port()
    proc = Process(port, b"test\n")
    proc.deferred = defer.Deferred()
    script = "sleep %.3f; exec %s -d -d -lu TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr TCP:127.0.0.1:%d" % (
        args.delay_ms / 1000.0, socat, port, echo_port)
    del connected_at[:]
    t0 = common.now_ns()
    reactor.spawnProcess(proc, "/bin/sh", ["sh", "-c", script])

    def done(buf):
        if buf != b"test\n":
            raise RuntimeError("forwarding returned %r" % (buf,))
        # A connect can beat socat's log line (it is written after listen());
        # count that as the log's 1 us resolution, as the Go runner does.
        lag = max((connected_at[0] - listened_at(proc.err)) * 1e9, 1000.0)
        return common.now_ns() - t0, lag

    return proc.deferred.addCallback(done)


def start(n, finished):
    total = [0.0]
    left = [n]

    def step(result):
        elapsed, lag = result
        total[0] += elapsed if args.metric == "e2e" else lag
        left[0] -= 1
        if left[0] == 0:
            finished(total[0])
        else:
            one_run().addCallback(step).addErrback(fail)

    def fail(f):
        f.printTraceback(file=sys.stderr)
        reactor.stop()

    one_run().addCallback(step).addErrback(fail)


# Processes are reaped from the SIGCHLD handler: run the reactor with signal
# handlers on (common.sample_in_reactor turns them off, which would leave
# socat unreaped and processEnded never called, P-21).
common.emit(common.sample_in_reactor(args.n, args.samples, start, install_signal_handlers=True))
