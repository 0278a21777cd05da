//go:build !linux

package testenv

import "syscall"

// dieWithParent is a no-op where there is no parent-death signal.
func dieWithParent(attr *syscall.SysProcAttr) {}
