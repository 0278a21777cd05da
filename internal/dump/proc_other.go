//go:build !unix

package dump

import "os/exec"

func setProcessGroup(cmd *exec.Cmd) {}
