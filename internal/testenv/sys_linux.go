package testenv

import "syscall"

// dieWithParent makes the kernel kill the child if the test binary dies
// (for example on a test timeout panic or SIGKILL), so no server is left behind.
// Pdeathsig fires when the thread that started the child exits; the Go runtime
// keeps its threads unless a goroutine exits while locked to one.
func dieWithParent(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
