package reactor_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/braid-go/braid/reactor"
)

// A DeferredLock lets one holder in at a time; the others wait in line, and
// Run releases the lock once the work's Deferred has fired.
func ExampleDeferredLock() {
	var lock reactor.DeferredLock
	work := reactor.NewDeferred(nil)
	done := lock.Run(func() (any, error) {
		fmt.Println("first holder starts")
		return work, nil // the lock stays held until work fires
	})
	lock.Acquire().AddCallback(func(any) (any, error) {
		fmt.Println("second holder has the lock")
		return nil, lock.Release()
	})
	fmt.Println("locked:", lock.Locked())
	_ = work.Callback("result")
	fmt.Println("Run's Deferred:", done.Result(), "- locked:", lock.Locked())
	// Output:
	// first holder starts
	// locked: true
	// second holder has the lock
	// Run's Deferred: result - locked: false
}

// A DeferredSemaphore lets Limit holders in at once; cancelling a waiting
// Acquire takes it out of the line.
func ExampleDeferredSemaphore() {
	sem, err := reactor.NewDeferredSemaphore(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 3 {
		sem.Acquire().AddCallback(func(any) (any, error) {
			fmt.Println("holder", i, "in")
			return nil, nil
		})
	}
	late := sem.Acquire()
	late.Cancel() // leaves the line; fails with ErrCancelled
	fmt.Println("free tokens:", sem.Tokens(), "- late:", late.Result())
	_ = sem.Release() // holder 2 gets the token
	_ = sem.Release()
	_ = sem.Release()
	fmt.Println("free tokens:", sem.Tokens())
	_, err = reactor.NewDeferredSemaphore(0)
	fmt.Println(err)
	// Output:
	// holder 0 in
	// holder 1 in
	// free tokens: 0 - late: deferred was cancelled
	// holder 2 in
	// free tokens: 2
	// a DeferredSemaphore needs at least one token
}

// A DeferredQueue hands values to Gets in order; with limits, Put and Get
// refuse what would go beyond them.
func ExampleDeferredQueue() {
	q := reactor.NewDeferredQueue(reactor.QueueSize(1), reactor.QueueBacklog(1))
	d, _ := q.Get() // nothing queued yet: it waits
	d.AddCallback(func(v any) (any, error) {
		fmt.Println("got", v)
		return nil, nil
	})
	if _, err := q.Get(); errors.Is(err, reactor.ErrQueueUnderflow) {
		fmt.Println("second Get:", err)
	}
	_ = q.Put("a") // goes straight to the waiting Get
	_ = q.Put("b") // queued
	if err := q.Put("c"); errors.Is(err, reactor.ErrQueueOverflow) {
		fmt.Println("Put c:", err)
	}
	d, _ = q.Get()
	fmt.Println("queued value:", d.Result())
	// Output:
	// second Get: DeferredQueue has too many waiting Gets
	// got a
	// Put c: DeferredQueue is full
	// queued value: b
}

// DeferUntilLocked tries the lock now and then every Interval until it is
// free or the timeout passes; a Clock stands in for the reactor here.
func ExampleDeferredFilesystemLock() {
	dir, err := os.MkdirTemp("", "lock")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "server.lock")

	other := reactor.NewFilesystemLock(name) // another holder, as another process would be
	ok, err := other.Lock()
	fmt.Println("other holds it:", ok, err)

	clock := reactor.NewClock()
	lock := reactor.NewDeferredFilesystemLock(name, clock)
	d := lock.DeferUntilLocked(10 * time.Second)
	d.AddCallback(func(any) (any, error) {
		fmt.Println("locked at", clock.Seconds(), "s")
		return nil, lock.Unlock()
	})
	clock.CallLater(2500*time.Millisecond, func() { _ = other.Unlock() })
	clock.Pump(time.Second, time.Second, time.Second, time.Second)
	fmt.Println("held now:", lock.Locked())
	// Output:
	// other holds it: true <nil>
	// locked at 3 s
	// held now: false
}

// A FilesystemLock left behind by a process that has exited is stale: Lock
// removes it and takes the lock, and Clean reports that it was not
// released cleanly.
func ExampleFilesystemLock() {
	dir, err := os.MkdirTemp("", "lock")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "server.lock")

	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = p.Wait()
	_ = os.Symlink(strconv.Itoa(p.Pid), name) // the lock an exited process left

	l := reactor.NewFilesystemLock(name)
	ok, err := l.Lock()
	fmt.Println("locked:", ok, err, "- clean:", l.Clean())
	fmt.Println("Unlock:", l.Unlock(), "- locked:", l.Locked())
	// Output:
	// locked: true <nil> - clean: false
	// Unlock: <nil> - locked: false
}

// IsLocked asks whether a live process holds a lock.
func ExampleIsLocked() {
	name := filepath.Join(os.TempDir(), fmt.Sprintf("braid-example-%d.lock", os.Getpid()))
	l := reactor.NewFilesystemLock(name)
	_, _ = l.Lock()
	held, _ := reactor.IsLocked(name)
	fmt.Println("held:", held)
	_ = l.Unlock()
	held, _ = reactor.IsLocked(name)
	fmt.Println("held:", held)
	// Output:
	// held: true
	// held: false
}

// LogError logs every Failure that reaches it through the reactor's error
// observer and passes it on down the error path.
func ExampleLogError() {
	r, err := reactor.New(reactor.WithErrorObserver(func(ev reactor.ErrorEvent) {
		fmt.Printf("logged (%s): %v\n", ev.Why, ev.Failure)
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	reactor.Fail(errors.New("disk full")).
		AddErrback(reactor.LogError(r)).
		AddErrback(func(f *reactor.Failure) (any, error) {
			fmt.Println("handled after logging:", f)
			return nil, nil
		})
	// Output:
	// logged (Unhandled Error): disk full
	// handled after logging: disk full
}

// A Deferred's text form says what it holds or what it waits on, as
// Twisted's repr does; WaitingOn gives the Deferred itself.
func ExampleDeferred_WaitingOn() {
	source, target := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
	source.ChainDeferred(target)
	fmt.Println(target.WaitingOn() == source)
	_ = source.Callback("orange")
	fmt.Println(target.WaitingOn() == nil)
	address := regexp.MustCompile(`0x[0-9a-f]+`)
	fmt.Println(address.ReplaceAllString(target.String(), "0x…"))
	// Output:
	// true
	// true
	// <Deferred at 0x… current result: "orange">
}
