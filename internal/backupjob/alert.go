package backupjob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/powabase/restorectl/internal/dump"
)

const (
	alertAttempts       = 3
	alertAttemptTimeout = 10 * time.Second
	alertTotalTimeout   = 25 * time.Second
)

// alertBackoff is the pause before the 2nd, 3rd, ... attempt (a variable so
// tests can shorten it).
var alertBackoff = []time.Duration{500 * time.Millisecond, 2 * time.Second}

// alert is the JSON body POSTed to Config.Webhook. Text makes it a valid
// Slack incoming-webhook message; the other fields are for machines.
type alert struct {
	Text            string    `json:"text"`
	Project         string    `json:"project,omitempty"`
	Outcome         string    `json:"outcome"` // OutcomeFailed or OutcomeCancelled
	Stage           string    `json:"stage"`
	Error           string    `json:"error"`
	RawBytes        int64     `json:"raw_bytes"`
	CompressedBytes int64     `json:"compressed_bytes"`
	Key             string    `json:"key,omitempty"`
	StartedAt       time.Time `json:"started_at"`
	DurationMS      int64     `json:"duration_ms"`
	Projects        []string  `json:"projects,omitempty"` // for the "not started" alert of Run
	Committed       bool      `json:"committed"`          // the snapshot was stored (and kept) all the same
}

func alertResult(ctx context.Context, cfg Config, r Result) {
	text := fmt.Sprintf("restorectl backup FAILED for project %s at stage %s: %v", r.Ref, r.Stage, r.Err)
	if r.Cancelled() {
		// Stopped (SIGTERM, deadline), not broken: still no new snapshot.
		text = fmt.Sprintf("restorectl backup CANCELLED for project %s: %v", r.Ref, r.Err)
	}
	sendAlert(ctx, cfg, alert{
		Text:            text,
		Project:         r.Ref,
		Outcome:         r.Outcome(),
		Committed:       r.Committed,
		Stage:           r.Stage,
		Error:           r.Err.Error(),
		RawBytes:        r.RawBytes,
		CompressedBytes: r.CompressedBytes,
		Key:             r.Key,
		StartedAt:       r.Started.UTC(),
		DurationMS:      r.Duration.Milliseconds(),
	})
}

// sendAlert POSTs a to cfg.Webhook, retrying network errors, 429 and 5xx. It
// runs even when ctx is cancelled (a SIGTERM'd backup still alerts), within
// alertTotalTimeout. A failure is logged, never returned: it must not mask
// the backup's own error.
func sendAlert(ctx context.Context, cfg Config, a alert) {
	body, err := json.Marshal(a)
	if err != nil {
		cfg.Logger.Error("alert webhook failed", "project", a.Project, "error", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), alertTotalTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		err = postAlert(ctx, cfg, body)
		var perm permanentError
		if err == nil || errors.As(err, &perm) || attempt+1 >= alertAttempts {
			break
		}
		select {
		case <-time.After(alertBackoff[min(attempt, len(alertBackoff)-1)]):
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		cfg.Logger.Error("alert webhook failed", "project", a.Project, "stage", a.Stage, "error", dump.Redact(err.Error()))
	}
}

type permanentError struct{ error }

func postAlert(ctx context.Context, cfg Config, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, alertAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.Webhook, bytes.NewReader(body))
	if err != nil {
		return permanentError{errors.New("invalid alert webhook URL")} // the URL holds a token: never quote it
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the webhook URL
		}
		return fmt.Errorf("POST to alert webhook: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("alert webhook answered %s: %s", resp.Status, bytes.TrimSpace(msg))
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return err
	}
	return permanentError{err}
}
