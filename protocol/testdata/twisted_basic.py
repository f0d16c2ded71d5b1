"""Play the programs of protocol/basic_twisted_test.go on Twisted's
twisted.protocols.basic receivers and print one JSON trace per program.

Each program (one JSON line on stdin) names a receiver ("line",
"lineonly", "netstring", "int8", "int16", "int32"), its limit ("max", 0
for the default) and whether a LineReceiver records long lines instead of
disconnecting ("catch"). "steps" is a list of byte chunks (base64) fed to
dataReceived, and null steps, each a call to resumeProducing. Lines and
strings that read as commands make the receiver act: "raw N" (take N raw
bytes, then back to line mode), "delim X", "quit" (loseConnection),
"clear" (clearLineBuffer), "pause" (pauseProducing). The trace lists what
was delivered and each loseConnection, in order.
"""

import base64
import json
import sys

from twisted.internet.testing import StringTransport
from twisted.protocols import basic


def show(b):
    s = b.decode("latin-1")
    if len(s) > 40:
        return "%s...(%d bytes)" % (s[:10], len(s))
    return s


class Transport(StringTransport):
    def __init__(self, trace):
        StringTransport.__init__(self)
        self.trace = trace
        self.lenient = True

    def loseConnection(self):
        self.trace.append("lose")
        StringTransport.loseConnection(self)


def line_commands(p, line, trace):
    if line == b"quit":
        p.transport.loseConnection()
    elif line.startswith(b"delim "):
        p.delimiter = line[6:]
    elif line == b"clear":
        trace.append("cleared " + show(p.clearLineBuffer()))
    elif line == b"pause":
        p.pauseProducing()
    elif line.startswith(b"raw "):
        p.rawLeft = int(line[4:])
        p.setRawMode()


class Line(basic.LineReceiver):
    catch = False

    def lineReceived(self, line):
        self.trace.append("line " + show(line))
        line_commands(self, line, self.trace)

    def rawDataReceived(self, data):
        take, rest = data[: self.rawLeft], data[self.rawLeft :]
        self.rawLeft -= len(take)
        self.trace.append("raw " + show(take))
        if self.rawLeft == 0:
            self.setLineMode(rest)

    def lineLengthExceeded(self, line):
        if self.catch:
            self.trace.append("exceeded " + show(line))
        else:
            return basic.LineReceiver.lineLengthExceeded(self, line)


class LineOnly(basic.LineOnlyReceiver):
    def lineReceived(self, line):
        self.trace.append("line " + show(line))
        line_commands(self, line, self.trace)


class StringMixin:
    def stringReceived(self, s):
        self.trace.append("string " + show(s))
        if s == b"quit":
            self.transport.loseConnection()
        elif s == b"pause":
            self.pauseProducing()

    def lengthLimitExceeded(self, length):
        self.trace.append("limit %d" % length)
        basic.IntNStringReceiver.lengthLimitExceeded(self, length)


class Netstring(StringMixin, basic.NetstringReceiver):
    pass


class Int8(StringMixin, basic.Int8StringReceiver):
    pass


class Int16(StringMixin, basic.Int16StringReceiver):
    pass


class Int32(StringMixin, basic.Int32StringReceiver):
    pass


KINDS = {"line": Line, "lineonly": LineOnly, "netstring": Netstring, "int8": Int8, "int16": Int16, "int32": Int32}


def run(prog):
    trace = []
    p = KINDS[prog["kind"]]()
    p.trace = trace
    if prog.get("max"):
        p.MAX_LENGTH = prog["max"]
    if prog.get("catch"):
        p.catch = True
    p.makeConnection(Transport(trace))
    for step in prog["steps"]:
        if step is None:
            p.resumeProducing()
        else:
            p.dataReceived(base64.b64decode(step))
    return trace


for raw in sys.stdin:
    sys.stdout.write(json.dumps(run(json.loads(raw))) + "\n")
