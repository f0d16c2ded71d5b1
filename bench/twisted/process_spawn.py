"""spawnProcess of /bin/true through to processEnded, -concurrency C at a time.

Mirrors bench/cmd/sidebyside/process_workloads.go: each processEnded spawns
the next child until n have ended. Default childFDs (three pipes) and the
default env={} (an empty environment). The reactor runs with its signal
handlers installed: without the SIGCHLD handler a child whose pipes close
before it can be reaped is never reported (P-21), and the run would hang.
"""

import sys

from twisted.internet import protocol, reactor

import common

EXE = b"/bin/true"


def extra(p):
    p.add_argument("-concurrency", type=int, default=1)


class Ender(protocol.ProcessProtocol):
    def __init__(self, on_ended):
        self.on_ended = on_ended

    def processEnded(self, reason):
        self.on_ended(reason)


def run(n, samples, width):
    failure = []

    def start(count, done):
        state = {"started": 0, "ended": 0}
        t0 = common.now_ns()

        def ended(reason):
            if reason.value.exitCode != 0 and not failure:
                failure.append(RuntimeError("child ended with %r" % (reason.value,)))
            state["ended"] += 1
            if state["ended"] == count:
                done(common.now_ns() - t0)
            elif state["started"] < count:
                spawn()

        def spawn():
            state["started"] += 1
            reactor.spawnProcess(Ender(ended), EXE, [b"true"])

        for _ in range(min(width, count)):
            spawn()

    out = common.sample_in_reactor(n, samples, start, install_signal_handlers=True)
    if failure:
        raise failure[0]
    return out


def main():
    args = common.parse_args(__doc__, extra)
    if args.concurrency < 1:
        sys.exit("-concurrency must be at least 1")
    common.emit(run(args.n, args.samples, args.concurrency))


if __name__ == "__main__":
    main()
