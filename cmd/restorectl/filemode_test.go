//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestExtractFileMode: extract -o writes the customer's rows into a file
// only its owner can read (0600), and a stricter umask makes it stricter.
func TestExtractFileMode(t *testing.T) {
	_, file := hostileSnapshot(t)
	tests := []struct {
		name   string
		out    string
		umask  int
		before bool // a world-readable file is at the path already
		want   os.FileMode
	}{
		{"usual umask", "out.sql", 0o022, false, 0o600},
		{"gzipped", "out.sql.gz", 0o022, false, 0o600},
		{"umask 077", "out.sql", 0o077, false, 0o600},
		{"umask 277", "out.sql", 0o277, false, 0o400},
		{"replacing a world-readable file", "out.sql", 0o022, true, 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.out)
			if tt.before {
				if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			old := syscall.Umask(tt.umask)
			args := []string{"extract", file, "--table", "public.parent", "-o", path}
			if tt.before {
				args = append(args, "--force")
			}
			_, stderr, code := runCLI(t, nil, args...)
			syscall.Umask(old)
			if code != exitOK {
				t.Fatalf("extract -o: exit %d: %s", code, stderr)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tt.want {
				t.Errorf("%s has mode %v, want %v", tt.out, got, tt.want)
			}
		})
	}
}
