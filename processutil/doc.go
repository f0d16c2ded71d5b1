// Package processutil ports the process helpers of twisted.internet.utils:
// [GetProcessOutput], [GetProcessValue] and [GetProcessOutputAndValue] run a
// child on any [protocol.ReactorProcess] and return a Deferred of its
// output, its exit code, or both.
//
// They keep Twisted's defaults, which differ from os/exec's: the child gets
// an EMPTY environment unless [Options] says otherwise, its stdin stays open
// unless Options.Stdin is set, and without Options.ErrorToo any output on
// stderr fails GetProcessOutput. Where braid differs — a child that cannot
// be started fails the Deferred with a *protocol.SpawnError instead of
// exiting 1, and cancelling a Deferred kills the child — the doc comment of
// the name concerned says so. warnings-related helpers of the module
// (runWithWarningsSuppressed, suppressWarnings) have no Go counterpart.
package processutil
