//go:build unix

package tcp

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Where the kernel has no abstract namespace (macOS, the BSDs), an abstract
// name is refused with an error wrapping errors.ErrUnsupported, by
// ListenUNIX at once and by ConnectUNIX through ClientConnectionFailed;
// nothing named "@…" appears in the working directory.
func TestUNIX_AbstractNameWithoutNamespace(t *testing.T) {
	defer func(old bool) { abstractNamespace = old }(abstractNamespace)
	abstractNamespace = false
	t.Chdir(t.TempDir())
	name := "\x00braid-abstract-" + strconv.Itoa(os.Getpid())
	r := tcpReactor(t)

	p, err := ListenUNIX(r, name, protocol.FactoryFor(nil), protocol.ListenUNIXOptions{})
	if _, ok := errors.AsType[*protocol.CannotListenError](err); !ok || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("ListenUNIX(%q) = %v, %v; want a CannotListenError wrapping ErrUnsupported", name, p, err)
	}
	if p != nil {
		p.ConnectionLost(nil)
	}

	var got error
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol { return &tcpRecorder{} })
		cc.ConnectUNIX(name, protocol.ConnectUNIXOptions{}).AddBoth(func(v any) (any, error) {
			if f, ok := v.(*reactor.Failure); ok {
				got = f
			}
			stop()
			return nil, nil
		})
	})
	if _, ok := errors.AsType[*protocol.ConnectError](got); !ok || !errors.Is(got, errors.ErrUnsupported) {
		t.Errorf("ConnectUNIX(%q) failed with %v; want a ConnectError wrapping ErrUnsupported", name, got)
	}

	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("files made in the working directory: %v", entries)
	}
}
