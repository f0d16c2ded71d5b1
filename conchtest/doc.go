// Package conchtest ports the helpers of Twisted Conch's forwarding tests
// (twisted.conch.test.test_conch): [ForwardingProcess] drives a third-party
// process that starts a server — it reconnects until the server's port
// accepts, sends data, collects the reply, stops the process and fires a
// Deferred once with what came back; [OpenSSHProcess] collects an ssh
// command's output. Around them: an echo server, a free-port helper, and a
// harness that runs a real OpenSSH sshd on loopback with throw-away keys, so
// Conch's OpenSSH tests run against real ssh and sshd.
//
// The zero configuration is faithful to Conch, weaknesses included (a fixed
// 0.1 s retry forever, a nil result when the process dies first); Hardening
// opts into backoff retries, a deadline, fail-fast errors carrying the exit
// status and stderr, graceful stop escalation and process-group stops.
package conchtest
