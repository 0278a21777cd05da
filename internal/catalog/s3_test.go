package catalog_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/catalog/storetest"
	"github.com/powabase/restorectl/internal/testenv"
)

// testPartSize is S3's minimum, so that storetest.LargeSize takes 3 parts.
const testPartSize = 5 << 20

func TestS3Store(t *testing.T) {
	for _, prefix := range []string{"backups/daily", ""} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) catalog.Store {
				m := testenv.StartMinIO(t)
				return newS3(t, m, m.CreateBucket(t), prefix)
			})
		})
	}
}

func newS3(t *testing.T, m *testenv.MinIO, bucket, prefix string) catalog.Store {
	t.Helper()
	opts := m.Options()
	opts.PartSize = testPartSize
	s, err := catalog.NewS3(t.Context(), bucket, prefix, opts)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	return s
}

// An upload aborted after some parts were sent, or whose context was
// cancelled, leaves no multipart upload behind to be billed for.
func TestS3AbortLeavesNoMultipartUpload(t *testing.T) {
	m := testenv.StartMinIO(t)
	for _, cancelFirst := range []bool{false, true} {
		bucket := m.CreateBucket(t)
		s := newS3(t, m, bucket, "p")
		ctx, cancel := context.WithCancel(t.Context())
		w, err := s.Create(ctx, "ref/20260101T000000Z.sql.gz")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		w.Write(make([]byte, 3*testPartSize))
		if n := len(multipartUploads(t, m, bucket)); n != 1 {
			t.Fatalf("%d multipart uploads in progress, want 1", n)
		}
		if cancelFirst {
			cancel()
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		cancel()
		if ups := multipartUploads(t, m, bucket); len(ups) != 0 {
			t.Errorf("cancelled=%v: multipart uploads left after Abort: %v", cancelFirst, ups)
		}
		if keys := rawKeys(t, m, bucket); len(keys) != 0 {
			t.Errorf("cancelled=%v: objects left after Abort: %q", cancelFirst, keys)
		}
	}
}

// An object smaller than a part is sent with one PutObject: no multipart
// upload exists while it is written.
func TestS3SmallObjectNeedsNoMultipartUpload(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateBucket(t)
	s := newS3(t, m, bucket, "p")
	w, err := s.Create(t.Context(), "ref/small")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	w.Write(make([]byte, testPartSize)) // exactly one part still fits
	if ups := multipartUploads(t, m, bucket); len(ups) != 0 {
		t.Errorf("multipart upload started for a one-part object: %v", ups)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if keys := rawKeys(t, m, bucket); len(keys) != 1 || keys[0] != "p/ref/small" {
		t.Errorf("bucket holds %q, want [p/ref/small]", keys)
	}
}

// Keys live under the store's prefix; objects beside it (or a console's
// "folder" marker) are not the store's.
func TestS3Prefix(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateBucket(t)
	// (No object "p": MinIO cannot hold both "p" and "p/...".)
	for _, k := range []string{"p/", "pq/1", "other/1"} {
		putRaw(t, m, bucket, k)
	}
	s := newS3(t, m, bucket, "/p/")
	if want := "s3://" + bucket + "/p"; s.String() != want {
		t.Errorf("String() = %q, want %q", s.String(), want)
	}
	w, _ := s.Create(t.Context(), "ref/1")
	w.Write([]byte("x"))
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	var keys []string
	s.List(t.Context(), "", func(o catalog.Object) error { keys = append(keys, o.Key); return nil })
	if len(keys) != 1 || keys[0] != "ref/1" {
		t.Errorf("List = %q, want [ref/1]", keys)
	}
	o, err := s.Stat(t.Context(), "ref/1")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if o.ETag == "" || strings.Contains(o.ETag, `"`) {
		t.Errorf("Stat ETag = %q, want it without quotes", o.ETag)
	}
}

// Errors name the operation and the object, never the credentials, also
// when the bucket disappears after the store was opened.
func TestS3Errors(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateBucket(t)
	s := newS3(t, m, bucket, "p")
	if _, err := m.Client().DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.String(), m.SecretKey) || strings.Contains(s.String(), m.AccessKey) {
		t.Errorf("String() = %q shows credentials", s.String())
	}
	for _, size := range []int{10, 2 * testPartSize} {
		w, err := s.Create(t.Context(), "ref/1")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		_, err = w.Write(make([]byte, size))
		if err == nil {
			err = w.Commit()
		}
		if err == nil {
			t.Fatal("upload into a missing bucket succeeded")
		}
		msg := err.Error()
		if want := "s3://" + bucket + "/p/ref/1"; !strings.Contains(msg, want) || strings.Contains(msg, m.SecretKey) {
			t.Errorf("error %q should name %s and no secret", msg, want)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("Abort: %v", err)
		}
	}
}

func multipartUploads(t *testing.T, m *testenv.MinIO, bucket string) []string {
	t.Helper()
	out, err := m.Client().ListMultipartUploads(context.WithoutCancel(t.Context()), &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

func rawKeys(t *testing.T, m *testenv.MinIO, bucket string) []string {
	t.Helper()
	out, err := m.Client().ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func putRaw(t *testing.T, m *testenv.MinIO, bucket, key string) {
	t.Helper()
	_, err := m.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(nil)})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
}

// Writing an object of many parts allocates a few part buffers, not memory
// in proportion to the object: at most maxInFlight+1 = 3 parts, plus the
// first part's gradual growth.
func TestS3WriterMemoryBounded(t *testing.T) {
	m := testenv.StartMinIO(t)
	s := newS3(t, m, m.CreateBucket(t), "p")
	chunk := make([]byte, 1<<20)
	const size = 20 * testPartSize
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w, err := s.Create(t.Context(), "ref/big")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for range size / len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("writing %d MiB allocated %d MiB", size>>20, allocated>>20)
	if allocated > 8*testPartSize {
		t.Errorf("writing %d MiB allocated %d MiB, want at most %d MiB", size>>20, allocated>>20, 8*testPartSize>>20)
	}
	if o, err := s.Stat(t.Context(), "ref/big"); err != nil || o.Size != size {
		t.Errorf("Stat = %+v, %v; want size %d", o, err, size)
	}
}

// A part upload that fails in the background fails the next Write or
// Commit, naming the object and the part.
func TestS3PartUploadErrorSurfaces(t *testing.T) {
	m := testenv.StartMinIO(t)
	bucket := m.CreateBucket(t)
	s := newS3(t, m, bucket, "p")
	w, err := s.Create(t.Context(), "ref/1")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	w.Write(make([]byte, testPartSize+1)) // the first part is on its way
	ups, err := m.Client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil || len(ups.Uploads) != 1 {
		t.Fatalf("ListMultipartUploads = %v, %v; want one upload", ups, err)
	}
	_, err = m.Client().AbortMultipartUpload(t.Context(), &s3.AbortMultipartUploadInput{
		Bucket: &bucket, Key: ups.Uploads[0].Key, UploadId: ups.Uploads[0].UploadId,
	})
	if err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	_, err = w.Write(make([]byte, 2*testPartSize))
	if err == nil {
		err = w.Commit()
	}
	if err == nil || !strings.Contains(err.Error(), "upload s3://"+bucket+"/p/ref/1 part ") {
		t.Errorf("Write/Commit = %v, want a failed part upload of s3://%s/p/ref/1", err, bucket)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort: %v", err)
	}
	if keys := rawKeys(t, m, bucket); len(keys) != 0 {
		t.Errorf("objects left: %q", keys)
	}
}

// Opening a store that cannot work fails at once, saying what to check,
// before a backup dumps a whole database for nothing.
func TestS3OpenChecksBucket(t *testing.T) {
	m := testenv.StartMinIO(t)
	tests := []struct {
		name   string
		bucket string
		mutate func(*catalog.Options)
		want   string
	}{
		{"missing bucket", "no-such-bucket-here", nil, `bucket "no-such-bucket-here" does not exist`},
		{"wrong credentials", m.CreateBucket(t), func(o *catalog.Options) {
			o.S3Credentials = credentials.NewStaticCredentialsProvider("nobody", "wrong-secret", "")
		}, "access denied"},
		{"unreachable endpoint", "any", func(o *catalog.Options) { o.S3Endpoint = "http://127.0.0.1:1" }, "cannot reach S3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := m.Options()
			if tt.mutate != nil {
				tt.mutate(&opts)
			}
			_, err := catalog.NewS3(t.Context(), tt.bucket, "p", opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewS3: %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "wrong-secret") || strings.Contains(err.Error(), m.SecretKey) {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}
