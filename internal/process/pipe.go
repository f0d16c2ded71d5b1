//go:build unix

package process

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// procReadSize is the most a pipe read returns, as Twisted's 8192 (P-07).
const procReadSize = 8192

var procReadBufs = sync.Pool{New: func() any { return new([procReadSize]byte) }}

// procPipe is the parent's end of one of the child's pipes: Twisted's
// ProcessReader (writes == false, childFDs 'r') or ProcessWriter (writes ==
// true, 'w'). It is a reactor.ReadDescriptor and WriteDescriptor. A writer
// is registered for reading too, so that the kernel's EPOLLERR tells us the
// child closed its end even when nothing is queued (P-19).
type procPipe struct {
	p       *Process
	fd      int // -1 once closed
	childFD int
	writes  bool

	queue writeQueue // writer: what is still to send

	// writer: a registered producer (RegisterProducer), paused while the
	// queue is above procHighWater, resumed once it has drained.
	producer       protocol.Producer
	streaming      bool
	producerPaused bool

	disconnecting bool                 // loseConnection was called
	paused        bool                 // reader: PauseProducing
	closeCall     *reactor.DelayedCall // reader: the CallLater(0) of loseConnection
}

// Fileno returns the parent's descriptor, -1 once closed.
func (pp *procPipe) Fileno() int { return pp.fd }

// String names the process and the child fd, for the reactor's and trial's
// reports of leftover descriptors.
func (pp *procPipe) String() string {
	dir := "reader"
	if pp.writes {
		dir = "writer"
	}
	return fmt.Sprintf("<process pipe %s pid=%d argv0=%q childFD=%d fd=%d>", dir, pp.p.origPid, pp.p.argv0(), pp.childFD, pp.fd)
}

// DoRead reads once (at most 8192 bytes) and hands the data to the
// protocol. A writer is "readable" only when the child closed its end.
func (pp *procPipe) DoRead() error {
	if pp.writes {
		return reactor.ErrConnectionLost
	}
	_, err := pp.readOnce()
	return err
}

// readOnce reads at most procReadSize bytes. It reports whether data was
// delivered; its error ends the pipe: ErrConnectionDone at EOF, the Failure
// of a panicking protocol (P-13), ErrConnectionLost for a read error.
func (pp *procPipe) readOnce() (bool, error) {
	buf := procReadBufs.Get().(*[procReadSize]byte)
	n, err := unix.Read(pp.fd, buf[:])
	for err == unix.EINTR {
		n, err = unix.Read(pp.fd, buf[:])
	}
	switch {
	case err == unix.EAGAIN:
		procReadBufs.Put(buf)
		return false, nil
	case err != nil:
		procReadBufs.Put(buf)
		return false, fmt.Errorf("%w: read child fd %d of pid %d: %w", reactor.ErrConnectionLost, pp.childFD, pp.p.origPid, err)
	case n == 0:
		procReadBufs.Put(buf)
		return false, reactor.ErrConnectionDone
	}
	data := make([]byte, n)
	copy(data, buf[:n])
	procReadBufs.Put(buf)
	proto := pp.p.proto
	if proto == nil {
		return true, nil
	}
	if f := procCall(pp.p.r, "childDataReceived", func() { proto.ChildDataReceived(pp.childFD, data) }); f != nil {
		return true, f
	}
	return true, nil
}

// DoWrite flushes queued data. Once the queue is empty it stops watching
// for writability and, after loseConnection, ends the pipe.
func (pp *procPipe) DoWrite() error {
	err := pp.queue.writeTo(pp.fd)
	if err == unix.EAGAIN {
		return nil
	}
	if err != nil {
		// EPIPE: the child closed its end. Go's runtime swallows the
		// SIGPIPE for descriptors other than 1 and 2.
		return fmt.Errorf("%w: write child fd %d of pid %d: %w", reactor.ErrConnectionLost, pp.childFD, pp.p.origPid, err)
	}
	pp.p.r.RemoveWriter(pp)
	switch {
	case pp.producer != nil && (!pp.streaming || pp.producerPaused):
		// Drained: the producer may write again (a close waits for it to
		// be unregistered, as in Twisted).
		pp.producerPaused = false
		pp.producer.ResumeProducing()
	case pp.disconnecting:
		return reactor.ErrConnectionDone
	}
	return nil
}

// procHighWater is the queued amount above which a streaming producer is
// paused: Twisted's bufferSize (64 KiB).
const procHighWater = 64 << 10

// registerProducer ports FileDescriptor.registerProducer for the writer.
func (pp *procPipe) registerProducer(p protocol.Producer, streaming bool) error {
	if pp.producer != nil {
		return protocol.ErrProducerRegistered
	}
	if streaming {
		if _, ok := p.(protocol.PushProducer); !ok {
			return protocol.ErrNotPushProducer
		}
	}
	if pp.fd < 0 {
		p.StopProducing() // nothing left to write to
		return nil
	}
	pp.producer, pp.streaming, pp.producerPaused = p, streaming, false
	if !streaming {
		p.ResumeProducing()
	}
	return nil
}

// unregisterProducer ports unregisterProducer; a close waiting on the
// producer goes ahead.
func (pp *procPipe) unregisterProducer() {
	pp.producer = nil
	if pp.fd >= 0 && pp.disconnecting {
		pp.register(false)
	}
}

// ConnectionLost is called by the reactor when the pipe ended (EOF, hang-up,
// an error, a protocol panic) or when the reactor drops every descriptor at
// shutdown. It closes the descriptor and tells the process, which
// calls ChildConnectionLost and, when it was the last pipe, possibly
// ProcessEnded. A pipe that is already closed is left alone.
func (pp *procPipe) ConnectionLost(reason *reactor.Failure) {
	if pp.fd < 0 {
		return
	}
	pp.closeFD()
	pp.p.childConnectionLost(pp)
}

// closeFD unregisters and closes the descriptor, without callbacks.
func (pp *procPipe) closeFD() {
	if pp.closeCall != nil {
		if pp.closeCall.Active() {
			_ = pp.closeCall.Cancel()
		}
		pp.closeCall = nil
	}
	if pp.fd < 0 {
		return
	}
	r := pp.p.r
	r.RemoveReader(pp)
	if pp.writes {
		r.RemoveWriter(pp)
	}
	_ = unix.Close(pp.fd)
	pp.fd = -1
	pp.queue.reset()
	if p := pp.producer; p != nil {
		pp.producer = nil
		p.StopProducing() // the consumer is gone
	}
}

// write queues a copy of data; it is dropped once the pipe is closed. A
// streaming producer is paused once the queue is over procHighWater.
func (pp *procPipe) write(data []byte) {
	if pp.fd < 0 || len(data) == 0 {
		return
	}
	pp.queue.push(data)
	pp.register(false)
	if pp.producer != nil && pp.streaming && !pp.producerPaused && pp.queue.size > procHighWater {
		pp.producerPaused = true
		pp.producer.(protocol.PushProducer).PauseProducing()
	}
}

// loseConnection ports FileDescriptor.loseConnection for a writer (flush,
// then close on a later pass) and ProcessReader.loseConnection for a reader
// (stop reading now, report the close from a CallLater(0)); P-17.
func (pp *procPipe) loseConnection() {
	if pp.fd < 0 || pp.disconnecting {
		return
	}
	pp.disconnecting = true
	r := pp.p.r
	r.RemoveReader(pp)
	if pp.writes {
		pp.register(false)
		return
	}
	pp.closeCall = r.CallLater(0, func() {
		pp.closeCall = nil
		pp.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionDone))
	})
}

func (pp *procPipe) pause() {
	pp.paused = true
	if pp.fd >= 0 && !pp.disconnecting {
		pp.p.r.RemoveReader(pp)
	}
}

func (pp *procPipe) resume() {
	pp.paused = false
	if pp.fd >= 0 && !pp.disconnecting {
		pp.register(true)
	}
}

// register watches the pipe for reading or writing; a failure (the kernel
// refusing the descriptor) is logged and ends the pipe on the next pass.
func (pp *procPipe) register(reading bool) {
	var err error
	if reading {
		err = pp.p.r.AddReader(pp)
	} else {
		err = pp.p.r.AddWriter(pp)
	}
	if err != nil {
		f := reactor.NewFailure(fmt.Errorf("protocol: watch %v: %w", pp, err))
		pp.p.r.LogError(f, "process pipe")
		pp.p.r.CallLater(0, func() { pp.ConnectionLost(f) })
	}
}

// drain runs when the child has been reaped: if the pipe's other end is
// gone (poll says hang-up or error), the pipe is read to its end and
// closed now, so that its data and ChildConnectionLost come before
// ProcessExited, the order Twisted shows (P-10). A pipe a grandchild still
// holds is left open.
func (pp *procPipe) drain() {
	if pp.writes {
		pp.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionLost))
		return
	}
	for pp.fd >= 0 && !pp.paused && !pp.disconnecting {
		got, err := pp.readOnce()
		if err != nil {
			pp.ConnectionLost(reactor.NewFailure(err))
			return
		}
		if !got {
			return // EAGAIN: someone still holds the write end
		}
	}
}

// procDrainHungUp drains, in descending child fd order, every pipe whose
// other end is closed; see procPipe.drain.
func (p *Process) procDrainHungUp() {
	var live []*procPipe
	var fds []unix.PollFd
	for i := len(p.pipes) - 1; i >= 0; i-- {
		pp := p.pipes[i]
		if pp.fd < 0 || (!pp.writes && (pp.paused || pp.disconnecting)) {
			continue
		}
		live = append(live, pp)
		fds = append(fds, unix.PollFd{Fd: int32(pp.fd), Events: unix.POLLIN})
	}
	if len(fds) == 0 {
		return
	}
	if _, err := unix.Poll(fds, 0); err != nil && !errors.Is(err, unix.EINTR) {
		return
	}
	for i, pp := range live {
		if fds[i].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 && pp.fd == int(fds[i].Fd) {
			pp.drain()
		}
	}
}
