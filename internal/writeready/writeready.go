// Package writeready carries one hint between braid's transports and its
// reactor, kept out of the public API: a write descriptor that knows its
// kernel buffer has room can say so, and the reactor then calls DoWrite
// after its next poll without registering the descriptor for writability.
//
// That is when Twisted would call doWrite for a writer added before that
// poll (its poll would report a socket with room writable at once), so the
// order of callbacks is unchanged; what is saved is two epoll_ctl(2) calls
// per write and a ready event per poll for every drained writer.
package writeready

// Presumable is implemented by a write descriptor that can tell whether a
// write to it would find room in the kernel. WritablePresumed is asked
// when the descriptor is added as a writer; true means "call DoWrite after
// the next poll as if it had reported me writable". If DoWrite leaves the
// descriptor registered (the kernel buffer filled up), the reactor
// registers it with the kernel and waits for real writability.
type Presumable interface {
	WritablePresumed() bool
}
