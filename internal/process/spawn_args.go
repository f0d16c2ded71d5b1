//go:build unix

package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/braid-go/braid/protocol"
)

// procDefaultPath is where an executable without a slash is looked up when
// the child's environment has no PATH (Python's os.defpath; P-03).
const procDefaultPath = "/bin:/usr/bin"

// procMaxChildFD bounds the child fd numbers ChildFDs may name.
const procMaxChildFD = 1 << 16

var procDefaultChildFDs = []procFDPlan{{childFD: 0, fd: protocol.ChildFDWrite}, {childFD: 1, fd: protocol.ChildFDRead}, {childFD: 2, fd: protocol.ChildFDRead}}

type procFDPlan struct {
	childFD int
	fd      protocol.ChildFD
}

// procPlanFDs validates childFDs and orders it by child fd.
func procPlanFDs(m map[int]protocol.ChildFD) ([]procFDPlan, error) {
	if m == nil {
		return procDefaultChildFDs, nil
	}
	plan := make([]procFDPlan, 0, len(m))
	for c, v := range m {
		if c < 0 || c >= procMaxChildFD {
			return nil, fmt.Errorf("child fd %d out of range: %w", c, syscall.EINVAL)
		}
		if v < 0 && v != protocol.ChildFDRead && v != protocol.ChildFDWrite {
			return nil, fmt.Errorf("child fd %d: %v (use ChildFDRead, ChildFDWrite or a parent descriptor): %w", c, v, syscall.EBADF)
		}
		plan = append(plan, procFDPlan{childFD: c, fd: v})
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].childFD < plan[j].childFD })
	return plan, nil
}

// procBuildEnv returns the child's environment (P-02).
func procBuildEnv(opts protocol.SpawnOptions) ([]string, error) {
	for _, kv := range opts.Env {
		if strings.IndexByte(kv, 0) >= 0 {
			return nil, fmt.Errorf("NUL byte in %s: %w", strconvQuote(kv), syscall.EINVAL)
		}
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("entry %s is not KEY=value with a non-empty KEY: %w", strconvQuote(kv), syscall.EINVAL)
		}
	}
	if !opts.InheritEnv {
		if opts.Env == nil {
			return []string{}, nil
		}
		return dedupEnv(opts.Env), nil
	}
	if len(opts.Env) == 0 {
		return os.Environ(), nil
	}
	return dedupEnv(append(os.Environ(), opts.Env...)), nil
}

// dedupEnv keeps one entry per key, as os/exec does: the last value wins,
// at the position of the key's first entry.
func dedupEnv(env []string) []string {
	idx := make(map[string]int, len(env))
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// procLookPath resolves an executable without a slash in the child's PATH,
// or /bin:/usr/bin (P-03), as Python's execvpe: the first candidate that is
// an executable file wins; when none is, a candidate that exists but cannot
// be executed gives a permission error, otherwise the error is "not
// found". Relative PATH entries are relative to the child's directory.
// On failure the returned string names what was searched.
func procLookPath(file string, env []string, dir string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	if file == "" {
		return "", syscall.ENOENT
	}
	search := procDefaultPath
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], "PATH="); ok {
			search = v
			break
		}
	}
	var denied error
	for _, d := range strings.Split(search, ":") {
		cand := filepath.Join(d, file)
		check := cand
		if dir != "" && !filepath.IsAbs(cand) {
			check = filepath.Join(dir, cand)
		}
		fi, err := os.Stat(check)
		switch {
		case err != nil:
			continue
		case fi.IsDir() || fi.Mode()&0o111 == 0:
			if denied == nil {
				denied = syscall.EACCES
			}
			continue
		}
		if !strings.Contains(cand, "/") {
			cand = "./" + cand // an empty PATH entry: the child's directory
		}
		return cand, nil
	}
	where := file + " in PATH=" + search
	if denied != nil {
		return where, denied
	}
	return where, syscall.ENOENT
}

func procUnwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }
