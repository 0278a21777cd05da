//go:build unix && !linux

package backupjob

import "syscall"

func setDeathSignal(*syscall.SysProcAttr) {}
