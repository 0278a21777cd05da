package catalog_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

// TestResolveSnapshot: every way of naming a snapshot resolves to the store,
// key and version it names, and the content read through it is that
// snapshot's; a spec that names nothing says what to type instead.
func TestResolveSnapshot(t *testing.T) {
	m := testenv.StartMinIO(t)
	ctx := t.Context()

	// An S3 bucket with an overwritten snapshot.
	bucket := m.CreateVersionedBucket(t)
	s3Store := newS3(t, m, bucket, "")
	s3Key := "daily/p/" + now.Format(catalog.TimestampLayout) + ".sql.gz"
	storetest.Put(t, s3Store, s3Key, []byte("s3 old"))
	storetest.Put(t, s3Store, s3Key, []byte("s3 new"))
	oldVersion := listVersions(t, s3Store, s3Key)[1].VersionID

	// Local files, one in a directory whose name holds an @.
	dir := filepath.Join(t.TempDir(), "tickets@123")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"dump.sql.gz": "gz file", "plain.sql": "sql file"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)

	// The configured store with three snapshots of p.
	configured := newLocal(t, t.TempDir())
	for _, age := range []time.Duration{days(1), days(2), days(3)} {
		k := catalog.SnapshotKey("p", now.Add(-age))
		storetest.Put(t, configured, k, []byte(k))
	}
	key := func(age time.Duration) string { return catalog.SnapshotKey("p", now.Add(-age)) }

	tests := []struct {
		spec      string
		wantStore string
		wantKey   string
		wantVer   string
		wantBody  string
	}{
		{"s3://" + bucket + "/" + s3Key, "s3://" + bucket, s3Key, "", "s3 new"},
		{"s3://" + bucket + "/" + s3Key + "?versionId=" + url.QueryEscape(oldVersion), "s3://" + bucket, s3Key, oldVersion, "s3 old"},
		{filepath.Join(dir, "dump.sql.gz"), "file://" + dir, "dump.sql.gz", "", "gz file"},
		{"dump.sql.gz", "file://" + dir, "dump.sql.gz", "", "gz file"},
		{"./plain.sql", "file://" + dir, "plain.sql", "", "sql file"},
		{"file://" + dir + "/dump.sql.gz", "file://" + dir, "dump.sql.gz", "", "gz file"},
		{"p@now", configured.String(), key(days(1)), "", key(days(1))},
		{"p@" + now.Add(-days(1.5)).Format(time.RFC3339), configured.String(), key(days(2)), "", key(days(2))},
		{"p@" + now.Add(-days(2)).Format("2006-01-02 15:04"), configured.String(), key(days(2)), "", key(days(2))},
		{"p@36h ago", configured.String(), key(days(2)), "", key(days(2))},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			r, err := catalog.ResolveSnapshot(ctx, tt.spec, configured, m.Options(), now, time.UTC)
			if err != nil {
				t.Fatalf("ResolveSnapshot(%q): %v", tt.spec, err)
			}
			if r.Store.String() != tt.wantStore || r.Key != tt.wantKey || r.VersionID != tt.wantVer {
				t.Errorf("ResolveSnapshot(%q) = %s %q version %q; want %s %q version %q",
					tt.spec, r.Store, r.Key, r.VersionID, tt.wantStore, tt.wantKey, tt.wantVer)
			}
			if r.Name == "" {
				t.Error("no display name")
			}
			if body := readAll(t)(r.Open(ctx)); body != tt.wantBody {
				t.Errorf("content %q, want %q", body, tt.wantBody)
			}
		})
	}
}

func TestResolveSnapshotErrors(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateBucket(t)
	configured := newLocal(t, t.TempDir())
	oldest := catalog.SnapshotKey("p", now.Add(-days(3)))
	storetest.Put(t, configured, oldest, []byte("x"))
	storetest.Put(t, configured, catalog.SnapshotKey("p", now.Add(-days(1))), []byte("x"))
	t.Chdir(t.TempDir())
	tests := []struct {
		spec       string
		configured catalog.Store
		want       []string
	}{
		{"", configured, []string{"no snapshot named", "s3://bucket/key", "REF@TIME"}},
		{"orders", configured, []string{`"orders"`, "s3://bucket/key", "REF@TIME", ".sql.gz"}},
		{"gs://b/k.sql.gz", configured, []string{"unsupported URL scheme", "s3://bucket/key"}},
		{"missing.sql.gz", configured, []string{"missing.sql.gz", "object not found", "check the path"}},
		{"file://host/x.sql.gz", configured, []string{"remote host", "file:///absolute/path"}},
		{"file:///", configured, []string{"names no file"}},
		{"s3://" + bucket, configured, []string{"names no object", "s3://bucket/path/to/snapshot.sql.gz"}},
		{"s3://" + bucket + "/dir/", configured, []string{"names no object"}},
		{"s3://" + bucket + "/p/x.sql.gz", configured, []string{"s3://" + bucket + "/p/x.sql.gz", "object not found", "restorectl snapshots"}},
		{"s3://" + bucket + "/p/x.sql.gz?version=1", configured, []string{"only query parameter understood is versionId"}},
		{"s3://no-such-bucket-x/p/x.sql.gz", configured, []string{`bucket "no-such-bucket-x" does not exist`}},
		{"p@now", nil, []string{"pass --store"}},
		{"p@whenever", configured, []string{"cannot read time", "3h ago"}},
		{"q@now", configured, []string{"project q has no snapshots", configured.String()}},
		{"p@4d ago", configured, []string{"no snapshot at or before", "the oldest is " + oldest, "use a later time"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := catalog.ResolveSnapshot(t.Context(), tt.spec, tt.configured, m.Options(), now, time.UTC)
			if err == nil {
				t.Fatalf("ResolveSnapshot(%q) succeeded", tt.spec)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// TestResolvedProject: a snapshot belongs to the project its key is
// filed under, whatever prefix comes before the refs.
func TestResolvedProject(t *testing.T) {
	store, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		snap catalog.Resolved
		want string
	}{
		{"REF@TIME", catalog.Resolved{Store: store, Key: "abcd/20261120T030000Z.sql.gz", Snapshot: catalog.Snapshot{Ref: "abcd"}}, "abcd"},
		{"daily snapshot", catalog.Resolved{Store: store, Key: "abcd/20261120T030000Z.sql.gz"}, "abcd"},
		{"under a bucket's prefix", catalog.Resolved{Store: store, Key: "backups/daily/abcd/20261120T030000Z.sql.gz"}, "abcd"},
		{"safety snapshot", catalog.Resolved{Store: store, Key: "abcd/pre-restore/20261120T030000Z-0a1b2c3d.sql.gz"}, "abcd"},
		{"safety snapshot under a prefix", catalog.Resolved{Store: store, Key: "backups/abcd/pre-restore/20261120T030000Z-0a1b2c3d.sql.gz"}, "abcd"},
		{"a local file", catalog.Resolved{Store: store, Key: "20261120T030000Z.sql.gz"}, ""},
		{"no store", catalog.Resolved{Key: "abcd/20261120T030000Z.sql.gz"}, ""},
		{"not a ref", catalog.Resolved{Store: store, Key: "Not A Ref!/20261120T030000Z.sql.gz"}, ""},
		{"a bucket's prefix named like a ref", catalog.Resolved{Store: store, Key: "daily/rref/20261120T030000Z.sql.gz"}, "rref"},
		{"pre-restore at the top", catalog.Resolved{Store: store, Key: "pre-restore/20261120T030000Z-0a1b2c3d.sql.gz"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.snap.Project(); got != tt.want {
				t.Errorf("Project of %q = %q, want %q", tt.snap.Key, got, tt.want)
			}
		})
	}
}

// TestResolveUnderConfiguredStore: a snapshot named by its full URL or
// path inside the configured store is read relative to the store's prefix:
// s3://bucket/daily/rref/<ts>.sql.gz with the store s3://bucket/daily is
// key rref/<ts>.sql.gz of that store, project rref (not "daily"), so its
// audit records and safety snapshots go where the catalog files rref's.
func TestResolveUnderConfiguredStore(t *testing.T) {
	m := testenv.StartMinIO(t)
	ctx := t.Context()
	bucket := m.CreateBucket(t)
	daily := newS3(t, m, bucket, "daily")
	key := catalog.SnapshotKey("rref", now)
	storetest.Put(t, daily, key, []byte("snapshot"))
	dir := t.TempDir()
	local := newLocal(t, dir)
	storetest.Put(t, local, key, []byte("snapshot"))

	for _, tt := range []struct {
		spec       string
		configured catalog.Store
	}{
		{"s3://" + bucket + "/daily/" + key, daily},
		{filepath.Join(dir, filepath.FromSlash(key)), local},
		{"file://" + filepath.ToSlash(dir) + "/" + key, local},
	} {
		r, err := catalog.ResolveSnapshot(ctx, tt.spec, tt.configured, m.Options(), now, time.UTC)
		if err != nil {
			t.Fatalf("ResolveSnapshot(%q): %v", tt.spec, err)
		}
		if r.Store.String() != tt.configured.String() || r.Key != key || r.Project() != "rref" {
			t.Errorf("ResolveSnapshot(%q) = %s %q, project %q; want %s %q, project rref", tt.spec, r.Store, r.Key, r.Project(), tt.configured, key)
		}
	}
	// Outside the configured store: its own bucket, the project from the
	// folder before the file name all the same.
	r, err := catalog.ResolveSnapshot(ctx, "s3://"+bucket+"/daily/"+key, local, m.Options(), now, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if r.Store.String() != "s3://"+bucket || r.Key != "daily/"+key || r.Project() != "rref" {
		t.Errorf("outside the store: %s %q, project %q", r.Store, r.Key, r.Project())
	}
}
