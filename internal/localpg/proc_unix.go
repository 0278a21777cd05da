//go:build unix

package localpg

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// account is a system user the server runs as.
type account struct{ uid, gid int }

// serverAccount is whom the server runs as: nil for this process's user.
// PostgreSQL refuses to run as root, so root runs it as the "postgres"
// system user, which PostgreSQL's packages create.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as another user, but there is no \"postgres\" system user to run it as: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("the uid of user postgres: %w", err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("the gid of user postgres: %w", err)
	}
	return &account{uid: uid, gid: gid}, nil
}

// prepare makes cmd run as as (nil: as this process), in a process group
// of its own, which cancelling cmd's context kills whole: a terminal's
// Ctrl-C reaches restorectl alone, which stops the server itself, and
// initdb's children go with it.
func prepare(cmd *exec.Cmd, as *account) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
	if as != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(as.uid), Gid: uint32(as.gid)}
	}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// processExists reports whether a process with this pid exists.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// checkReachable fails unless as may enter dir and every directory above
// it: root runs the server as another user, which a private temporary
// directory (TMPDIR) would keep out, with no clearer word from initdb
// than "permission denied".
func checkReachable(dir string, as *account) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		perm := fi.Mode().Perm()
		st, ok := fi.Sys().(*syscall.Stat_t)
		switch {
		case perm&0o001 != 0:
		case ok && int(st.Uid) == as.uid && perm&0o100 != 0:
		case ok && int(st.Gid) == as.gid && perm&0o010 != 0:
		default:
			return fmt.Errorf("the server runs as user postgres (PostgreSQL refuses root), which cannot enter %s (mode %o): set TMPDIR to a directory it can reach, such as /tmp", d, perm)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
