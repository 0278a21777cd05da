package backupjob

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/dump/dumptest"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestRunManyProjects(t *testing.T) {
	pg := testenv.StartPostgres(t)
	store := localStore(t)
	hook := newWebhook(t)
	var logs logBuffer
	var ps []Project
	for i := range 5 {
		if i == 1 || i == 3 {
			ps = append(ps, Project{Ref: fmt.Sprintf("broken%d", i), DatabaseURL: dumptest.WithPassword(pg.URL("missing_db"))})
			continue
		}
		db, url := pg.CreateDatabase(t)
		pg.Exec(t, db, fmt.Sprintf("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, %d)", 100*(i+1)))
		ps = append(ps, Project{Ref: fmt.Sprintf("proj%d", i), DatabaseURL: dumptest.WithPassword(url)})
	}
	cfg := Config{Store: store, PgDump: pg.Bin("pg_dump"), Concurrency: 2, Webhook: hook.URL, Logger: newLogger(&logs),
		Now: func() time.Time { return fixedTime }}
	rs := Run(t.Context(), cfg, ps)
	if len(rs) != len(ps) {
		t.Fatalf("%d results for %d projects", len(rs), len(ps))
	}
	for i, r := range rs {
		if r.Ref != ps[i].Ref {
			t.Errorf("result %d is for %s, want %s", i, r.Ref, ps[i].Ref)
		}
		wantOK := i != 1 && i != 3
		if r.OK() != wantOK {
			t.Errorf("result %d (%s): ok=%v err=%v", i, r.Ref, r.OK(), r.Err)
		}
		if !wantOK && r.Stage != StageConnect {
			t.Errorf("result %d stage %s", i, r.Stage)
		}
		if wantOK {
			restored := restore(t, pg, store, r.Key)
			if got, want := query(t, pg, restored, "SELECT count(*) FROM t"), fmt.Sprint(100*(i+1)); got != want {
				t.Errorf("%s restored %s rows, want %s", r.Ref, got, want)
			}
		}
	}
	if ok, failed, cancelled := Summarize(rs); ok != 3 || failed != 2 || cancelled != 0 {
		t.Errorf("Summarize = %d ok, %d failed, %d cancelled", ok, failed, cancelled)
	}
	if keys := listKeys(t, store); !reflect.DeepEqual(keys, []string{
		"proj0/20260314T150926Z.sql.gz", "proj0/20260314T150926Z.sql.gz.index.json",
		"proj2/20260314T150926Z.sql.gz", "proj2/20260314T150926Z.sql.gz.index.json",
		"proj4/20260314T150926Z.sql.gz", "proj4/20260314T150926Z.sql.gz.index.json"}) {
		t.Errorf("store holds %v", keys)
	}
	if a := hook.alerts(t); len(a) != 2 {
		t.Errorf("%d alerts, want 2", len(a))
	}
	if lines := logs.lines(t); len(lines) != 5 {
		t.Errorf("%d log lines, want 5:\n%s", len(lines), logs.String())
	}
	dumptest.AssertNoSecret(t, "log", logs.String())
	dumptest.AssertNoSecret(t, "alert", hook.raw())
}

func TestRunCancelledBeforeStart(t *testing.T) {
	hook := newWebhook(t)
	var logs logBuffer
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ps := []Project{{Ref: "a"}, {Ref: "b"}, {Ref: "c"}}
	rs := Run(ctx, Config{Store: localStore(t), PgDump: "/nonexistent", Webhook: hook.URL, Logger: newLogger(&logs)}, ps)
	for i, r := range rs {
		if r.Ref != ps[i].Ref || r.Stage != StageCancelled || r.OK() || !r.Cancelled() || r.Outcome() != OutcomeCancelled {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	if ok, failed, cancelled := Summarize(rs); ok != 0 || failed != 0 || cancelled != 3 {
		t.Errorf("Summarize = %d ok, %d failed, %d cancelled; want 3 cancelled", ok, failed, cancelled)
	}
	lines := logs.lines(t)
	if len(lines) != 3 {
		t.Errorf("%d log lines, want 3:\n%s", len(lines), logs.String())
	}
	for _, l := range lines {
		if l["msg"] != "backup cancelled" || l["outcome"] != OutcomeCancelled {
			t.Errorf("log line %v, want a cancellation", l)
		}
	}
	a := hook.alerts(t)
	if len(a) != 1 || a[0]["outcome"] != OutcomeCancelled ||
		!strings.HasPrefix(a[0]["text"].(string), "restorectl backup CANCELLED for 3 projects: a, b, c: not started, the job was cancelled") {
		t.Errorf("alerts = %v", a)
	}
}

func TestPruneAfterBackup(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
	store, _, _ := minioStore(t)
	// Five older dailies, the newest 3 days old.
	var old []string
	for d := 3; d <= 7; d++ {
		key := catalog.SnapshotKey("proj", fixedTime.AddDate(0, 0, -d))
		storetest.Put(t, store, key, []byte("old"))
		old = append(old, key)
	}
	var logs logBuffer
	cfg := Config{Store: store, PgDump: pg.Bin("pg_dump"), Logger: newLogger(&logs),
		Retention: &catalog.Retention{KeepDays: 5, KeepMin: 2}, Now: func() time.Time { return fixedTime }}
	res := BackupProject(t.Context(), cfg, Project{Ref: "proj", DatabaseURL: url})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	// Kept: today's, 3 and 4 days old, and 5 days old (exactly at the cutoff); 6 and 7 days old go.
	if res.Pruned != 2 {
		t.Errorf("pruned %d, want 2", res.Pruned)
	}
	want := []string{old[2], old[1], old[0], res.Key, res.Key + catalog.IndexSuffix}
	if keys := listKeys(t, store); !reflect.DeepEqual(keys, want) {
		t.Errorf("store holds %v, want %v", keys, want)
	}
	if lines := logs.lines(t); len(lines) != 1 || lines[0]["pruned"] != float64(2) {
		t.Errorf("log = %s", logs.String())
	}

	// An invalid policy is a config error before anything is dumped.
	cfg.Retention = &catalog.Retention{KeepDays: 0, KeepMin: 1}
	if res := BackupProject(t.Context(), cfg, Project{Ref: "proj", DatabaseURL: url}); res.Stage != StageConfig {
		t.Errorf("stage %s err %v, want config", res.Stage, res.Err)
	}
}

func TestShard(t *testing.T) {
	ps := make([]Project, 7)
	for i := range ps {
		ps[i].Ref = fmt.Sprint("p", i)
	}
	refs := func(ps []Project) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Ref)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		i, n int
		want string
	}{
		{0, 1, "p0,p1,p2,p3,p4,p5,p6"},
		{0, 3, "p0,p3,p6"},
		{1, 3, "p1,p4"},
		{2, 3, "p2,p5"},
		{6, 7, "p6"},
		{8, 10, ""},
	} {
		if got := refs(Shard(ps, tc.i, tc.n)); got != tc.want {
			t.Errorf("Shard(%d, %d) = %s, want %s", tc.i, tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct{ i, n int }{{0, 0}, {-1, 2}, {2, 2}, {0, -1}} {
		if ValidateShard(tc.i, tc.n) == nil {
			t.Errorf("ValidateShard(%d, %d) = nil", tc.i, tc.n)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Shard(%d, %d) did not panic", tc.i, tc.n)
				}
			}()
			Shard(ps, tc.i, tc.n)
		}()
	}
}

func TestLoadProjects(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		want                []Project
		wantErr             string
	}{
		{name: "json", file: "p.json", content: `[{"ref": "abcd1234", "database_url": "postgres://u:` + secret + `@h/abcd1234"}, {"ref": "efgh"}]`,
			want: []Project{{Ref: "abcd1234", DatabaseURL: "postgres://u:" + secret + "@h/abcd1234"}, {Ref: "efgh"}}},
		{name: "yaml", file: "p.yaml", content: "# projects\n- ref: abcd1234\n  database_url: host=h password=" + secret + " dbname=abcd1234\n- ref: efgh\n",
			want: []Project{{Ref: "abcd1234", DatabaseURL: "host=h password=" + secret + " dbname=abcd1234"}, {Ref: "efgh"}}},
		{name: "empty", file: "p.yaml", content: "\n", wantErr: "is empty"},
		{name: "empty list", file: "p.json", content: "[]", wantErr: "lists no projects"},
		{name: "not a list", file: "p.yaml", content: "projects:\n  - ref: a\n", wantErr: "must hold a list"},
		{name: "bad yaml", file: "p.yaml", content: "- ref: [a\n", wantErr: "neither valid JSON nor YAML"},
		{name: "bad ref", file: "p.yaml", content: "- ref: good\n- ref: ../evil\n", wantErr: "entry 1: invalid project ref"},
		{name: "no ref", file: "p.yaml", content: "- ref: good\n- database_url: postgres://u:" + secret + "@h/x\n", wantErr: "entry 1: no ref"},
		{name: "unknown field", file: "p.yaml", content: "- ref: good\n  databaseurl: x\n", wantErr: `entry 0: json: unknown field "databaseurl"`},
		{name: "duplicate", file: "p.json", content: `[{"ref":"a"},{"ref":"b"},{"ref":"a"}]`, wantErr: "entry 2: project a is already listed at entry 0"},
		{name: "missing file", file: "", wantErr: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "missing.yaml")
			if tc.file != "" {
				path = filepath.Join(t.TempDir(), tc.file)
				if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadProjects(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want one naming %s and containing %q", err, path, tc.wantErr)
				}
				dumptest.AssertNoSecret(t, "error", err.Error())
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			// The URL's password does not leak through formatting.
			dumptest.AssertNoSecret(t, "formatted project", fmt.Sprint(got[0]), fmt.Sprintf("%v %+v %#v %s", got, got, got, got))
		})
	}
}

// A projects file cannot choose a snapshot's key, limit its tables or
// read an exported snapshot (what restores' safety snapshots do through
// package dump).
func TestLoadProjectsRejectsRestoreFields(t *testing.T) {
	for _, field := range []string{"Key", "Tables", "Snapshot", "key", "tables", "snapshot"} {
		data := fmt.Sprintf(`[{"ref": "p1", %q: "x"}]`, field)
		if ps, err := parseProjects("projects.json", []byte(data)); err == nil {
			t.Errorf("%s accepted: %+v", data, ps)
		}
	}
}
