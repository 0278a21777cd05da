package catalog

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// DefaultPartSize is the S3 multipart part size unless Options.PartSize
// says otherwise.
const DefaultPartSize = 16 << 20

const (
	minPartSize = 5 << 20 // S3's minimum for all but the last part
	maxPartSize = 5 << 30 // S3's maximum part size
	maxParts    = 10000   // S3's maximum number of parts

	// The part size doubles every partsPerDoubling parts, so 10,000 parts
	// hold 62,000 × the base part size (968 GiB at the default) while
	// smaller objects keep small parts.
	partsPerDoubling = 2000

	// maxInFlight part uploads run in the background while the next part
	// fills, so a writer holds at most maxInFlight+1 part buffers.
	maxInFlight = 2

	// cleanupTimeout bounds aborting a multipart upload, which runs even
	// after the caller's context was cancelled, unless the per-request
	// timeout is shorter: a pod has 30 s between SIGTERM and SIGKILL.
	cleanupTimeout = 30 * time.Second

	// smallBody is the largest PutObject body that counts as a small
	// request (bounded by the per-request timeout): audit records and most
	// indexes. Larger ones stream, bounded by the idle timeout.
	smallBody = 1 << 20
)

// s3Store keeps objects in a bucket under prefix.
type s3Store struct {
	client   *s3.Client
	bucket   string
	prefix   string // without slashes at either end; may be empty
	partSize int64
	timeouts s3Timeouts
}

var (
	_ Store          = (*s3Store)(nil)
	_ VersionLister  = (*s3Store)(nil)
	_ PartialSweeper = (*s3Store)(nil)
)

// NewS3 opens the bucket's prefix as a Store. Credentials and region come
// from the AWS SDK's standard chain unless opts provides them. It checks the
// bucket once (HeadBucket), so that a wrong bucket, wrong credentials or an
// unreachable endpoint fail before any work starts, with a message saying
// which. Every request is bounded in time (see Options.S3IdleTimeout and
// Options.S3RequestTimeout), so an endpoint that stops answering fails the
// call instead of hanging it.
func NewS3(ctx context.Context, bucket, prefix string, opts Options) (Store, error) {
	if bucket == "" {
		return nil, errors.New("s3 store: no bucket")
	}
	partSize := opts.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < minPartSize || partSize > maxPartSize {
		return nil, fmt.Errorf("s3 store: part size %d out of range [%d, %d]", partSize, minPartSize, maxPartSize)
	}
	timeouts, err := newS3Timeouts(opts)
	if err != nil {
		return nil, err
	}
	// The SDK's own log lines ("WARN falling back to IMDSv1" without
	// credentials) would land on the user's stderr; its errors say enough.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(logging.Nop{}))
	if err != nil {
		return nil, fmt.Errorf("s3 store s3://%s: load AWS configuration: %w", bucket, err)
	}
	if opts.S3Credentials != nil {
		cfg.Credentials = opts.S3Credentials
		// The S3 client calls its provider on every request; only a cache
		// makes refreshing providers (assume-role, SSO) fetch once.
		if _, cached := cfg.Credentials.(*aws.CredentialsCache); !cached {
			cfg.Credentials = aws.NewCredentialsCache(cfg.Credentials)
		}
	}
	if cfg.Region == "" {
		cfg.Region = cmp.Or(opts.S3Region, "us-east-1")
	}
	// S3-compatible servers (MinIO, Ceph, R2) may lack the CRC checksums
	// that the SDK sends and checks by default.
	cfg.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	cfg.HTTPClient = newS3HTTPClient(cfg.HTTPClient, timeouts)
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.S3Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.S3Endpoint)
			o.UsePathStyle = true
		}
	})
	s := &s3Store{client: client, bucket: bucket, prefix: strings.Trim(prefix, "/"), partSize: partSize, timeouts: timeouts}
	if err := s.checkBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *s3Store) checkBucket(ctx context.Context) error {
	rctx, cancel := s.small(ctx)
	defer cancel()
	_, err := s.client.HeadBucket(rctx, &s3.HeadBucketInput{Bucket: &s.bucket})
	err = timedOut(rctx, err)
	var status interface{ HTTPStatusCode() int }
	switch {
	case err == nil:
		return nil
	case errors.As(err, &status) && status.HTTPStatusCode() == http.StatusNotFound:
		return &StoreError{Store: s.String(), Problem: StoreMissing, Detail: fmt.Sprintf("bucket %q does not exist", s.bucket),
			Hint: "check the bucket name in --store (or RESTORECTL_STORE), and that AWS_ENDPOINT_URL_S3 and AWS_REGION name the S3 that holds it"}
	case errors.As(err, &status) && status.HTTPStatusCode() == http.StatusForbidden:
		// S3 answers 403 for a bucket of another account too, so the
		// bucket's name is as likely to be wrong as the credentials.
		return &StoreError{Store: s.String(), Problem: StoreDenied, Detail: fmt.Sprintf("access denied to bucket %q", s.bucket),
			Hint: "the credentials may not list it (s3:ListBucket): check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, the pod's role) and the bucket name", Err: err}
	default:
		return fmt.Errorf("open %s: cannot reach S3: check AWS_ENDPOINT_URL_S3, AWS_REGION and the network: %w", s, err)
	}
}

func (s *s3Store) String() string {
	if s.prefix == "" {
		return "s3://" + s.bucket
	}
	return "s3://" + s.bucket + "/" + s.prefix
}

// objectKey maps a store key (or key prefix) onto the S3 object key.
func (s *s3Store) objectKey(key string) string {
	if s.prefix == "" {
		return key
	}
	return s.prefix + "/" + key
}

// url names an object in messages.
func (s *s3Store) url(objectKey string) string { return "s3://" + s.bucket + "/" + objectKey }

// requestTimeoutError says that a small request got no answer within the
// per-request timeout. It reports Timeout() like a network timeout.
type requestTimeoutError struct{ timeout time.Duration }

func (e *requestTimeoutError) Error() string {
	return fmt.Sprintf("S3 request timeout: no answer within %v (the endpoint is unreachable or stuck)", e.timeout)
}

func (e *requestTimeoutError) Timeout() bool { return true }

// small bounds a request that moves little data by the per-request
// timeout.
func (s *s3Store) small(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.timeouts.request, &requestTimeoutError{s.timeouts.request})
}

// timedOut replaces err by the per-request timeout if that is why rctx
// (from small) ended; the SDK itself only says "context deadline
// exceeded", which would read as the caller's own deadline, so its error
// is kept as text only. Call it before rctx's cancel function.
func timedOut(rctx context.Context, err error) error {
	var rt *requestTimeoutError
	if err != nil && errors.As(context.Cause(rctx), &rt) {
		return fmt.Errorf("%w: %v", rt, err)
	}
	return err
}

func (s *s3Store) Create(ctx context.Context, key string) (ObjectWriter, error) {
	return s.create(ctx, key, false)
}

// CreateExclusive commits with If-None-Match: *, which S3 (since 2024) and
// MinIO evaluate atomically with the write.
func (s *s3Store) CreateExclusive(ctx context.Context, key string) (ObjectWriter, error) {
	return s.create(ctx, key, true)
}

func (s *s3Store) create(ctx context.Context, key string, exclusive bool) (ObjectWriter, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	return &s3Writer{
		s:         s,
		key:       s.objectKey(key),
		parent:    ctx,
		ctx:       wctx,
		cancel:    cancel,
		partNum:   1,
		inflight:  make(chan struct{}, maxInFlight),
		exclusive: exclusive,
	}, nil
}

func (s *s3Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	ok := s.objectKey(key)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &ok})
	if err != nil {
		return nil, s.opErr("open", ok, err)
	}
	return out.Body, nil
}

func (s *s3Store) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	if err := checkRange(key, offset, length); err != nil {
		return nil, err
	}
	if length == 0 {
		// S3 has no empty range; still report a missing object.
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	rng := fmt.Sprintf("bytes=%d-", offset)
	if length > 0 {
		rng += strconv.FormatInt(offset+length-1, 10)
	}
	ok := s.objectKey(key)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &ok, Range: &rng})
	if err != nil {
		if isInvalidRange(err) {
			// The range starts at or past the end: nothing to read.
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, s.opErr("read "+rng+" of", ok, err)
	}
	return out.Body, nil
}

// isInvalidRange reports whether err is S3's answer to a range that starts
// past the object's end (416 InvalidRange).
func isInvalidRange(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidRange" {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable
}

func (s *s3Store) Stat(ctx context.Context, key string) (Object, error) {
	if err := validateKey(key); err != nil {
		return Object{}, err
	}
	ok := s.objectKey(key)
	rctx, cancel := s.small(ctx)
	defer cancel()
	out, err := s.client.HeadObject(rctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &ok})
	if err != nil {
		return Object{}, s.opErr("stat", ok, timedOut(rctx, err))
	}
	return Object{
		Key:       key,
		Size:      aws.ToInt64(out.ContentLength),
		ModTime:   aws.ToTime(out.LastModified),
		ETag:      strings.Trim(aws.ToString(out.ETag), `"`),
		VersionID: aws.ToString(out.VersionId),
	}, nil
}

func (s *s3Store) List(ctx context.Context, prefix string, fn func(Object) error) error {
	root := s.objectKey("")
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: &s.bucket,
		Prefix: aws.String(s.objectKey(prefix)),
	})
	for pages.HasMorePages() {
		rctx, cancel := s.small(ctx)
		page, err := pages.NextPage(rctx)
		err = timedOut(rctx, err)
		cancel()
		if err != nil {
			return fmt.Errorf("list %s: %w", s.url(s.objectKey(prefix)), err)
		}
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), root)
			if validateKey(key) != nil {
				continue // "folder" markers and keys this store could not address
			}
			err := fn(Object{
				Key:     key,
				Size:    aws.ToInt64(o.Size),
				ModTime: aws.ToTime(o.LastModified),
				ETag:    strings.Trim(aws.ToString(o.ETag), `"`),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// ListDirs is a delimiter listing: S3 returns each folder once, as a
// common prefix, however many objects it holds.
func (s *s3Store) ListDirs(ctx context.Context, prefix string, fn func(name string) error) error {
	if err := checkDirPrefix(prefix); err != nil {
		return fmt.Errorf("list folders of %s: %w", s, err)
	}
	under := s.objectKey(prefix)
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket:    &s.bucket,
		Prefix:    aws.String(under),
		Delimiter: aws.String("/"),
	})
	for pages.HasMorePages() {
		rctx, cancel := s.small(ctx)
		page, err := pages.NextPage(rctx)
		err = timedOut(rctx, err)
		cancel()
		if err != nil {
			return fmt.Errorf("list folders of %s: %w", s.url(under), err)
		}
		for _, p := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(p.Prefix), under), "/")
			if validateKey(name) != nil || strings.Contains(name, "/") {
				continue // "a//b" and other names this store could not address
			}
			if err := fn(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// ListVersions pages through ListObjectVersions by hand: this SDK version
// has no paginator for it.
func (s *s3Store) ListVersions(ctx context.Context, prefix string, fn func(Object) error) error {
	in := &s3.ListObjectVersionsInput{Bucket: &s.bucket, Prefix: aws.String(s.objectKey(prefix))}
	for {
		rctx, cancel := s.small(ctx)
		page, err := s.client.ListObjectVersions(rctx, in)
		err = timedOut(rctx, err)
		cancel()
		if err != nil {
			return fmt.Errorf("list versions of %s: check that the credentials may list object versions (s3:ListBucketVersions): %w", s.url(s.objectKey(prefix)), err)
		}
		for _, v := range page.Versions {
			if err := s.emitVersion(v, fn); err != nil {
				return err
			}
		}
		if !aws.ToBool(page.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	}
}

// emitVersion passes one listed version to fn, unless the store cannot
// address its key.
func (s *s3Store) emitVersion(v types.ObjectVersion, fn func(Object) error) error {
	key := strings.TrimPrefix(aws.ToString(v.Key), s.objectKey(""))
	if validateKey(key) != nil {
		return nil // "folder" markers and keys this store could not address
	}
	id := aws.ToString(v.VersionId)
	if id == "null" {
		id = "" // written while versioning was off: reading needs no id
	}
	return fn(Object{
		Key:        key,
		Size:       aws.ToInt64(v.Size),
		ModTime:    aws.ToTime(v.LastModified),
		ETag:       strings.Trim(aws.ToString(v.ETag), `"`),
		VersionID:  id,
		Noncurrent: !aws.ToBool(v.IsLatest),
	})
}

func (s *s3Store) OpenVersion(ctx context.Context, key, versionID string) (io.ReadCloser, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	ok := s.objectKey(key)
	in, op := &s3.GetObjectInput{Bucket: &s.bucket, Key: &ok}, "open"
	if versionID != "" {
		in.VersionId, op = &versionID, "open version "+versionID+" of"
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, s.opErr(op, ok, err)
	}
	return out.Body, nil
}

func (s *s3Store) Delete(ctx context.Context, key string) error {
	if err := validateKey(key); err != nil {
		return err
	}
	ok := s.objectKey(key)
	rctx, cancel := s.small(ctx)
	defer cancel()
	_, err := s.client.DeleteObject(rctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &ok})
	err = timedOut(rctx, err)
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %s: %w", s.url(ok), err)
	}
	return nil
}

// opErr names the operation and object, and maps "no such key" onto
// ErrNotFound.
func (s *s3Store) opErr(op, objectKey string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%s %s: %w", op, s.url(objectKey), ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, s.url(objectKey), err)
}

// isNotFound reports whether err says the object does not exist. HeadObject
// has no error body, so a bare 404 counts too; a missing bucket does not.
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchVersion":
			return true
		case "NoSuchBucket":
			return false
		}
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == http.StatusNotFound
}

// partSize is the size of part number n (from 1) for base part size base.
func partSize(base int64, n int32) int64 {
	return min(base<<((n-1)/partsPerDoubling), maxPartSize)
}

// s3Writer streams an object to S3 in bounded memory: a single PutObject if
// it fits in one part, otherwise a multipart upload whose parts are uploaded
// in the background while the next one fills. Not safe for concurrent use.
type s3Writer struct {
	s      *s3Store
	key    string          // S3 object key
	parent context.Context // the caller's; cleanup outlives its cancellation
	ctx    context.Context // cancelled by Abort and by a failed part upload
	cancel context.CancelFunc

	buf       []byte // the part being filled
	partNum   int32  // the number of the part in buf
	uploadID  string // empty until the first part is full
	done      bool   // Commit or Abort was called
	exclusive bool   // commit only if no object exists at key

	inflight chan struct{} // one token per part upload in flight
	wg       sync.WaitGroup

	mu    sync.Mutex // guards the fields below, shared with part uploads
	parts []types.CompletedPart
	err   error    // the first part upload's failure
	free  [][]byte // part buffers to reuse
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errWriterClosed
	}
	written := 0
	for len(p) > 0 {
		if err := w.failed(); err != nil {
			return written, err
		}
		size := partSize(w.s.partSize, w.partNum)
		if int64(len(w.buf)) == size {
			if w.partNum == maxParts {
				return written, fmt.Errorf("upload %s: object too large: more than %d parts", w.s.url(w.key), maxParts)
			}
			if err := w.flush(); err != nil {
				return written, err
			}
			continue
		}
		n := int(min(int64(len(p)), size-int64(len(w.buf))))
		w.grow(n, size)
		w.buf = append(w.buf, p[:n]...)
		p = p[n:]
		written += n
	}
	return written, nil
}

// failed returns why the writer can no longer succeed, if it cannot.
func (w *s3Writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return w.ctx.Err()
}

// grow makes room for n more bytes in buf, whose part holds size bytes. A
// first part grows gradually, so small objects (sidecars, audit records)
// never allocate a whole part; later parts reuse uploaded parts' buffers.
func (w *s3Writer) grow(n int, size int64) {
	if cap(w.buf)-len(w.buf) >= n {
		return
	}
	if w.partNum > 1 {
		if w.buf = w.reuse(size); w.buf == nil {
			w.buf = make([]byte, 0, size)
		}
		return
	}
	newCap := min(size, int64(max(2*cap(w.buf), len(w.buf)+n, 64<<10)))
	w.buf = append(make([]byte, 0, newCap), w.buf...)
}

// reuse returns a free buffer that holds size bytes, or nil.
func (w *s3Writer) reuse(size int64) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.free) > 0 {
		b := w.free[len(w.free)-1]
		w.free = w.free[:len(w.free)-1]
		if int64(cap(b)) >= size {
			return b[:0]
		}
	}
	return nil
}

// flush starts uploading buf as the next part, starting the multipart upload
// first if needed. It waits while maxInFlight uploads are running, which
// bounds memory to maxInFlight+1 parts.
func (w *s3Writer) flush() error {
	if w.uploadID == "" {
		rctx, cancel := w.s.small(w.ctx)
		out, err := w.s.client.CreateMultipartUpload(rctx, &s3.CreateMultipartUploadInput{Bucket: &w.s.bucket, Key: &w.key})
		err = timedOut(rctx, err)
		cancel()
		if err != nil {
			return fmt.Errorf("start upload of %s: %w", w.s.url(w.key), err)
		}
		w.uploadID = aws.ToString(out.UploadId)
	}
	select {
	case w.inflight <- struct{}{}:
	case <-w.ctx.Done():
		return w.failed()
	}
	num, buf := w.partNum, w.buf
	w.partNum++
	w.buf = nil
	w.wg.Add(1)
	go w.upload(num, buf)
	return nil
}

// upload uploads one part in the background.
func (w *s3Writer) upload(num int32, buf []byte) {
	defer w.wg.Done()
	defer func() { <-w.inflight }()
	out, err := w.s.client.UploadPart(w.ctx, &s3.UploadPartInput{
		Bucket:        &w.s.bucket,
		Key:           &w.key,
		UploadId:      &w.uploadID,
		PartNumber:    aws.Int32(num),
		Body:          bytes.NewReader(buf),
		ContentLength: aws.Int64(int64(len(buf))),
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	w.free = append(w.free, buf)
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("upload %s part %d: %w", w.s.url(w.key), num, err)
		}
		w.cancel() // no point finishing the other parts
		return
	}
	w.parts = append(w.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
}

func (w *s3Writer) Commit() error {
	if w.done {
		return errWriterClosed
	}
	w.done = true
	defer w.cancel()
	if err := w.commit(); err != nil {
		if cerr := w.cleanup(); cerr != nil {
			return errors.Join(err, cerr)
		}
		return err
	}
	return nil
}

func (w *s3Writer) commit() error {
	if err := w.failed(); err != nil {
		return err
	}
	if w.uploadID == "" {
		return w.putObject()
	}
	if err := w.flush(); err != nil {
		return err
	}
	w.wg.Wait()
	if err := w.failed(); err != nil {
		return err
	}
	slices.SortFunc(w.parts, func(a, b types.CompletedPart) int {
		return int(aws.ToInt32(a.PartNumber) - aws.ToInt32(b.PartNumber))
	})
	// No per-request timeout: S3 may take minutes to assemble a large
	// object, sending whitespace meanwhile, which the idle timeout allows.
	_, err := w.s.client.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          &w.s.bucket,
		Key:             &w.key,
		UploadId:        &w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
		IfNoneMatch:     w.ifNoneMatch(),
	})
	if isPreconditionFailed(err) {
		return fmt.Errorf("complete upload of %s: %w", w.s.url(w.key), ErrExists)
	}
	if err != nil {
		return fmt.Errorf("complete upload of %s (%d parts): %w", w.s.url(w.key), len(w.parts), err)
	}
	return nil
}

// ifNoneMatch is the condition of an exclusive writer's commit: that no
// object exists at its key.
func (w *s3Writer) ifNoneMatch() *string {
	if w.exclusive {
		return aws.String("*")
	}
	return nil
}

// isPreconditionFailed reports whether err is S3's answer to a conditional
// write whose condition did not hold (412).
func isPreconditionFailed(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "PreconditionFailed" {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == http.StatusPreconditionFailed
}

// putObject uploads an object that fits in one part: no multipart upload,
// so nothing to clean up if it fails.
func (w *s3Writer) putObject() error {
	ctx := w.ctx
	if len(w.buf) <= smallBody {
		var cancel context.CancelFunc
		ctx, cancel = w.s.small(ctx)
		defer cancel()
	}
	_, err := w.s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &w.s.bucket,
		Key:           &w.key,
		Body:          bytes.NewReader(w.buf),
		ContentLength: aws.Int64(int64(len(w.buf))),
		IfNoneMatch:   w.ifNoneMatch(),
	})
	err = timedOut(ctx, err)
	w.buf = nil
	if isPreconditionFailed(err) {
		return fmt.Errorf("upload %s: %w", w.s.url(w.key), ErrExists)
	}
	if err != nil {
		return fmt.Errorf("upload %s: %w", w.s.url(w.key), err)
	}
	return nil
}

func (w *s3Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	return w.cleanup()
}

// cleanup stops the part uploads and aborts the multipart upload, so that
// no parts are left to be billed for. It runs after the caller's context is
// cancelled (SIGTERM, Ctrl-C), hence a context of its own.
func (w *s3Writer) cleanup() error {
	w.cancel()
	w.wg.Wait() // parts still in flight would outlive the abort
	w.buf = nil
	if w.uploadID == "" {
		return nil
	}
	// Bounded by the per-request timeout, and by cleanupTimeout if that
	// is longer than the grace a SIGTERM leaves.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.parent), cleanupTimeout)
	defer cancel()
	if err := w.s.abortUpload(ctx, w.key, w.uploadID); err != nil {
		return fmt.Errorf("abort upload %s of %s (its parts stay stored until it is aborted: by a bucket lifecycle rule for incomplete multipart uploads, or by the project's next backup a day later): %w", w.uploadID, w.s.url(w.key), err)
	}
	return nil
}

// SweepPartial aborts the multipart uploads under prefix started more
// than olderThan ago (by S3's clock): uploads whose writer was killed
// before it could abort them, whose parts are billed until then. It lists
// the whole bucket's uploads and picks the prefix's itself, because MinIO
// lists uploads by exact object name only (any other prefix lists none);
// a backup bucket holds few uploads at a time.
func (s *s3Store) SweepPartial(ctx context.Context, prefix string, olderThan time.Duration) (int, error) {
	if err := checkDirPrefix(prefix); err != nil {
		return 0, fmt.Errorf("sweep unfinished uploads in %s: %w", s, err)
	}
	under := s.objectKey(prefix)
	in := &s3.ListMultipartUploadsInput{Bucket: &s.bucket}
	swept := 0
	for {
		rctx, cancel := s.small(ctx)
		page, err := s.client.ListMultipartUploads(rctx, in)
		err = timedOut(rctx, err)
		cancel()
		if err != nil {
			return swept, fmt.Errorf("list unfinished uploads in s3://%s: %w", s.bucket, err)
		}
		for _, u := range page.Uploads {
			key, id := aws.ToString(u.Key), aws.ToString(u.UploadId)
			// S3 stamps Initiated with its own clock; at a day's margin
			// comparing it with ours is safe.
			if !strings.HasPrefix(key, under) || u.Initiated == nil || time.Since(*u.Initiated) < olderThan {
				continue
			}
			if err := s.abortUpload(ctx, key, id); err != nil {
				return swept, fmt.Errorf("abort unfinished upload %s of %s: %w", id, s.url(key), err)
			}
			swept++
		}
		if !aws.ToBool(page.IsTruncated) {
			return swept, nil
		}
		in.KeyMarker, in.UploadIdMarker = page.NextKeyMarker, page.NextUploadIdMarker
	}
}

// abortUpload aborts one multipart upload; one that is gone already is not
// an error.
func (s *s3Store) abortUpload(ctx context.Context, objectKey, uploadID string) error {
	rctx, cancel := s.small(ctx)
	defer cancel()
	_, err := s.client.AbortMultipartUpload(rctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &objectKey, UploadId: &uploadID})
	var noUpload *types.NoSuchUpload
	if errors.As(err, &noUpload) {
		return nil
	}
	return timedOut(rctx, err)
}
