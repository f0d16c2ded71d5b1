package listener

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Finding sockets by port through the kernel's sock_diag netlink interface
// rather than /proc/net/tcp: asked for listening and established sockets
// only, the kernel skips the thousands of TIME_WAIT entries a busy test
// machine has, which make the text file take tens of milliseconds to read.

// inetDiagSockID is struct inet_diag_sockid.
type inetDiagSockID struct {
	SPort  [2]byte // big-endian
	DPort  [2]byte
	Src    [16]byte
	Dst    [16]byte
	If     uint32
	Cookie [2]uint32
}

// inetDiagReqV2 is struct inet_diag_req_v2.
type inetDiagReqV2 struct {
	Family   uint8
	Protocol uint8
	Ext      uint8
	Pad      uint8
	States   uint32
	ID       inetDiagSockID
}

// inetDiagMsg is struct inet_diag_msg.
type inetDiagMsg struct {
	Family  uint8
	State   uint8
	Timer   uint8
	Retrans uint8
	ID      inetDiagSockID
	Expires uint32
	RQueue  uint32
	WQueue  uint32
	UID     uint32
	Inode   uint32
}

const (
	tcpEstablished = 1
	tcpListen      = 10
)

// diagInodes returns the inodes of the TCP sockets on local port that are
// listening on a loopback or wildcard address, or established with a peer
// on clientPort.
func diagInodes(port, clientPort int) (map[string]bool, error) {
	out := map[string]bool{}
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		msgs, err := diagDump(family, 1<<tcpListen|1<<tcpEstablished)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if int(binary.BigEndian.Uint16(m.ID.SPort[:])) != port || m.Inode == 0 {
				continue
			}
			switch m.State {
			case tcpListen:
				if src := diagAddr(family, m.ID.Src); src.IsLoopback() || src.IsUnspecified() {
					out[strconv.FormatUint(uint64(m.Inode), 10)] = true
				}
			case tcpEstablished:
				if int(binary.BigEndian.Uint16(m.ID.DPort[:])) == clientPort {
					out[strconv.FormatUint(uint64(m.Inode), 10)] = true
				}
			}
		}
	}
	return out, nil
}

func diagAddr(family uint8, b [16]byte) netip.Addr {
	if family == unix.AF_INET {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(b).Unmap()
}

// diagDump asks the kernel for the TCP sockets of family in states.
func diagDump(family uint8, states uint32) ([]inetDiagMsg, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var req struct {
		hdr unix.NlMsghdr
		req inetDiagReqV2
	}
	req.hdr = unix.NlMsghdr{
		Len:   uint32(unsafe.Sizeof(req)),
		Type:  unix.SOCK_DIAG_BY_FAMILY,
		Flags: unix.NLM_F_REQUEST | unix.NLM_F_DUMP,
	}
	req.req = inetDiagReqV2{Family: family, Protocol: unix.IPPROTO_TCP, States: states}
	reqBytes := unsafe.Slice((*byte)(unsafe.Pointer(&req)), unsafe.Sizeof(req))
	if err := unix.Sendto(fd, reqBytes, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	var out []inetDiagMsg
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				return nil, unix.EINVAL
			}
			if len(m.Data) >= int(unsafe.Sizeof(inetDiagMsg{})) {
				out = append(out, *(*inetDiagMsg)(unsafe.Pointer(&m.Data[0])))
			}
		}
	}
}
