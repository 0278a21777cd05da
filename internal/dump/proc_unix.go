//go:build unix

package dump

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs pg_dump in its own process group and makes
// cancellation kill the whole group, so nothing it started outlives it.
// Where the OS can, pg_dump is also killed if restorectl itself is killed
// (SIGKILL, OOM): a dump left running holds its snapshot and table locks
// on the project's database.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
