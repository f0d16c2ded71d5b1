//go:build !braid_nopidfd

package process

// forceNoPidfd is false without the braid_nopidfd build tag: the pidfd
// watcher is used wherever the kernel has it.
const forceNoPidfd = false
