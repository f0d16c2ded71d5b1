// Package protocol ports what protocols and transports agree on in
// twisted.internet: the interfaces (IProtocol, ITransport, ITCPTransport,
// IProcessProtocol, IProcessTransport, IListeningPort, IConnector,
// IUNIXTransport, IUDPTransport, IMulticastTransport, ITLSTransport and
// ISSLTransport ([TLSTransport], [SSLTransport], [HandshakeListener]), and
// the reactor's IReactorTCP, IReactorUNIX, IReactorUDP, IReactorMulticast,
// IReactorSSL and IReactorProcess), the embeddable bases users build on
// (Protocol, [ProcessProtocol], [BaseDatagramProtocol], Factory,
// [ClientFactory]), the keyword arguments of listenTCP, connectTCP,
// listenUNIX, connectUNIX, listenUDP, listenMulticast and spawnProcess as
// option structs, the transports' errors, and what Twisted builds on top
// of them: [ClientCreator], Conch's [ForwardingPort], the port forwarder of
// twisted.protocols.portforward, and the receivers of
// twisted.protocols.basic ([LineReceiver], [LineOnlyReceiver],
// [NetstringReceiver], [Int8StringReceiver], [Int16StringReceiver],
// [Int32StringReceiver]) with its [FileSender].
//
// The real transports are braid.Reactor's: its ListenTCP, ConnectTCP,
// ListenUNIX, ConnectUNIX, ListenUDP, ListenMulticast, ListenSSL,
// ConnectSSL and SpawnProcess implement [ReactorTCP], [ReactorUNIX],
// [ReactorUDP], [ReactorMulticast], [ReactorSSL] and [ReactorProcess].
// Everything here
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
