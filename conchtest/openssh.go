package conchtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// SSHDMode says how the harness starts sshd when it runs as root, where
// sshd insists on its privilege-separation directory /run/sshd.
type SSHDMode int

const (
	// SSHDAuto runs sshd directly when it will not run as root or /run/sshd
	// exists, and otherwise in a private mount namespace (SSHDNamespace).
	SSHDAuto SSHDMode = iota
	// SSHDDirect runs sshd directly. As root it needs /run/sshd to exist
	// (scripts/test.sh creates it).
	SSHDDirect
	// SSHDNamespace runs sshd through unshare(1) in a private mount
	// namespace with a fresh tmpfs on /run holding its own /run/sshd, so no
	// system directory is created or touched. Needs root.
	SSHDNamespace
)

// SSHServerOptions configures StartSSHServer.
type SSHServerOptions struct {
	// Dir receives the keys, the config and the known-hosts file. Empty: a
	// new temporary directory, removed by Stop.
	Dir string
	// Mode picks how a root sshd is started; see SSHDMode.
	Mode SSHDMode
	// Credential runs sshd as another user (the harness then logs in as
	// that user, and makes its files readable to it). nil: the current user.
	Credential *protocol.Credential
	// NoIPv6 listens on 127.0.0.1 only; by default ::1 too when it binds.
	NoIPv6 bool
}

// SSHServer is a real OpenSSH sshd on loopback, started by [StartSSHServer]
// for the tests that Conch runs against its own server (C-11, C-12). It
// accepts public-key logins for one user with a throw-away ed25519 key.
//
// Documented deviations from Conch's fixture: OpenSSH 9.2 refuses the DSA
// user key and ssh-rsa host-key signatures Conch's tests use, so the keys
// are ed25519 (and Execute passes -oHostKeyAlgorithms=ssh-ed25519); the
// login is the user sshd runs as, not "testuser"; files have absolute paths.
type SSHServer struct {
	// Dir holds the files below.
	Dir string
	// Port is sshd's port on 127.0.0.1 (and ::1 when IPv6 is true).
	Port int
	// IPv6 reports whether sshd also listens on ::1.
	IPv6 bool
	// User is the login name ssh must use.
	User string
	// UserKey is the client's private key (Conch's dsa_test).
	UserKey string
	// KnownHosts lists the host key for 127.0.0.1 and ::1 (Conch's kh_test).
	KnownHosts string
	// Config is sshd's configuration file.
	Config string

	r       Reactor
	opts    SSHServerOptions
	sshd    string
	ownDir  bool
	proc    *sshdProcess
	stopped *reactor.Deferred
}

// startAttempts bounds the retries when another process takes the chosen
// port before sshd binds it (W-12).
const startAttempts = 5

// Reactor is what the OpenSSH harness needs of its reactor: a
// [ForwardingReactor] that also spawns processes. braid.Reactor is one.
type Reactor interface {
	ForwardingReactor
	protocol.ReactorProcess
}

// StartSSHServer prepares keys and a config in a directory and spawns sshd
// on a free loopback port, as a ProcessProtocol on r. The returned Deferred
// fires with the *SSHServer once sshd reports it is listening, or fails with
// the reason and sshd's own log when it cannot start. Call Stop when done.
// Call it on r's goroutine.
func StartSSHServer(r Reactor, opts SSHServerOptions) *reactor.Deferred {
	s, err := prepareSSHServer(r, opts)
	if err != nil {
		return reactor.Fail(err)
	}
	ready := reactor.NewDeferred(nil)
	s.spawn(ready, startAttempts)
	return ready
}

func prepareSSHServer(r Reactor, opts SSHServerOptions) (*SSHServer, error) {
	sshd, err := FindProgram("sshd", "openssh-server")
	if err != nil {
		return nil, err
	}
	keygen, err := FindProgram("ssh-keygen", "openssh-client")
	if err != nil {
		return nil, err
	}
	s := &SSHServer{r: r, opts: opts, sshd: sshd, Dir: opts.Dir}
	if s.Dir == "" {
		if s.Dir, err = os.MkdirTemp("", "braid-sshd-"); err != nil {
			return nil, fmt.Errorf("conchtest: sshd directory: %w", err)
		}
		s.ownDir = true
	}
	if s.User, err = loginName(opts.Credential); err != nil {
		return nil, err
	}
	s.UserKey = filepath.Join(s.Dir, "user_ed25519")
	s.KnownHosts = filepath.Join(s.Dir, "known_hosts")
	s.Config = filepath.Join(s.Dir, "sshd_config")
	hostKey := filepath.Join(s.Dir, "host_ed25519")
	for _, k := range []string{hostKey, s.UserKey} {
		out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "braid", "-f", k).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("conchtest: ssh-keygen %s: %v: %s", k, err, out)
		}
	}
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		return nil, err
	}
	userPub, err := os.ReadFile(s.UserKey + ".pub")
	if err != nil {
		return nil, err
	}
	s.IPv6 = !opts.NoIPv6 && ipv6Loopback()
	kh := "127.0.0.1 " + string(hostPub)
	if s.IPv6 {
		kh += "::1 " + string(hostPub)
	}
	files := map[string][]byte{
		s.KnownHosts:                            []byte(kh),
		filepath.Join(s.Dir, "authorized_keys"): userPub,
	}
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return nil, fmt.Errorf("conchtest: %w", err)
		}
	}
	if c := opts.Credential; c != nil {
		// sshd runs as another user: let it read its directory and host key.
		if err := os.Chmod(s.Dir, 0o755); err != nil {
			return nil, err
		}
		for _, f := range []string{hostKey, filepath.Join(s.Dir, "authorized_keys"), s.Dir} {
			if err := os.Chown(f, int(c.Uid), int(c.Gid)); err != nil {
				return nil, fmt.Errorf("conchtest: hand %s to uid %d: %w", f, c.Uid, err)
			}
		}
	}
	return s, nil
}

// writeConfig writes sshd_config for the chosen port.
func (s *SSHServer) writeConfig() error {
	asRoot := s.runsAsRoot()
	var b strings.Builder
	fmt.Fprintf(&b, "Port %d\nListenAddress 127.0.0.1\n", s.Port)
	if s.IPv6 {
		b.WriteString("ListenAddress ::1\n")
	}
	fmt.Fprintf(&b, "HostKey %s\n", filepath.Join(s.Dir, "host_ed25519"))
	fmt.Fprintf(&b, "AuthorizedKeysFile %s\n", filepath.Join(s.Dir, "authorized_keys"))
	fmt.Fprintf(&b, "AllowUsers %s\n", s.User)
	// A root sshd skips PAM (no session modules writing under /run); a
	// non-root sshd needs PAM, since it cannot read the shadow file and
	// would otherwise take the account for locked.
	fmt.Fprintf(&b, "UsePAM %s\n", map[bool]string{true: "no", false: "yes"}[asRoot])
	b.WriteString(`PidFile none
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
UseDNS no
PrintMotd no
LogLevel INFO
`)
	if err := os.WriteFile(s.Config, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("conchtest: write %s: %w", s.Config, err)
	}
	return nil
}

func (s *SSHServer) runsAsRoot() bool {
	if s.opts.Credential != nil {
		return s.opts.Credential.Uid == 0
	}
	return os.Geteuid() == 0
}

// command returns the executable and argv that start sshd in the chosen mode.
func (s *SSHServer) command() (string, []string, error) {
	sshdArgs := []string{"-D", "-e", "-f", s.Config}
	mode := s.opts.Mode
	if mode == SSHDAuto {
		mode = SSHDDirect
		if s.runsAsRoot() {
			if _, err := os.Stat("/run/sshd"); err != nil {
				mode = SSHDNamespace
			}
		}
	}
	if mode == SSHDDirect {
		return s.sshd, append([]string{s.sshd}, sshdArgs...), nil
	}
	unshare, err := FindProgram("unshare", "util-linux")
	if err != nil {
		return "", nil, err
	}
	// unshare execs sh, which execs sshd: one pid throughout, so signals
	// reach sshd itself.
	script := `mount -t tmpfs -o mode=755 braid-sshd /run && mkdir -m 755 /run/sshd && exec "$0" "$@"`
	argv := append([]string{"unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, s.sshd}, sshdArgs...)
	return unshare, argv, nil
}

// spawn starts sshd on a fresh free port; on a bind race it tries again.
func (s *SSHServer) spawn(ready *reactor.Deferred, attemptsLeft int) {
	port, err := FreePort()
	if err == nil {
		s.Port = port
		err = s.writeConfig()
	}
	var exe string
	var argv []string
	if err == nil {
		exe, argv, err = s.command()
	}
	if err != nil {
		_ = ready.Errback(err)
		return
	}
	listens := 1
	if s.IPv6 {
		listens = 2
	}
	s.proc = &sshdProcess{server: s, ready: ready, wantListens: listens, attemptsLeft: attemptsLeft - 1,
		log: NewTailBuffer(64 << 10), ended: reactor.NewDeferred(nil)}
	opts := protocol.SpawnOptions{Credential: s.opts.Credential, NewProcessGroup: true}
	if _, err := s.r.SpawnProcess(s.proc, exe, argv, opts); err != nil {
		_ = ready.Errback(fmt.Errorf("conchtest: start sshd: %w", err))
	}
}

// Log returns the tail of sshd's log (its stderr).
func (s *SSHServer) Log() string { return s.proc.log.String() }

// Stop ends sshd (SIGTERM, then SIGKILL after 5 s) and, when [StartSSHServer]
// made the directory, removes it. The Deferred fires once sshd has ended.
// Calling Stop again returns the same Deferred.
func (s *SSHServer) Stop() *reactor.Deferred {
	if s.stopped != nil {
		return s.stopped
	}
	p := s.proc
	s.stopped = reactor.NewDeferred(nil)
	done := func(any) (any, error) {
		if s.ownDir {
			_ = os.RemoveAll(s.Dir)
		}
		_ = s.stopped.Callback(nil)
		return nil, nil
	}
	if p.gone {
		_, _ = done(nil)
		return s.stopped
	}
	kill := s.r.CallLater(5*time.Second, func() { _ = p.signalGroup(syscall.SIGKILL) })
	p.ended.AddCallback(func(v any) (any, error) {
		if kill.Active() {
			_ = kill.Cancel()
		}
		return v, nil
	}).AddCallback(done)
	if err := p.signalGroup(syscall.SIGTERM); err != nil && !errors.Is(err, protocol.ErrProcessExitedAlready) {
		s.r.LogError(reactor.NewFailure(err), "SSHServer.Stop")
	}
	return s.stopped
}

// sshdProcess watches sshd's log for "Server listening" lines, and for a
// port taken by someone else in the meantime.
type sshdProcess struct {
	protocol.BaseProcessProtocol
	server       *SSHServer
	ready        *reactor.Deferred
	ended        *reactor.Deferred
	log          *TailBuffer
	line         []byte
	listens      int
	wantListens  int
	attemptsLeft int
	portTaken    bool
	gone         bool
}

func (p *sshdProcess) ErrReceived(data []byte) {
	p.log.Write(data)
	p.line = append(p.line, data...)
	for {
		i := bytes.IndexByte(p.line, '\n')
		if i < 0 {
			return
		}
		p.logLine(string(p.line[:i]))
		p.line = p.line[i+1:]
	}
}

func (p *sshdProcess) logLine(line string) {
	switch {
	case strings.HasPrefix(line, "Server listening on "):
		p.listens++
		if p.listens == p.wantListens && p.ready != nil {
			d := p.ready
			p.ready = nil
			_ = d.Callback(p.server)
		}
	case strings.Contains(line, "Address already in use"):
		p.portTaken = true
	}
}

func (p *sshdProcess) ProcessEnded(reason *reactor.Failure) {
	p.gone = true
	if d := p.ready; d != nil {
		p.ready = nil
		if p.portTaken && p.attemptsLeft > 0 {
			p.server.spawn(d, p.attemptsLeft) // W-12: the port went to someone else
		} else {
			_ = d.Errback(fmt.Errorf("conchtest: sshd ended before listening on port %d: %w\nsshd log:\n%s",
				p.server.Port, reason, p.log.String()))
		}
	}
	_ = p.ended.Callback(nil)
}

// Execute ports OpenSSHClientMixin.execute (C-12): it gives process a
// Deferred when it has none (a [ForwardingProcess] has one already), spawns
// OpenSSH's ssh against this server with Conch's options — in an EMPTY
// environment, as Conch does — and returns that Deferred.
// sshArgs and remoteCommand are split on whitespace, so "-R 1:h:2" becomes
// two arguments and an empty remoteCommand adds none. Deviations (see
// [SSHServer]): ed25519 keys, the server's real user, absolute paths, and
// -oBatchMode=yes so that ssh never waits for a prompt.
func (s *SSHServer) Execute(remoteCommand string, process DeferredProcess, sshArgs string) *reactor.Deferred {
	ssh, err := FindProgram("ssh", "openssh-client")
	if err != nil {
		return reactor.Fail(err)
	}
	slot := process.deferredSlot()
	if *slot == nil {
		*slot = reactor.NewDeferred(nil)
	}
	d := *slot
	var opts protocol.SpawnOptions
	if a, ok := process.(spawnAdjuster); ok {
		a.adjustSpawn(&opts)
	}
	if _, err := s.r.SpawnProcess(process, ssh, s.SSHArgv(remoteCommand, sshArgs), opts); err != nil {
		return reactor.Fail(err)
	}
	return d
}

// SSHArgv returns the argv Execute runs (argv[0] is "ssh").
func (s *SSHServer) SSHArgv(remoteCommand, sshArgs string) []string {
	argv := []string{"ssh", "-2", "-l", s.User, "-p", strconv.Itoa(s.Port), "-F", "/dev/null",
		"-oUserKnownHostsFile=" + s.KnownHosts, "-oPasswordAuthentication=no",
		"-oHostKeyAlgorithms=ssh-ed25519", "-a", "-i", s.UserKey, "-oBatchMode=yes"}
	argv = append(argv, strings.Fields(sshArgs)...)
	argv = append(argv, "127.0.0.1")
	return append(argv, strings.Fields(remoteCommand)...)
}

// DeferredProcess is a ProcessProtocol that fires a Deferred field when it
// ends: [ForwardingProcess] and [OpenSSHProcess], and the types embedding them
// (the unexported method is promoted to them).
type DeferredProcess interface {
	protocol.ProcessProtocol
	deferredSlot() **reactor.Deferred
}

func (p *ForwardingProcess) deferredSlot() **reactor.Deferred { return &p.Deferred }
func (p *OpenSSHProcess) deferredSlot() **reactor.Deferred    { return &p.Deferred }

// signalGroup signals sshd's process group (it is spawned with one).
func (p *sshdProcess) signalGroup(sig syscall.Signal) error {
	g, ok := p.Transport.(protocol.GroupSignaler)
	if !ok {
		return p.Transport.SignalProcess(sig)
	}
	return g.SignalProcessGroup(sig)
}

// spawnAdjuster is a process that needs spawn options of its own (a
// process group for [ForwardingProcess]'s group stop).
type spawnAdjuster interface {
	adjustSpawn(opts *protocol.SpawnOptions)
}

func loginName(c *protocol.Credential) (string, error) {
	uid := os.Geteuid()
	if c != nil {
		uid = int(c.Uid)
	}
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return "", fmt.Errorf("conchtest: login name of uid %d: %w", uid, err)
	}
	return u.Username, nil
}

// FindProgram looks for a program in PATH and the sbin directories and
// returns its absolute path; when it is missing, the *MissingProgramError
// names the Debian package that provides it.
func FindProgram(name, pkg string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return filepath.Abs(p)
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &MissingProgramError{Program: name, Package: pkg}
}

// MissingProgramError says a third-party program is not installed, and how
// to install it.
type MissingProgramError struct {
	Program string
	Package string
}

func (e *MissingProgramError) Error() string {
	return fmt.Sprintf("conchtest: %s not found; install it with: apt-get install -y %s", e.Program, e.Package)
}

// Is matches exec.ErrNotFound.
func (e *MissingProgramError) Is(target error) bool { return target == exec.ErrNotFound }
