package localpg

import "syscall"

// setDeathSignal: the kernel kills initdb or pg_ctl if restorectl dies
// (the server they start outlives them all the same: sweep).
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
