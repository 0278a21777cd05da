package backupjob

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadProjects: any projects file either loads into valid, distinct
// project refs or is refused with an error; it never panics.
func FuzzLoadProjects(f *testing.F) {
	f.Add([]byte("- ref: abcd1234\n  database_url: postgres://u:pw@h/abcd1234\n- ref: efgh5678\n"))
	f.Add([]byte(`[{"ref": "a"}, {"ref": "b", "database_url": "host=h dbname=b"}]`))
	f.Add([]byte("- ref: ../etc\n"))
	f.Add([]byte("- ref: a\n- ref: a\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "projects.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		ps, err := LoadProjects(path)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if !refOK(p.Ref) || seen[p.Ref] {
				t.Fatalf("LoadProjects accepted ref %q (seen before: %v)", p.Ref, seen[p.Ref])
			}
			seen[p.Ref] = true
		}
	})
}

func refOK(ref string) bool {
	if ref == "" || len(ref) > 63 {
		return false
	}
	for _, c := range ref {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return ref[0] != '-' && ref[0] != '_'
}
