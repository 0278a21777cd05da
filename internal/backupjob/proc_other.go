//go:build !unix

package backupjob

import "os/exec"

func setProcessGroup(cmd *exec.Cmd) {}
