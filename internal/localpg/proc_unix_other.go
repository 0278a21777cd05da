//go:build unix && !linux

package localpg

import "syscall"

func setDeathSignal(*syscall.SysProcAttr) {}
