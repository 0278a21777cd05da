//go:build unix && !linux

package dump

import "syscall"

func setDeathSignal(*syscall.SysProcAttr) {}
