package endpoints

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/braid-go/braid/protocol"
)

// Reactor is what ServerFromString and ClientFromString need at least:
// TCP. A description that needs more (ssl: needs protocol.ReactorSSL,
// unix: protocol.ReactorUNIX, a tls: client reactor.Time and
// reactor.FromThreads for its HostnameEndpoint) fails with a
// *DescriptionError when r lacks it.
type Reactor interface {
	protocol.ReactorTCP
}

var errNilReactor = errors.New("endpoints: nil reactor")

var (
	tcpServer = signature{fn: "_parseTCP", names: []string{"port", "interface", "backlog"},
		defaults: map[string]string{"interface": "", "backlog": "50"}}
	tcp6Server = signature{fn: "_parseServer", names: []string{"port", "backlog", "interface"},
		defaults: map[string]string{"backlog": "50", "interface": "::"}}
	unixServer = signature{fn: "_parseUNIX", names: []string{"address", "mode", "backlog", "lockfile"},
		defaults: map[string]string{"mode": "666", "backlog": "50", "lockfile": "1"}}
	sslServer = signature{fn: "_parseSSL", names: []string{"port", "privateKey", "certKey", "sslmethod", "interface", "backlog", "extraCertChain", "dhParameters"},
		defaults: map[string]string{"privateKey": "server.pem", "interface": "", "backlog": "50"},
		none:     map[string]bool{"certKey": true, "sslmethod": true, "extraCertChain": true, "dhParameters": true}}
)

// ServerFromString ports serverFromString: the server endpoint a
// description names. The types are Twisted's built-in ones:
//
//	tcp:PORT[:interface=IP][:backlog=N]      TCP4ServerEndpoint
//	tcp6:PORT[:interface=IP][:backlog=N]     TCP6ServerEndpoint (interface "::")
//	unix:PATH[:mode=OCTAL][:backlog=N][:lockfile=0|1]  UNIXServerEndpoint (mode 666, lockfile 1)
//	ssl:PORT[:privateKey=PEM][:certKey=PEM][:interface=IP][:backlog=N][:extraCertChain=PEM][:sslmethod=M]
//
// Arguments bind as Python binds Twisted's parser functions: positionally
// in the order above or by name; a backslash escapes the next character.
// ssl reads its key and certificate files now (privateKey defaults to
// "server.pem", certKey to privateKey), as Twisted does. dhParameters is
// refused: crypto/tls has no finite-field Diffie-Hellman. As in Twisted,
// the names tcp, unix and ssl are case-sensitive and tcp6 is not.
func ServerFromString(r Reactor, description string) (ServerEndpoint, error) {
	if r == nil {
		return nil, errNilReactor
	}
	args, kw, order, err := parse(description)
	if err != nil {
		return nil, &DescriptionError{Description: description, Kind: "RuntimeError", Msg: err.Error()}
	}
	kind, rest := args[0], args[1:]
	valueErr := func(format string, a ...any) error {
		return &DescriptionError{Description: description, Kind: KindValue, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case kind == "tcp":
		b, err := tcpServer.bind(description, rest, kw, order)
		if err != nil {
			return nil, err
		}
		port, backlog, err := portAndBacklog(description, b)
		if err != nil {
			return nil, err
		}
		return &TCP4ServerEndpoint{Reactor: r, Port: port, Backlog: backlog, Interface: b["interface"]}, nil
	case strings.EqualFold(kind, "tcp6"):
		b, err := tcp6Server.bind(description, rest, kw, order)
		if err != nil {
			return nil, err
		}
		port, backlog, err := portAndBacklog(description, b)
		if err != nil {
			return nil, err
		}
		return &TCP6ServerEndpoint{Reactor: r, Port: port, Backlog: backlog, Interface: b["interface"]}, nil
	case kind == "unix":
		b, err := unixServer.bind(description, rest, kw, order)
		if err != nil {
			return nil, err
		}
		mode, err := pyInt(description, "mode", b["mode"], 8)
		if err != nil {
			return nil, err
		}
		backlog, err := pyInt(description, "backlog", b["backlog"], 10)
		if err != nil {
			return nil, err
		}
		lock, err := pyInt(description, "lockfile", b["lockfile"], 10)
		if err != nil {
			return nil, err
		}
		ru, err := needUNIX(description, r)
		if err != nil {
			return nil, err
		}
		return &UNIXServerEndpoint{Reactor: ru, Address: b["address"],
			Opts: protocol.ListenUNIXOptions{Mode: fs.FileMode(mode), Backlog: backlog, WantPID: lock != 0}}, nil
	case kind == "ssl":
		b, err := sslServer.bind(description, rest, kw, order)
		if err != nil {
			return nil, err
		}
		port, backlog, err := portAndBacklog(description, b)
		if err != nil {
			return nil, err
		}
		cfg, err := serverTLSConfig(description, b)
		if err != nil {
			return nil, err
		}
		rs, ok := r.(protocol.ReactorSSL)
		if !ok {
			return nil, valueErr("the reactor does not implement protocol.ReactorSSL")
		}
		return &SSL4ServerEndpoint{Reactor: rs, Port: port, Config: cfg, Backlog: backlog, Interface: b["interface"]}, nil
	}
	return nil, valueErr("Unknown endpoint type: '%s'", strings.ToLower(kind))
}

func portAndBacklog(desc string, b bound) (port, backlog int, err error) {
	if port, err = pyInt(desc, "port", b["port"], 10); err != nil {
		return 0, 0, err
	}
	backlog, err = pyInt(desc, "backlog", b["backlog"], 10)
	return port, backlog, err
}

func needUNIX(desc string, r Reactor) (protocol.ReactorUNIX, error) {
	ru, ok := r.(protocol.ReactorUNIX)
	if !ok {
		return nil, &DescriptionError{Description: desc, Kind: KindValue, Msg: "the reactor does not implement protocol.ReactorUNIX"}
	}
	return ru, nil
}

func readFile(desc, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &DescriptionError{Description: desc, Kind: KindOS, Msg: err.Error(), Err: err}
	}
	return b, nil
}

// serverTLSConfig ports _parseSSL's CertificateOptions.
func serverTLSConfig(desc string, b bound) (*tls.Config, error) {
	valueErr := func(err error, format string, a ...any) error {
		return &DescriptionError{Description: desc, Kind: KindValue, Msg: fmt.Sprintf(format, a...), Err: err}
	}
	keyPath := b["privateKey"]
	certPath, ok := b["certKey"]
	if !ok {
		certPath = keyPath
	}
	cert, err := loadKeyPair(desc, certPath, keyPath)
	if err != nil {
		return nil, err
	}
	if chain, ok := b["extraCertChain"]; ok {
		data, err := readFile(desc, chain)
		if err != nil {
			return nil, err
		}
		n := 0
		for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
			if block.Type == "CERTIFICATE" {
				cert.Certificate = append(cert.Certificate, block.Bytes)
				n++
			}
		}
		if n == 0 {
			return nil, valueErr(nil, "Specified chain file '%s' doesn't contain any valid certificates in PEM format.", chain)
		}
	}
	if _, ok := b["dhParameters"]; ok {
		return nil, valueErr(errors.ErrUnsupported, "dhParameters: crypto/tls has no finite-field Diffie-Hellman")
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if m, ok := b["sslmethod"]; ok {
		if err := applyMethod(cfg, m); err != nil {
			return nil, valueErr(err, "sslmethod %q: %v", m, err)
		}
	}
	return cfg, nil
}

// applyMethod maps OpenSSL's method names to crypto/tls version bounds.
func applyMethod(cfg *tls.Config, m string) error {
	switch m {
	case "SSLv23_METHOD", "TLS_METHOD":
	case "TLSv1_METHOD":
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
	case "TLSv1_1_METHOD":
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	case "TLSv1_2_METHOD":
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	default:
		return errors.New("not a method crypto/tls supports")
	}
	return nil
}

var (
	tcpClient  = signature{fn: "TCP4ClientEndpoint", names: []string{"host", "port", "timeout", "bindAddress"}, none: map[string]bool{"timeout": true, "bindAddress": true}}
	sslClient  = signature{fn: "SSL4ClientEndpoint", names: []string{"host", "port", "timeout", "bindAddress", "certKey", "privateKey", "caCertsDir", "hostname"}, none: map[string]bool{"timeout": true, "bindAddress": true, "certKey": true, "privateKey": true, "caCertsDir": true, "hostname": true}}
	unixClient = signature{fn: "UNIXClientEndpoint", names: []string{"path", "timeout", "lockfile", "checkPID"}, none: map[string]bool{"timeout": true, "lockfile": true, "checkPID": true}}
	tlsClient  = signature{fn: "_parseClientTLS", names: []string{"host", "port", "timeout", "bindAddress", "certificate", "privateKey", "trustRoots", "endpoint"},
		defaults: map[string]string{"timeout": "30"},
		none:     map[string]bool{"bindAddress": true, "certificate": true, "privateKey": true, "trustRoots": true, "endpoint": true}}
)

// ClientFromString ports clientFromString: the client endpoint a
// description names (the type name is not case-sensitive):
//
//	tcp:HOST:PORT[:timeout=S][:bindAddress=IP]        TCP4ClientEndpoint
//	ssl:HOST:PORT[:certKey=PEM][:privateKey=PEM][:caCertsDir=DIR][:hostname=NAME]  SSL4ClientEndpoint
//	unix:PATH[:timeout=S][:lockfile=0|1][:checkPID=…] UNIXClientEndpoint
//	tls:HOST:PORT[:timeout=S][:bindAddress=IP][:certificate=PEM][:privateKey=PEM][:trustRoots=DIR][:endpoint=DESC]
//
// host and port may also be given by name (host=, port=; path= for unix);
// positionals beyond them are ignored, as Twisted's parser ignores them.
// ssl verifies nothing unless caCertsDir or hostname is given (Twisted's
// CertificateOptions default): with caCertsDir the chain is checked against
// the PEM files there, with hostname the name too. tls always verifies,
// against the system's roots unless trustRoots names a directory, and
// connects with a HostnameEndpoint unless endpoint gives another
// description.
func ClientFromString(r Reactor, description string) (ClientEndpoint, error) {
	if r == nil {
		return nil, errNilReactor
	}
	args, kw, order, err := parse(description)
	if err != nil {
		return nil, &DescriptionError{Description: description, Kind: "RuntimeError", Msg: err.Error()}
	}
	kind, rest := strings.ToUpper(args[0]), args[1:]
	switch kind {
	case "TCP", "SSL":
		sig := tcpClient
		if kind == "SSL" {
			sig = sslClient
		}
		pos, order := hostPortArgs(rest, kw, order)
		b, err := sig.bind(description, pos, kw, order)
		if err != nil {
			return nil, err
		}
		port, opts, err := clientTCPArgs(description, b)
		if err != nil {
			return nil, err
		}
		if kind == "TCP" {
			return &TCP4ClientEndpoint{Reactor: r, Host: b["host"], Port: port, Opts: opts}, nil
		}
		cfg, err := sslClientConfig(description, b)
		if err != nil {
			return nil, err
		}
		rs, ok := r.(protocol.ReactorSSL)
		if !ok {
			return nil, &DescriptionError{Description: description, Kind: KindValue, Msg: "the reactor does not implement protocol.ReactorSSL"}
		}
		return &SSL4ClientEndpoint{Reactor: rs, Host: b["host"], Port: port, Config: cfg, Opts: opts}, nil
	case "UNIX":
		var pos []string
		if len(rest) == 1 {
			pos = rest
		}
		b, err := unixClient.bind(description, pos, kw, order)
		if err != nil {
			return nil, err
		}
		var opts protocol.ConnectUNIXOptions
		if t, ok := b["timeout"]; ok {
			s, err := pyInt(description, "timeout", t, 10)
			if err != nil {
				return nil, err
			}
			opts.Timeout = timeoutOf(s)
		}
		// checkPID= reaches UNIXClientEndpoint as the raw string, which
		// Python takes as true when it is not empty; lockfile=, converted
		// to a number, overrides it.
		if c, ok := b["checkPID"]; ok {
			opts.CheckPID = c != ""
		}
		if l, ok := b["lockfile"]; ok {
			n, err := pyInt(description, "lockfile", l, 10)
			if err != nil {
				return nil, err
			}
			opts.CheckPID = n != 0
		}
		ru, err := needUNIX(description, r)
		if err != nil {
			return nil, err
		}
		return &UNIXClientEndpoint{Reactor: ru, Path: b["path"], Opts: opts}, nil
	case "TLS":
		return tlsFromString(r, description, rest, kw, order)
	}
	return nil, &DescriptionError{Description: description, Kind: KindValue, Msg: fmt.Sprintf("Unknown endpoint type: '%s'", strings.ToLower(kind))}
}

// hostPortArgs ports _parseClientTCP's positional rules: two positionals
// are host and port; one is the port if host= was given, else the host;
// more are ignored.
func hostPortArgs(rest []string, kw map[string]string, order []string) ([]string, []string) {
	switch len(rest) {
	case 2:
		return rest, order
	case 1:
		if _, ok := kw["host"]; ok {
			if _, had := kw["port"]; !had {
				order = append(order, "port")
			}
			kw["port"] = rest[0]
			return nil, order
		}
		return rest, order
	}
	return nil, order
}

func clientTCPArgs(desc string, b bound) (int, protocol.ConnectTCPOptions, error) {
	var opts protocol.ConnectTCPOptions
	port, err := pyInt(desc, "port", b["port"], 10)
	if err != nil {
		return 0, opts, err
	}
	if t, ok := b["timeout"]; ok {
		s, err := pyInt(desc, "timeout", t, 10)
		if err != nil {
			return 0, opts, err
		}
		opts.Timeout = timeoutOf(s)
	}
	if a, ok := b["bindAddress"]; ok {
		ip := net.ParseIP(a)
		if ip == nil {
			return 0, opts, &DescriptionError{Description: desc, Kind: KindValue, Msg: fmt.Sprintf("bindAddress %q is not an IP address", a)}
		}
		opts.BindAddress = &net.TCPAddr{IP: ip}
	}
	return port, opts, nil
}

// loadPool reads every *.pem file of dir that holds a certificate, as
// Twisted's _loadCAsFromDir does; files it cannot read or parse are
// skipped.
func loadPool(desc, dir string) (*x509.CertPool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, &DescriptionError{Description: desc, Kind: KindOS, Msg: err.Error(), Err: err}
	}
	pool := x509.NewCertPool()
	for _, e := range ents {
		if !strings.EqualFold(filepath.Ext(e.Name()), ".pem") {
			continue
		}
		if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
			pool.AppendCertsFromPEM(data)
		}
	}
	return pool, nil
}

// clientCert ports _privateCertFromPaths: no certificate path, no client
// certificate; no key path, the key is in the certificate's file.
func clientCert(desc string, certPath, keyPath string, haveCert, haveKey bool) ([]tls.Certificate, error) {
	if !haveCert {
		return nil, nil
	}
	if !haveKey {
		keyPath = certPath
	}
	c, err := loadKeyPair(desc, certPath, keyPath)
	if err != nil {
		return nil, err
	}
	return []tls.Certificate{c}, nil
}

// loadKeyPair reads a PEM certificate and its key (the same file when the
// paths are equal), for the server's and the client's side alike.
func loadKeyPair(desc, certPath, keyPath string) (tls.Certificate, error) {
	certPEM, err := readFile(desc, certPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := readFile(desc, keyPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, &DescriptionError{Description: desc, Kind: KindValue,
			Msg: fmt.Sprintf("certificate %s and key %s: %v", certPath, keyPath, err), Err: err}
	}
	return cert, nil
}

func sslClientConfig(desc string, b bound) (*tls.Config, error) {
	certPath, haveCert := b["certKey"]
	keyPath, haveKey := b["privateKey"]
	certs, err := clientCert(desc, certPath, keyPath, haveCert, haveKey)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: certs}
	var pool *x509.CertPool
	if dir, ok := b["caCertsDir"]; ok {
		if pool, err = loadPool(desc, dir); err != nil {
			return nil, err
		}
	}
	if name, ok := b["hostname"]; ok {
		cfg.ServerName, cfg.RootCAs = name, pool
		return cfg, nil
	}
	// No hostname: Twisted's CertificateOptions checks the chain only when
	// given trust roots, and never the name.
	cfg.InsecureSkipVerify = true
	if pool != nil {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

// tlsFromString ports _parseClientTLS.
func tlsFromString(r Reactor, desc string, rest []string, kw map[string]string, order []string) (ClientEndpoint, error) {
	b, err := tlsClient.bind(desc, rest, kw, order)
	if err != nil {
		return nil, err
	}
	port, opts, err := clientTCPArgs(desc, b) // timeout has a default: always set
	if err != nil {
		return nil, err
	}
	certPath, haveCert := b["certificate"]
	keyPath, haveKey := b["privateKey"]
	certs, err := clientCert(desc, certPath, keyPath, haveCert, haveKey)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{ServerName: b["host"], Certificates: certs}
	if dir, ok := b["trustRoots"]; ok {
		if cfg.RootCAs, err = loadPool(desc, dir); err != nil {
			return nil, err
		}
	}
	var inner ClientEndpoint
	if sub, ok := b["endpoint"]; ok {
		if inner, err = ClientFromString(r, sub); err != nil {
			return nil, err
		}
	} else {
		hr, ok := r.(HostnameReactor)
		if !ok {
			return nil, &DescriptionError{Description: desc, Kind: KindValue, Msg: "the reactor cannot run a HostnameEndpoint (needs reactor.Time and reactor.FromThreads)"}
		}
		inner = &HostnameEndpoint{Reactor: hr, Host: b["host"], Port: port, Opts: opts}
	}
	return WrapClientTLS(cfg, inner), nil
}

// timeoutOf turns a description's timeout in seconds into an option: 0 or
// less fails the attempt at once, as Twisted's callLater(0) timeout does
// (braid's zero Timeout would mean the 30 s default instead).
func timeoutOf(seconds int) time.Duration {
	if seconds <= 0 {
		return time.Nanosecond
	}
	return time.Duration(seconds) * time.Second
}
