package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

// hangBound is how long a call against a frozen endpoint may take with
// shortTimeouts (a few idle timeouts for the SDK's three attempts and its
// backoff, plus an abort): it detects a hang, it is not a benchmark.
const hangBound = 30 * time.Second

// shortTimeouts makes a frozen endpoint fail calls within seconds.
func shortTimeouts(opts catalog.Options) catalog.Options {
	opts.PartSize = testPartSize
	opts.S3DialTimeout = 2 * time.Second
	opts.S3IdleTimeout = time.Second
	opts.S3RequestTimeout = 2 * time.Second
	return opts
}

// bounded runs fn and fails the test if it does not return within
// hangBound (fn is left running; the test's cleanup thaws the server, which
// lets it finish).
func bounded(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if d := time.Since(start); d > hangBound {
			t.Errorf("call returned after %v against a frozen endpoint, want within %v", d, hangBound)
		}
		return err
	case <-time.After(2 * hangBound):
		t.Fatalf("call still hanging after %v against a frozen endpoint", 2*hangBound)
		return nil
	}
}

// assertTimeout checks that err is the failure of a call to a frozen
// endpoint: an error that says it timed out and is no cancellation.
func assertTimeout(t *testing.T, op string, err error) {
	t.Helper()
	t.Logf("%s: %v", op, err)
	switch {
	case err == nil:
		t.Errorf("%s against a frozen endpoint succeeded", op)
	case !strings.Contains(err.Error(), "timeout"):
		t.Errorf("%s: %v; want an error saying it timed out", op, err)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		t.Errorf("%s: %v wraps the context's error: it would read as the caller's own cancellation or deadline", op, err)
	}
}

// TestS3FrozenEndpoint: an endpoint that stops answering (SIGSTOP keeps its
// sockets open; the kernel still accepts connections and buffers data)
// fails every kind of call within a bounded time, mid-upload and
// mid-download included, with an error that says it timed out; and an
// upload whose abort fails too reports the abort's error.
func TestS3FrozenEndpoint(t *testing.T) {
	m := testenv.StartPrivateMinIO(t)
	bucket := m.CreateBucket(t)
	s, err := catalog.NewS3(t.Context(), bucket, "p", shortTimeouts(m.Options()))
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	// More than the socket buffers on both sides hold, so that a download
	// begun before the freeze must wait for the server.
	const bigSize = 48 << 20
	big := make([]byte, bigSize)
	rand.NewChaCha8([32]byte{1}).Read(big)
	storetest.Put(t, s, "ref/big", big)
	storetest.Put(t, s, "ref/small", []byte("small"))

	download, err := s.Open(t.Context(), "ref/big")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { download.Close() }) // after the parallel subtests
	if _, err := io.ReadFull(download, make([]byte, 1<<20)); err != nil {
		t.Fatalf("read the first MiB: %v", err)
	}
	upload, err := s.Create(t.Context(), "ref/upload")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := upload.Write(big[:2*testPartSize]); err != nil {
		t.Fatalf("Write: %v", err)
	}

	m.Freeze(t)
	tests := []struct {
		name string
		call func() error
	}{
		{"List", func() error {
			return s.List(t.Context(), "ref/", func(catalog.Object) error { return nil })
		}},
		{"Stat", func() error { _, err := s.Stat(t.Context(), "ref/small"); return err }},
		{"Open", func() error {
			rc, err := s.Open(t.Context(), "ref/small")
			if err == nil {
				_, err = io.ReadAll(rc)
				rc.Close()
			}
			return err
		}},
		{"OpenRange", func() error {
			rc, err := s.OpenRange(t.Context(), "ref/big", 10, 100)
			if err == nil {
				_, err = io.ReadAll(rc)
				rc.Close()
			}
			return err
		}},
		{"Delete", func() error { return s.Delete(t.Context(), "ref/small") }},
		{"small put", func() error {
			w, err := s.Create(t.Context(), "ref/audit.json")
			if err != nil {
				return err
			}
			w.Write([]byte("{}"))
			return w.Commit()
		}},
		{"read mid-download", func() error {
			_, err := io.Copy(io.Discard, download)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertTimeout(t, tt.name, bounded(t, tt.call))
		})
	}
	t.Run("write mid-upload", func(t *testing.T) {
		t.Parallel()
		err := bounded(t, func() error {
			for range 20 { // more than the socket buffers hold
				if _, err := upload.Write(big[:testPartSize]); err != nil {
					return errors.Join(err, upload.Abort())
				}
			}
			return upload.Commit()
		})
		assertTimeout(t, "upload", err)
		if err == nil || !strings.Contains(err.Error(), "abort upload") {
			t.Errorf("upload: %v; want it to report that aborting the multipart upload failed too", err)
		}
	})
}

// A download is bounded by the time a read waits, not by the time the
// caller spends between reads: a restore may pause on its database for
// longer than the idle timeout.
func TestS3IdleTimeoutSparesPausedReader(t *testing.T) {
	m := testenv.StartMinIO(t)
	s, err := catalog.NewS3(t.Context(), m.CreateBucket(t), "p", shortTimeouts(m.Options()))
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	data := make([]byte, 24<<20)
	rand.NewChaCha8([32]byte{2}).Read(data)
	storetest.Put(t, s, "ref/big", data)
	rc, err := s.Open(t.Context(), "ref/big")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatalf("read: %v", err)
	}
	time.Sleep(3 * time.Second) // three idle timeouts
	rest, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read after a pause: %v", err)
	}
	if !bytes.Equal(append(head, rest...), data) {
		t.Error("content differs")
	}
}

// In a versioned bucket (the platform's), an exclusive commit is refused
// where a current version exists, and a refused multipart commit leaves
// no upload behind.
func TestS3CreateExclusiveVersioned(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateVersionedBucket(t)
	s := newS3(t, m, bucket, "p")
	storetest.Put(t, s, "ref/20260101T000000Z.sql.gz", []byte("first"))
	for _, size := range []int{10, 3 * testPartSize} {
		w, err := s.CreateExclusive(t.Context(), "ref/20260101T000000Z.sql.gz")
		if err != nil {
			t.Fatalf("CreateExclusive: %v", err)
		}
		w.Write(make([]byte, size))
		if err := w.Commit(); !errors.Is(err, catalog.ErrExists) {
			t.Errorf("Commit of %d bytes = %v, want ErrExists", size, err)
		}
		if ups := multipartUploads(t, m, bucket); len(ups) != 0 {
			t.Errorf("multipart uploads left after a refused commit: %v", ups)
		}
	}
	var versions int
	err := s.(catalog.VersionLister).ListVersions(t.Context(), "ref/", func(catalog.Object) error { versions++; return nil })
	if err != nil || versions != 1 {
		t.Errorf("ListVersions: %d versions, %v; want the first one only", versions, err)
	}
}

// SweepPartial aborts the project's multipart uploads older than the age
// given, and nothing else.
func TestS3SweepPartial(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateBucket(t)
	s := newS3(t, m, bucket, "p")
	start := func(key string) {
		t.Helper()
		_, err := m.Client().CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatalf("CreateMultipartUpload %s: %v", key, err)
		}
	}
	start("p/ref/20260101T000000Z.sql.gz")
	start("p/ref2/20260101T000000Z.sql.gz") // another project
	start("p/other/20260101T000000Z.sql.gz")
	time.Sleep(2 * time.Second)
	start("p/ref/20260102T000000Z.sql.gz") // a backup running now
	n, err := s.(catalog.PartialSweeper).SweepPartial(t.Context(), "ref/", time.Second)
	if err != nil || n != 1 {
		t.Errorf("SweepPartial = %d, %v; want 1", n, err)
	}
	got := multipartUploads(t, m, bucket)
	slices.Sort(got)
	want := []string{"p/other/20260101T000000Z.sql.gz", "p/ref/20260102T000000Z.sql.gz", "p/ref2/20260101T000000Z.sql.gz"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("uploads left: %q, want %q", got, want)
	}
}
