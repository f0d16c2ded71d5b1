"""Run the UNIX-socket lock-file scenario of internal/tcp/unix_twisted_test.go
on Twisted and print its trace as one JSON list of strings, in the form the
Go test writes for braid.

stdin is a JSON object: "dir", an empty directory, and "dead", the pid of
a process that has exited. The steps: a port with wantPID holds
sock.lock; a second port on the address is refused, with or without
wantPID; a client with checkPID connects; the port's files go when it
stops; a lock left by the dead process and its socket file are taken
over; a client with checkPID is refused when no live process holds the
lock, or there is none.
"""

import json
import os
import socket
import stat
import sys

from twisted.internet import defer, error, protocol, reactor

args = json.load(sys.stdin)
path = os.path.join(args["dir"], "sock")
lock = path + ".lock"
trace = []


def state(what):
    if os.path.islink(lock):
        lk = "pid %s" % ("ours" if os.readlink(lock) == str(os.getpid()) else "other")
    else:
        lk = "none"
    if os.path.lexists(path):
        f = "socket" if stat.S_ISSOCK(os.lstat(path).st_mode) else "file"
    else:
        f = "none"
    trace.append("%s: file %s, lock %s" % (what, f, lk))


def listen(what, wantPID):
    try:
        p = reactor.listenUNIX(path, protocol.Factory.forProtocol(protocol.Protocol), wantPID=wantPID)
        trace.append(what + ": listening")
        return p
    except error.CannotListenError:
        trace.append(what + ": CannotListenError")
        return None


def connect(what, checkPID):
    cc = protocol.ClientCreator(reactor, protocol.Protocol)
    d = cc.connectUNIX(path, checkPID=checkPID)

    def ok(p):
        trace.append(what + ": connected")
        p.transport.loseConnection()

    def failed(f):
        trace.append(what + ": " + type(f.value).__name__)

    return d.addCallbacks(ok, failed)


def leave_stale():
    os.symlink(str(args["dead"]), lock)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()


@defer.inlineCallbacks
def main():
    p = listen("listen with wantPID", 1)
    state("while listening")
    listen("second listen with wantPID", 1)
    listen("second listen without wantPID", 0)
    yield connect("connect with checkPID", 1)
    yield p.stopListening()
    state("after stopListening")

    leave_stale()
    state("left by a dead process")
    yield connect("connect with checkPID to the dead process's socket", 1)
    state("after that connect")
    os.remove(path)
    if not os.path.islink(lock):
        leave_stale()
    p = listen("listen with wantPID over a stale lock and socket", 1)
    state("while listening")
    yield p.stopListening()

    if os.path.islink(lock):
        os.remove(lock)
    leave_stale()
    p = listen("listen without wantPID over a stale socket", 0)
    state("after that listen")
    os.remove(path)
    yield connect("connect with checkPID and no lock", 1)
    reactor.stop()


reactor.callWhenRunning(main)
reactor.run()
print(json.dumps(trace))
