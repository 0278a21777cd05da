package backupjob

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/powabase/restorectl/internal/dump/dumptest"
)

func TestAlertRetries(t *testing.T) {
	alertBackoff = []time.Duration{time.Millisecond}
	for _, tc := range []struct {
		name     string
		status   []int
		requests int
		failed   bool
	}{
		{"ok", nil, 1, false},
		{"5xx then ok", []int{http.StatusBadGateway}, 2, false},
		{"429 then ok", []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}, 3, false},
		{"always 5xx", []int{500, 500, 500, 500}, 3, true},
		{"4xx is not retried", []int{http.StatusNotFound}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook := newWebhook(t, tc.status...)
			var logs logBuffer
			// A failing pg_dump, so that there is something to alert.
			cfg := Config{Store: localStore(t), PgDump: dumptest.FakePgDump(t, "echo 'pg_dump: error: boom' >&2; exit 1\n"),
				Webhook: hook.URL + "/services/T0/B0/tok3n", Logger: newLogger(&logs)}
			res := BackupProject(t.Context(), cfg, Project{Ref: "p"})
			if res.Stage != StageDump || !strings.Contains(res.Err.Error(), "pg_dump: error: boom") {
				t.Fatalf("stage %s err %v", res.Stage, res.Err)
			}
			if n := len(hook.alerts(t)); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			lines := logs.lines(t)
			if got := len(lines) == 2 && lines[1]["msg"] == "alert webhook failed"; got != tc.failed {
				t.Errorf("webhook failure logged = %v, want %v:\n%s", got, tc.failed, logs.String())
			}
			if strings.Contains(logs.String(), "tok3n") {
				t.Errorf("webhook URL logged:\n%s", logs.String())
			}
		})
	}
}

func TestAlertUnreachableWebhook(t *testing.T) {
	alertBackoff = []time.Duration{time.Millisecond}
	hook := newWebhook(t)
	url := hook.URL + "/secret-token"
	hook.Close() // nothing listens there any more
	var logs logBuffer
	cfg := Config{Store: localStore(t), PgDump: dumptest.FakePgDump(t, "exit 2\n"), Webhook: url, Logger: newLogger(&logs)}
	res := BackupProject(t.Context(), cfg, Project{Ref: "p"})
	if res.Stage != StageDump || res.Err == nil || strings.Contains(res.Err.Error(), "webhook") {
		t.Fatalf("stage %s err %v: the webhook failure must not mask the backup error", res.Stage, res.Err)
	}
	if !strings.Contains(res.Err.Error(), "pg_dump printed nothing") {
		t.Errorf("err = %v", res.Err)
	}
	lines := logs.lines(t)
	if len(lines) != 2 || lines[0]["msg"] != "backup failed" || lines[1]["msg"] != "alert webhook failed" {
		t.Errorf("log:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "secret-token") {
		t.Errorf("webhook URL logged:\n%s", logs.String())
	}
}
