"""task.Clock: schedule a call one second away and advance the clock to fire
it, as ported tests do for every timeout they exercise. Mirrors the braid
workload "Clock: CallLater(1s) + Advance(1s)".
"""

from twisted.internet import task

import common


def nothing():
    pass


def body(n):
    clock = task.Clock()
    for _ in range(n):
        clock.callLater(1, nothing)
        clock.advance(1)


def main():
    args = common.parse_args(__doc__)
    common.emit(common.sample_sync(args.n, args.samples, body))


if __name__ == "__main__":
    main()
