package localpg

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A process killed outright (SIGKILL, a closed terminal's SIGHUP) cannot
// stop its cluster: the server, which pg_ctl daemonises, keeps running.
// Each cluster's directory therefore names the process that owns it, and
// Start first stops and removes the clusters whose owner is gone.

const ownerFile = "owner.pid"

// sweep stops the server of every cluster directory under parent ("" is
// the system's temporary directory) whose owner process no longer
// exists, and removes the directory. A directory without an owner file
// may be being made right now, and is left alone; so are other users'
// (they cannot be removed anyway).
func sweep(parent, binDir string, as *account) {
	if parent == "" {
		parent = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(parent, dirPattern))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == os.Getpid() || processExists(pid) {
			continue
		}
		data := filepath.Join(dir, "data")
		if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			run(ctx, binDir, dir, as, "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
			cancel()
		}
		os.RemoveAll(dir)
	}
}
