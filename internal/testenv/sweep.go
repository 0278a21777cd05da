package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A test binary killed before Main stops its servers (Ctrl-C, a -timeout
// panic, SIGKILL) leaves its temp dirs behind, and for PostgreSQL, which
// daemonises, a running server. Each temp dir therefore records the pid of
// the test binary that owns it, and starting a server first sweeps the dirs
// whose owner is gone.

const ownerFile = "owner.pid"

// writeOwner records this process as the owner of dir.
func writeOwner(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// sweepOrphans calls cleanup for every temp dir named pattern whose owner
// process no longer exists, then removes the dir. Dirs without an owner file
// may be being set up right now by another test binary and are left alone.
func sweepOrphans(pattern string, cleanup func(dir string)) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), pattern))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == os.Getpid() || processExists(pid) {
			continue
		}
		cleanup(dir)
		os.RemoveAll(dir)
	}
}

// processExists reports whether a process with this pid exists.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
