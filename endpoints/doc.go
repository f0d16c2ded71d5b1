// Package endpoints ports twisted.internet.endpoints: values that say where
// to listen or connect (TCP over IPv4 or IPv6, UNIX sockets, TLS), built in
// code or parsed from Twisted's description strings ("tcp:8080",
// "ssl:443:privateKey=key.pem", "tcp:host=example.com:port=80"), whose
// Listen and Connect return Deferreds.
//
// Entry points: [ServerFromString] and [ClientFromString]; the endpoint types
// [TCP4ServerEndpoint], [TCP6ServerEndpoint], [UNIXServerEndpoint],
// [SSL4ServerEndpoint], [TCP4ClientEndpoint], [TCP6ClientEndpoint],
// [UNIXClientEndpoint], [SSL4ClientEndpoint], [HostnameEndpoint] and
// [WrapClientTLS]; and [ConnectProtocol].
//
// Unlike Twisted, which finds endpoint types through plugins, the types are
// fixed: tcp, tcp6, unix and ssl servers; tcp, unix, ssl and tls clients.
// Description errors are *DescriptionError values naming the Python
// exception Twisted raises. A reactor's optional capabilities (SSL, UNIX
// sockets, threads for name resolution) are found by type assertion, so a
// fake reactor with only TCP serves TCP endpoints.
package endpoints
