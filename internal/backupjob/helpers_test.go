package backupjob

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/dump/dumptest"
	"github.com/powabase/restorectl/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const secret = dumptest.Secret

var fixedTime = dumptest.FixedTime

// localStore is a fresh local store in a temp dir.
func localStore(t *testing.T) catalog.Store {
	t.Helper()
	s, err := catalog.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// minioStore is a fresh bucket on the shared MinIO server, with the minimum
// part size so that multipart uploads are exercised.
func minioStore(t *testing.T) (catalog.Store, *testenv.MinIO, string) {
	t.Helper()
	m := testenv.StartMinIO(t)
	bucket := m.CreateBucket(t)
	opts := m.Options()
	opts.PartSize = 5 << 20
	s, err := catalog.Open(t.Context(), "s3://"+bucket+"/backups", opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, m, bucket
}

// listKeys lists every object in the store.
func listKeys(t *testing.T, s catalog.Store) []string { return storetest.Keys(t, s, "") }

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes the log lines.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func newLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, nil))
}

// webhook is a local alert receiver.
type webhook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	status []int // status to answer for the n-th request; 200 after that
}

func newWebhook(t *testing.T, status ...int) *webhook {
	w := &webhook{status: status}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		n := len(w.bodies)
		w.bodies = append(w.bodies, body)
		w.mu.Unlock()
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook Content-Type = %q", r.Header.Get("Content-Type"))
		}
		if n < len(w.status) {
			rw.WriteHeader(w.status[n])
			return
		}
		rw.Write([]byte("ok"))
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhook) alerts(t *testing.T) []map[string]any {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	for _, b := range w.bodies {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("alert is not JSON: %q", b)
		}
		out = append(out, m)
	}
	return out
}

func (w *webhook) raw() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(bytes.Join(w.bodies, []byte("\n")))
}

// restore runs `gunzip -c snapshot | psql -v ON_ERROR_STOP=1` into a new
// database, exactly as the platform's runbook restores a snapshot, and
// returns the database's name.
func restore(t *testing.T, pg *testenv.Postgres, s catalog.Store, key string) string {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	db, url := pg.CreateDatabase(t)
	gunzip := exec.CommandContext(t.Context(), "gunzip", "-c")
	gunzip.Stdin = rc
	var gunzipErr bytes.Buffer
	gunzip.Stderr = &gunzipErr
	psql := exec.CommandContext(t.Context(), pg.Bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url)
	if psql.Stdin, err = gunzip.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if err := gunzip.Start(); err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, psqlErr := psql.CombinedOutput()
	if err := gunzip.Wait(); err != nil {
		t.Fatalf("gunzip -c %s: %v\n%s", key, err, gunzipErr.String())
	}
	if psqlErr != nil {
		t.Fatalf("restore %s with psql: %v\n%s", key, psqlErr, out)
	}
	return db
}

// query runs sql with psql and returns its unaligned output.
func query(t *testing.T, pg *testenv.Postgres, db, sql string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), pg.Bin("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", pg.URL(db), "-c", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// multipartUploads counts the bucket's unfinished multipart uploads.
func multipartUploads(t *testing.T, m *testenv.MinIO, bucket string) int {
	out, err := m.Client().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Errorf("list multipart uploads: %v", err)
		return 0
	}
	return len(out.Uploads)
}
