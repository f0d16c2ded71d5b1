//go:build !unix

package protocol

// Credential is the user and groups a spawned child runs as
// (SpawnOptions.Credential; Twisted's uid and gid arguments of
// spawnProcess). It has syscall.Credential's fields, so that code setting
// them compiles everywhere; processes are not supported on this platform.
type Credential struct {
	Uid         uint32   // user ID
	Gid         uint32   // group ID
	Groups      []uint32 // supplementary group IDs
	NoSetGroups bool     // leave the supplementary groups as they are
}
