package listener

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Who listens on a loopback port: the LISTEN socket's inode (from the
// kernel's sock_diag, else /proc/net/tcp{,6}), then the process holding
// socket:[inode] among its descriptors in /proc.

// Supported reports whether Owner can answer on this system.
const Supported = true

// Owner looks for the process that serves a connection from
// 127.0.0.1:clientPort to port: the holder of the LISTEN socket on port,
// or of the connection's accepted end (a one-shot server may have closed
// its listener once it accepted). It reports ours when a process of the
// child's tree (see treeOf) holds one; otherwise owner is some other
// holder, and found says whether there was any: while the connection
// waits in the backlog, and the listener is closed, none holds a socket.
// The child's tree is searched first: the whole of /proc only when the
// answer is "not ours".
func Owner(port, clientPort, child int) (owner int, ours, found bool, err error) {
	inodes, err := serverInodes(port, clientPort)
	if err != nil || len(inodes) == 0 {
		return 0, false, false, err
	}
	tree := treeOf(child)
	for pid := range tree {
		if holdsInode(pid, inodes) {
			return pid, true, true, nil
		}
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false, false, err
	}
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || tree[pid] {
			continue
		}
		if holdsInode(pid, inodes) {
			return pid, false, true, nil
		}
	}
	return 0, false, false, nil
}

// serverInodes returns the inodes of the LISTEN sockets on port bound to
// 127.0.0.1, ::1 or every address, and of the established socket serving
// the connection from clientPort (none while it is in the accept queue).
func serverInodes(port, clientPort int) (map[string]bool, error) {
	if inodes, err := diagInodes(port, clientPort); err == nil {
		return inodes, nil
	}
	return procInodes(port, clientPort) // no sock_diag: the slower text tables
}

// procInodes is serverInodes through /proc/net/tcp{,6}.
func procInodes(port, clientPort int) (map[string]bool, error) {
	out := map[string]bool{}
	hexPort := fmt.Sprintf(":%04X", port)
	hexClient := fmt.Sprintf(":%04X", clientPort)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[9] == "0" || !strings.HasSuffix(fields[1], hexPort) {
				continue
			}
			switch fields[3] {
			case "0A": // LISTEN
				switch strings.TrimSuffix(fields[1], hexPort) {
				case "0100007F", "00000000", // 127.0.0.1, 0.0.0.0
					"00000000000000000000000001000000", "00000000000000000000000000000000": // ::1, ::
					out[fields[9]] = true
				}
			case "01": // ESTABLISHED: the server's end of our connection
				if strings.HasSuffix(fields[2], hexClient) {
					out[fields[9]] = true
				}
			}
		}
	}
	return out, nil
}

// holdsInode reports whether process pid has one of the sockets open.
func holdsInode(pid int, inodes map[string]bool) bool {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
			return true
		}
	}
	return false
}

// treeOf returns child, its descendants, and the members of its process
// group and session: a server a wrapper started and left behind is
// reparented away from the child, but keeps those.
func treeOf(child int) map[int]bool {
	tree := map[int]bool{}
	if child <= 1 {
		return tree
	}
	queue := []int{child}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if tree[pid] {
			continue
		}
		tree[pid] = true
		tasks, _ := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
		for _, task := range tasks {
			data, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", task.Name(), "children"))
			for _, f := range strings.Fields(string(data)) {
				if c, err := strconv.Atoi(f); err == nil {
					queue = append(queue, c)
				}
			}
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || tree[pid] {
			continue
		}
		if st, ok := procStat(pid); ok && (st.pgrp == child || st.session == child) {
			tree[pid] = true
		}
	}
	return tree
}

type statFields struct{ pgrp, session int }

// procStat reads the process group and session of pid.
func procStat(pid int) (statFields, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return statFields{}, false
	}
	// "pid (comm) state ppid pgrp session ...": comm may hold spaces.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return statFields{}, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 4 {
		return statFields{}, false
	}
	pgrp, _ := strconv.Atoi(f[2])
	session, _ := strconv.Atoi(f[3])
	return statFields{pgrp, session}, true
}
