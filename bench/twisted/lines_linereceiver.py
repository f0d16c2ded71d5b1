"""LineReceiver: short CRLF lines fed in chunks to a LineReceiver that
counts them, in-process. Mirrors the braid workloads "LineReceiver: short
lines in <size> chunks" in bench/cmd/sidebyside/lines_workloads.go; one op
is one line. The input is built before timing.
"""

from twisted.internet.testing import StringTransport
from twisted.protocols import basic

import common


class Counter(basic.LineReceiver):
    lines = 0

    def lineReceived(self, line):
        self.lines += 1


def make_chunks(n, size):
    data = b"".join(b"line %d of the benchmark\r\n" % i for i in range(n))
    return [data[i : i + size] for i in range(0, len(data), size)]


def main():
    args = common.parse_args(__doc__, lambda p: p.add_argument("-chunk", type=int, default=4096))
    chunks = make_chunks(args.n, args.chunk)

    def body(n):
        p = Counter()
        p.makeConnection(StringTransport())
        for c in chunks:
            p.dataReceived(c)
        if p.lines != n:
            raise AssertionError("delivered %d lines, want %d" % (p.lines, n))

    common.emit(common.sample_sync(args.n, args.samples, body))


if __name__ == "__main__":
    main()
