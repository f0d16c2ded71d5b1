//go:build braid_nopidfd

package process

// forceNoPidfd is set by the braid_nopidfd build tag: children get the
// waitid watcher even where the kernel has pidfds, so that the path older
// kernels take is tested on new ones.
const forceNoPidfd = true
