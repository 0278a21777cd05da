//go:build unix

package ui

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestExportFileMode: the exported script holds the customer's rows: only
// its owner may read it (0600), less what a stricter umask takes away.
func TestExportFileMode(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		umask int
		want  os.FileMode
	}{
		{"usual umask", "out.sql", 0o022, 0o600},
		{"gzipped", "out.sql.gz", 0o022, 0o600},
		{"umask 077", "out.sql", 0o077, 0o600},
		{"umask 277", "out.sql", 0o277, 0o400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			m := exportScreenAt(exportSession(t), path)
			old := syscall.Umask(tt.umask)
			msg := exportRun(t, m)
			syscall.Umask(old)
			if done := msg.(exportDoneMsg); done.err != nil {
				t.Fatal(done.err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tt.want {
				t.Errorf("%s has mode %v, want %v", tt.file, got, tt.want)
			}
		})
	}
}
