//go:build !unix

package localpg

import (
	"errors"
	"os/exec"
)

type account struct{ uid, gid int }

func serverAccount() (*account, error) {
	return nil, errors.New("a throwaway PostgreSQL cluster is started only on Unix")
}

func prepare(*exec.Cmd, *account) {}

func processExists(int) bool { return true }

func checkReachable(string, *account) error { return nil }
