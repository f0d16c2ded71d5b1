# Parses each endpoint description with Twisted's serverFromString or
# clientFromString on a MemoryReactor and prints what it made (or the class
# of the exception it raised), one string per description, as a JSON list.
import json
import sys

from twisted.internet import endpoints
from twisted.internet.testing import MemoryReactor


def describe(ep):
    n = type(ep).__name__
    if n in ("TCP4ServerEndpoint", "TCP6ServerEndpoint"):
        return "%s port=%d backlog=%d interface=%r" % (n, ep._port, ep._backlog, ep._interface)
    if n == "UNIXServerEndpoint":
        return "%s address=%r backlog=%d mode=%o wantPID=%r" % (n, ep._address, ep._backlog, ep._mode, bool(ep._wantPID))
    if n == "TCP4ClientEndpoint":
        bind = None if ep._bindAddress is None else ep._bindAddress[0]
        return "%s host=%r port=%d timeout=%r bindAddress=%r" % (n, ep._host, ep._port, ep._timeout, bind)
    if n == "UNIXClientEndpoint":
        return "%s path=%r timeout=%r checkPID=%r" % (n, ep._path, ep._timeout, bool(ep._checkPID))
    return n


out = []
for side, desc in json.load(sys.stdin):
    try:
        f = endpoints.serverFromString if side == "server" else endpoints.clientFromString
        out.append(describe(f(MemoryReactor(), desc)))
    except Exception as e:
        out.append("error:" + type(e).__name__)
print(json.dumps(out))
