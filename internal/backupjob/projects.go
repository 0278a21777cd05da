package backupjob

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/dump"
)

// Project is one project to back up.
type Project struct {
	// Ref is the project ref; it names the project's snapshots in the store
	// and, when DatabaseURL is empty, its database.
	Ref string `json:"ref"`
	// DatabaseURL is a postgres:// URL or a libpq keyword/value string that
	// reaches the project's database directly (not through PgBouncer). Empty
	// means "--dbname=<Ref>" with host, port and user from pg_dump's PG*
	// environment (Config.Env). Its password is never logged.
	DatabaseURL string `json:"database_url,omitempty"`
}

// String names the project without its database URL (which may hold a
// password); so do GoString and LogValue, for %#v and slog.
func (p Project) String() string { return p.Ref }

// GoString implements fmt.GoStringer without the database URL.
func (p Project) GoString() string { return fmt.Sprintf("backupjob.Project{Ref: %q}", p.Ref) }

// LogValue implements slog.LogValuer without the database URL.
func (p Project) LogValue() slog.Value { return slog.StringValue(p.Ref) }

// LoadProjects reads the list of projects to back up from path, a JSON or
// YAML file holding a list of {ref, database_url} entries:
//
//   - ref: abcd1234
//     database_url: postgres://backup@db-abcd1234:5432/abcd1234
//   - ref: efgh5678
//
// Every ref must be valid (catalog.ValidateRef) and appear once; unknown
// fields are rejected. Errors name the file and the entry's index.
func LoadProjects(path string) ([]Project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read projects file: %w", err)
	}
	return parseProjects(path, data)
}

func parseProjects(path string, data []byte) ([]Project, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("projects file %s is empty: it must list the projects to back up (a JSON or YAML list of {ref, database_url})", path)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("projects file %s is neither valid JSON nor YAML: %s", path, dump.Redact(err.Error()))
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("projects file %s must hold a list of projects ({ref, database_url} entries): %s", path, dump.Redact(err.Error()))
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("projects file %s lists no projects", path)
	}
	ps := make([]Project, 0, len(raw))
	seen := make(map[string]int, len(raw))
	for i, r := range raw {
		var p Project
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("projects file %s, entry %d: %s (each entry is {ref, database_url})", path, i, dump.Redact(err.Error()))
		}
		p.Ref = strings.TrimSpace(p.Ref)
		if p.Ref == "" {
			return nil, fmt.Errorf("projects file %s, entry %d: no ref", path, i)
		}
		if err := catalog.ValidateRef(p.Ref); err != nil {
			return nil, fmt.Errorf("projects file %s, entry %d: %w", path, i, err)
		}
		if j, dup := seen[p.Ref]; dup {
			return nil, fmt.Errorf("projects file %s, entry %d: project %s is already listed at entry %d: list each project once", path, i, p.Ref, j)
		}
		seen[p.Ref] = i
		ps = append(ps, p)
	}
	return ps, nil
}

// ValidateShard checks a shard index i of n shards, as a Kubernetes Indexed
// Job gives them (JOB_COMPLETION_INDEX of completions).
func ValidateShard(i, n int) error {
	if n < 1 {
		return fmt.Errorf("shard count must be at least 1, got %d", n)
	}
	if i < 0 || i >= n {
		return fmt.Errorf("shard index %d is out of range for %d shards (0..%d)", i, n, n-1)
	}
	return nil
}

// Shard returns the projects of shard i of n: the project at index k goes to
// shard k mod n, so every project is in exactly one shard and shards differ
// in size by at most one. It panics if ValidateShard(i, n) fails; callers
// validate user input with ValidateShard first.
func Shard(ps []Project, i, n int) []Project {
	if err := ValidateShard(i, n); err != nil {
		panic("backupjob.Shard: " + err.Error())
	}
	var out []Project
	for k := i; k < len(ps); k += n {
		out = append(out, ps[k])
	}
	return out
}
