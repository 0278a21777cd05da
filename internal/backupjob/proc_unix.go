//go:build unix

package backupjob

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs pg_dump in its own process group and makes
// cancellation kill the whole group, so nothing it started outlives it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
