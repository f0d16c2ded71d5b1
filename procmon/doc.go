// Package procmon ports twisted.runner.procmon: a ProcessMonitor starts
// named child processes, logs their output line by line, and restarts each
// one when it dies — at once after a long run, after a doubling delay after
// a quick death — and stops them with SIGTERM, then SIGKILL.
//
// It differs from Twisted where Go or safety asks: there is no service
// framework, so StartService and StopService are plain methods and
// StopService returns a Deferred that fires once every process has ended;
// a process that cannot be spawned is logged and retried as one that died at
// once (Twisted's child would exit 1); output lines go to a LogLine hook
// (log/slog by default). Beyond Twisted, each process may have a readiness
// check — a TCP port that must accept — and Ready returns a Deferred that
// fires when the process is up, so dependents start only after their
// servers.
package procmon
