// Package protocol ports what protocols and transports agree on in
// twisted.internet: the interfaces (IProtocol, ITransport, ITCPTransport,
// IProcessProtocol, IProcessTransport, IListeningPort, IConnector,
// ITLSTransport and ISSLTransport ([TLSTransport], [SSLTransport],
// [HandshakeListener]), and the reactor's IReactorTCP, IReactorSSL and
// IReactorProcess), the embeddable bases users
// build on (Protocol, [ProcessProtocol], Factory, [ClientFactory]), the
// keyword arguments of listenTCP, connectTCP and spawnProcess as option
// structs, the transports' errors, and what Twisted builds on top of them:
// [ClientCreator], Conch's [ForwardingPort] and the port forwarder of
// twisted.protocols.portforward.
//
// The real transports are braid.Reactor's: its ListenTCP, ConnectTCP,
// ListenSSL, ConnectSSL and SpawnProcess implement [ReactorTCP],
// [ReactorSSL] and [ReactorProcess]. Everything here
// is written against the interfaces, so a fake reactor or transport can
// drive it in tests.
//
// Go has no subclassing; embedding a base stands in for it. A base reaches
// the methods of the type embedding it once bound to it ([Binder], [Bind]):
// transports bind what they drive, and a protocol driven by hand is bound
// first:
//
//	p := &myProtocol{}
//	protocol.Bind(p)
//	p.MakeConnection(transport)
//
// Every callback runs on the reactor goroutine. Where braid differs from
// Twisted, the doc comment of the name concerned says so.
package protocol
