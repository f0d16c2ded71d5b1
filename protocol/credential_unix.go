//go:build unix

package protocol

import "syscall"

// Credential is the user and groups a spawned child runs as
// (SpawnOptions.Credential; Twisted's uid and gid arguments of
// spawnProcess). On Unix it is syscall.Credential itself.
type Credential = syscall.Credential
