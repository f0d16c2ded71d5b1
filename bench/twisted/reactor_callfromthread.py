"""callFromThread round trip: another thread asks the reactor to run a call
and waits until it has run.

The reactor runs in the main thread (default epoll reactor). A worker thread
times n round trips: reactor.callFromThread(release) then lock.acquire(),
where release unlocks the lock from the reactor thread. This mirrors the braid
workload (CallFromThread + a channel send back) in
bench/cmd/sidebyside/reactor_workloads.go.
"""

import threading

from twisted.internet import reactor

import common


def worker(n, samples, out, errors):
    try:
        lock = threading.Lock()
        lock.acquire()
        release = lock.release
        callFromThread = reactor.callFromThread

        def trips(k):
            for _ in range(k):
                callFromThread(release)
                lock.acquire()

        out.extend(common.sample_sync(n, samples, trips))
    except BaseException as e:
        errors.append(e)
    finally:
        reactor.callFromThread(reactor.stop)


def main():
    args = common.parse_args(__doc__)
    out, errors = [], []
    t = threading.Thread(target=worker, args=(args.n, args.samples, out, errors))
    reactor.callWhenRunning(t.start)
    reactor.run(installSignalHandlers=False)
    t.join()
    if errors:
        raise errors[0]
    common.emit(out)


if __name__ == "__main__":
    main()
