package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestPreviewCommand(t *testing.T) {
	file := filepath.Join(sampleStore, "demo", "20261121T030000Z.sql.gz")

	stdout, stderr, code := runCLI(t, nil, "preview", file, "--table", "orders", "--limit", "100")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.HasPrefix(lines[0], "id ") || len(lines) != 56 || !strings.Contains(stdout, `late\torder\n1`) {
		t.Errorf("want a header, 55 rows with escaped tabs and newlines:\n%s", stdout)
	}

	stdout, stderr, code = runCLI(t, nil, "preview", file, "--table", "public.customers", "--limit", "2", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rs struct {
		Table   string
		Columns []string
		Rows    [][]*string
		More    bool
	}
	if err := json.Unmarshal([]byte(stdout), &rs); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if rs.Table != "public.customers" || len(rs.Rows) != 2 || !rs.More || len(rs.Columns) != 3 || rs.Rows[0][1] == nil {
		t.Errorf("preview --json = %+v", rs)
	}
}

func TestPreviewErrors(t *testing.T) {
	file := filepath.Join(sampleStore, "demo", "20261121T030000Z.sql.gz")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"preview", file}, exitUsage, "--table is required"},
		{[]string{"preview", file, "--table", "orders", "--limit", "0"}, exitUsage, "--limit must be at least 1"},
		{[]string{"preview", file, "--table", "ordrs"}, exitFailure, "public.orders"},
		{[]string{"preview", file, "--table", "public.nope"}, exitFailure, "no table public.nope in the snapshot"},
	}
	for _, tt := range tests {
		_, stderr, code := runCLI(t, nil, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d mentioning %q", tt.args[2:], code, stderr, tt.code, tt.want)
		}
	}
}
