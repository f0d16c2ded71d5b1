"""One TLS connection on loopback: the client writes -size bytes, waits until
all of them have come back from a TLS echo server, and repeats n times.

Server and client run on one reactor (listenSSL and connectSSL, Twisted's
TLSMemoryBIOProtocol over pyOpenSSL), as the braid workload in
bench/cmd/sidebyside/tls_workloads.go does. The server's key is a fresh
ECDSA P-256 one; the client does not verify it (the handshake happens once
per sample and is not what is measured).
"""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import crypto
from twisted.internet import protocol, reactor, ssl

import common
from tcp_echo import Client, Echo


def extra(p):
    p.add_argument("-size", type=int, default=16384)


def server_options():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return ssl.CertificateOptions(
        privateKey=crypto.PKey.from_cryptography_key(key),
        certificate=crypto.X509.from_cryptography(cert),
    )


def main():
    args = common.parse_args(__doc__, extra)
    chunk = b"x" * args.size
    port = reactor.listenSSL(0, protocol.Factory.forProtocol(Echo), server_options(), interface="127.0.0.1")
    portno = port.getHost().port
    client_options = ssl.CertificateOptions()

    def start(n, done):
        f = protocol.ClientFactory()
        f.protocol = lambda: Client(chunk, n, done)
        reactor.connectSSL("127.0.0.1", portno, f, client_options)

    common.emit(common.sample_in_reactor(args.n, args.samples, start))


if __name__ == "__main__":
    main()
