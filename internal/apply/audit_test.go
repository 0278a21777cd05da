package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/testenv"
)

// auditSecret is the password in the audit tests' connection strings: it
// must never reach a record.
const auditSecret = "Sup3r:s3cr%t@pw"

var auditTime = time.Date(2026, 11, 20, 14, 5, 9, 123e6, time.UTC)

// auditTarget is a target URL holding auditSecret.
var auditTarget = "postgres://restorer:" + url.QueryEscape(auditSecret) + "@db-abcd1234.internal:5432/abcd1234?sslmode=disable"

// auditStores are the stores every audit test runs against.
var auditStores = []struct {
	name string
	new  func(t *testing.T) catalog.Store
}{
	{"local", func(t *testing.T) catalog.Store {
		s, err := catalog.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"minio", func(t *testing.T) catalog.Store {
		m := testenv.StartMinIO(t)
		s, err := catalog.NewS3(t.Context(), m.CreateBucket(t), "prefix", m.Options())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// auditRequest is an overwrite of two tables of abcd1234.
func auditRequest() Request {
	return Request{
		Mode: Overwrite,
		Source: &Source{Name: "s3://backups/abcd1234/20261119T000000Z.sql.gz", Key: "abcd1234/20261119T000000Z.sql.gz", VersionID: "v-1",
			TOC: &extract.TOC{}, Walk: func(context.Context, func(int) bool, extract.Visit) error { return nil }},
		Tables:   []extract.Name{{Schema: "public", Name: "orders"}, {Schema: "My Schema", Name: "a.b"}},
		Cascade:  true,
		Project:  "abcd1234",
		Target:   auditTarget,
		Ticket:   "SUP-42",
		Operator: "ann@example.com",
	}
}

// auditResult is what an overwrite of auditRequest did.
func auditResult() *Result {
	orders, ab, items := extract.Name{Schema: "public", Name: "orders"}, extract.Name{Schema: "My Schema", Name: "a.b"}, extract.Name{Schema: "public", Name: "items"}
	return &Result{
		Plan: &Plan{Mode: Overwrite, Tables: []TablePlan{
			{Table: orders, Name: orders.String(), Exists: true, RowsNow: 90, RowsAfter: 120, SnapshotRows: 120, Deleted: 90, Inserted: 120},
			{Table: ab, Name: ab.String(), RowsNow: 0, RowsAfter: 20, SnapshotRows: 20, Inserted: 20},
			{Table: items, Name: items.String(), Exists: true, RowsNow: 3, RowsAfter: 5, SnapshotRows: 5, Deleted: 3, Inserted: 5, Cascaded: true},
		}},
		SafetyKey: catalog.SafetyKey("abcd1234", auditTime, "id1"),
		Checks:    []Check{{Table: orders, Want: 120, Got: 120, OK: true}, {Table: ab, Want: 20, Got: 20, OK: true}, {Table: items, Want: 5, Got: 5, OK: true}},
		Created:   []extract.Name{ab},
		Duration:  1500 * time.Millisecond,
	}
}

// auditRawRecord reads the JSON at key as a generic object, and as text.
func auditRawRecord(t *testing.T, s catalog.Store, key string) (map[string]any, string) {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", key, err, b)
	}
	return m, string(b)
}

// assertNoAuditSecret fails if the password, in any spelling, is in text.
func assertNoAuditSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range []string{auditSecret, url.QueryEscape(auditSecret), url.PathEscape(auditSecret), "s3cr"} {
		if strings.Contains(text, s) {
			t.Errorf("the password (as %q) appears in %s:\n%s", s, where, text)
		}
	}
}

func auditRecordJSON(t *testing.T, rec Record) string {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A record is written "running" before the restore and overwritten at the
// same key with its outcome; ListRecords and FindRecord read it back.
func TestAuditRecordLifecycle(t *testing.T) {
	for _, st := range auditStores {
		t.Run(st.name, func(t *testing.T) {
			s := st.new(t)
			ctx := t.Context()
			req := auditRequest()
			rec := newRecord(req, auditTime.In(time.FixedZone("CET", 3600)))
			if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(rec.ID) {
				t.Errorf("ID %q is not 8 hex characters", rec.ID)
			}
			key, err := writeRecord(ctx, s, rec)
			if err != nil {
				t.Fatalf("writeRecord: %v", err)
			}
			if want := catalog.AuditKey("abcd1234", auditTime, rec.ID); key != want {
				t.Errorf("key %q, want %q", key, want)
			}
			m, text := auditRawRecord(t, s, key)
			assertNoAuditSecret(t, "the running record", text)
			want := map[string]any{
				"id": rec.ID, "project": "abcd1234", "started_at": "2026-11-20T14:05:09.123Z", "operator": "ann@example.com",
				"ticket": "SUP-42", "mode": "overwrite", "dry_run": false, "target": "restorer@db-abcd1234.internal:5432/abcd1234",
				"database": "", "tables": []any{"public.orders", `"My Schema"."a.b"`}, "cascade": true, "outcome": "running",
				"snapshot":        map[string]any{"name": req.Source.Name, "key": req.Source.Key, "version_id": "v-1"},
				"safety_snapshot": "", "verified": false, "rows": []any{}, "checks": []any{}, "created": []any{}, "cascaded": []any{},
			}
			for k, v := range want {
				if fmt.Sprint(m[k]) != fmt.Sprint(v) {
					t.Errorf("running record: %s = %#v, want %#v", k, m[k], v)
				}
			}

			rec.finish(auditResult(), nil)
			if key2, err := writeRecord(ctx, s, rec); err != nil || key2 != key {
				t.Fatalf("second writeRecord: %q, %v; want %q", key2, err, key)
			}
			if got := storetest.Keys(t, s, catalog.AuditPrefix("abcd1234")); !slices.Equal(got, []string{key}) {
				t.Errorf("audit prefix holds %q, want only %s", got, key)
			}
			m, text = auditRawRecord(t, s, key)
			assertNoAuditSecret(t, "the finished record", text)
			want = map[string]any{
				"outcome": "ok", "verified": true, "duration_ms": 1500.0, "safety_snapshot": "abcd1234/pre-restore/20261120T140509Z-id1.sql.gz",
				"created": []any{`"My Schema"."a.b"`}, "cascaded": []any{"public.items"},
				"rows": []any{
					map[string]any{"table": "public.orders", "before": 90.0, "after": 120.0, "snapshot": 120.0, "deleted": 90.0, "inserted": 120.0, "updated": 0.0},
					map[string]any{"table": `"My Schema"."a.b"`, "before": 0.0, "after": 20.0, "snapshot": 20.0, "deleted": 0.0, "inserted": 20.0, "updated": 0.0},
					map[string]any{"table": "public.items", "before": 3.0, "after": 5.0, "snapshot": 5.0, "deleted": 3.0, "inserted": 5.0, "updated": 0.0},
				},
				"checks": []any{
					map[string]any{"table": "public.orders", "want": 120.0, "got": 120.0, "ok": true},
					map[string]any{"table": `"My Schema"."a.b"`, "want": 20.0, "got": 20.0, "ok": true},
					map[string]any{"table": "public.items", "want": 5.0, "got": 5.0, "ok": true},
				},
			}
			for k, v := range want {
				if fmt.Sprint(m[k]) != fmt.Sprint(v) {
					t.Errorf("finished record: %s = %v, want %v", k, m[k], v)
				}
			}
			if _, ok := m["error"]; ok {
				t.Errorf("a successful record has an error: %v", m["error"])
			}

			// Another restore a minute later that failed, one of another
			// project, an earlier dry run, a damaged record and a stray
			// object.
			later := newRecord(req, auditTime.Add(time.Minute))
			later.finish(&Result{}, errors.New("boom"))
			dry := req
			dry.DryRun = true
			earlier := newRecord(dry, auditTime.Add(-time.Hour))
			earlier.finish(&Result{}, nil)
			other := req
			other.Project = "efgh5678"
			for _, r := range []*Record{later, earlier, newRecord(other, auditTime)} {
				if _, err := writeRecord(ctx, s, r); err != nil {
					t.Fatal(err)
				}
			}
			damagedKey := catalog.AuditKey("abcd1234", auditTime.Add(-2*time.Hour), "deadbeef")
			storetest.Put(t, s, damagedKey, []byte("{not json"))
			storetest.Put(t, s, catalog.AuditPrefix("abcd1234")+"README.txt", []byte("not a record"))

			recs, err := ListRecords(ctx, s, "abcd1234")
			if err != nil {
				t.Fatalf("ListRecords: %v", err)
			}
			var ids, outcomes []string
			for _, r := range recs {
				ids = append(ids, r.ID)
				outcomes = append(outcomes, r.Outcome)
			}
			if wantIDs := []string{later.ID, rec.ID, earlier.ID, "deadbeef"}; !slices.Equal(ids, wantIDs) {
				t.Fatalf("ListRecords ids %q, want %q (newest first)", ids, wantIDs)
			}
			if wantOut := []string{"failed", "ok", "dry-run", "unreadable"}; !slices.Equal(outcomes, wantOut) {
				t.Errorf("outcomes %q, want %q", outcomes, wantOut)
			}
			if got := recs[1]; got.Key != key || auditRecordJSON(t, got) != auditRecordJSON(t, *rec) {
				t.Errorf("listed record (key %q):\n%s\nwant (key %q):\n%s", got.Key, auditRecordJSON(t, got), key, auditRecordJSON(t, *rec))
			}
			if d := recs[3]; d.Key != damagedKey || d.Project != "abcd1234" || !d.StartedAt.Equal(auditTime.Add(-2*time.Hour).Truncate(time.Second)) || !strings.Contains(d.Error, "cannot be read") {
				t.Errorf("damaged record listed as %+v", d)
			}

			found, err := FindRecord(ctx, s, "abcd1234", rec.ID)
			if err != nil || auditRecordJSON(t, found) != auditRecordJSON(t, *rec) || found.Key != key {
				t.Errorf("FindRecord = %s, %v", auditRecordJSON(t, found), err)
			}
			for _, c := range []struct{ ref, id string }{{"abcd1234", "0000beef"}, {"efgh5678", rec.ID}, {"abcd1234", ""}, {"abcd1234", "../x"}} {
				_, err := FindRecord(ctx, s, c.ref, c.id)
				if !errors.Is(err, ErrRecordNotFound) || !strings.Contains(err.Error(), "restorectl audit --project "+c.ref) {
					t.Errorf("FindRecord(%s, %q) = %v, want ErrRecordNotFound saying how to list them", c.ref, c.id, err)
				}
			}
			if recs, err := ListRecords(ctx, s, "nobody"); err != nil || len(recs) != 0 {
				t.Errorf("ListRecords of a project without records = %v, %v", recs, err)
			}
			if _, err := ListRecords(ctx, s, "../x"); err == nil {
				t.Error("ListRecords accepted an invalid ref")
			}
		})
	}
}

func TestAuditOutcome(t *testing.T) {
	refused := &RefusedError{Reasons: []string{"public.items references public.orders"}}
	cases := []struct {
		name   string
		dryRun bool
		err    error
		want   string
	}{
		{"ok", false, nil, OutcomeOK},
		{"dry run", true, nil, OutcomeDryRun},
		{"refused", false, refused, OutcomeRefused},
		{"refused dry run", true, refused, OutcomeRefused},
		{"refused wrapped", false, fmt.Errorf("overwrite abcd1234: %w", refused), OutcomeRefused},
		{"cancelled", false, fmt.Errorf("copy public.orders: %w", context.Canceled), OutcomeCancelled},
		{"deadline", false, fmt.Errorf("copy public.orders: %w", context.DeadlineExceeded), OutcomeCancelled},
		{"cancelled and audit write failed", false, errors.Join(context.Canceled, errors.New("write the outcome")), OutcomeCancelled},
		{"failed", false, &StatementError{Entry: &extract.Entry{Item: extract.Statement}, Err: errors.New("syntax error")}, OutcomeFailed},
		{"failed dry run", true, errors.New("connect: refused"), OutcomeFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := auditRequest()
			req.DryRun = c.dryRun
			rec := newRecord(req, auditTime)
			for _, res := range []*Result{auditResult(), {}, nil} {
				rec.finish(res, c.err)
				if rec.Outcome != c.want {
					t.Errorf("outcome %q, want %q", rec.Outcome, c.want)
				}
				if (c.err == nil) != (rec.Error == "") {
					t.Errorf("error %q for %v", rec.Error, c.err)
				}
			}
		})
	}
}

// Whatever the spelling of the target, and whatever an error says, the
// password never reaches the record.
func TestAuditRecordHasNoPassword(t *testing.T) {
	targets := []string{
		auditTarget,
		"postgresql://restorer@db.internal/abcd1234?password=" + url.QueryEscape(auditSecret),
		"host=db.internal user=restorer dbname=abcd1234 password='" + strings.ReplaceAll(auditSecret, `'`, `\'`) + "'",
	}
	errTexts := []string{
		"connect to %[1]s: refused",
		"password %[2]s rejected",
		"failed: %[3]s@host",
		"bad password=%[2]s for user",
	}
	s, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i, target := range targets {
		for j, et := range errTexts {
			req := auditRequest()
			req.Target = target
			rec := newRecord(req, auditTime.Add(time.Duration(i*10+j)*time.Second))
			res := auditResult()
			res.Database = &Database{Name: "newproj", URL: "postgres://admin:" + url.QueryEscape(auditSecret+"2") + "@cluster/newproj_tmp"}
			rec.finish(res, fmt.Errorf(et+" (admin %[4]s)", target, auditSecret, url.QueryEscape(auditSecret), res.Database.URL))
			key, err := writeRecord(t.Context(), s, rec)
			if err != nil {
				t.Fatal(err)
			}
			_, text := auditRawRecord(t, s, key)
			assertNoAuditSecret(t, fmt.Sprintf("the record of target %d, error %d", i, j), text)
			if rec.Error == "" || rec.Target == "" {
				t.Errorf("record lost its error or target: %+v", rec)
			}
		}
	}
}

// auditFailingStore refuses every write.
type auditFailingStore struct{ catalog.Store }

func (auditFailingStore) Create(context.Context, string) (catalog.ObjectWriter, error) {
	return nil, errors.New("access denied")
}

// Run writes no record for a request it refuses to start, and changes
// nothing when it cannot write the running record (the overwrite itself is
// never reached).
func TestRunAuditWiring(t *testing.T) {
	local, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	noTicket := auditRequest()
	noTicket.Ticket = ""
	badRef := auditRequest()
	badRef.Project = "../etc"
	noTables := auditRequest()
	noTables.Tables = nil
	for _, req := range []Request{noTicket, badRef, noTables, {Mode: Overwrite}} {
		res, err := Run(t.Context(), Config{Store: local}, req)
		if err == nil || res != nil {
			t.Errorf("Run(%+v) = %v, %v; want a validation error", req, res, err)
		} else {
			assertNoAuditSecret(t, "the validation error", err.Error())
		}
	}
	if keys := storetest.Keys(t, local, ""); len(keys) != 0 {
		t.Errorf("refused requests left %q in the store", keys)
	}

	res, err := Run(t.Context(), Config{Store: auditFailingStore{local}}, auditRequest())
	if err == nil || res != nil || !strings.Contains(err.Error(), "write the audit record") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("Run with a store that refuses writes = %v, %v", res, err)
	}
}
