package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Timeouts of the S3 client unless Options says otherwise. A snapshot can
// be hundreds of GB, so nothing that streams one has a total deadline:
// uploads and downloads fail when they stop making progress.
const (
	// DefaultS3DialTimeout bounds connecting (TCP and TLS) to S3.
	DefaultS3DialTimeout = 10 * time.Second
	// DefaultS3IdleTimeout is how long a request may make no progress.
	// S3 answers within seconds and keeps a slow CompleteMultipartUpload
	// alive with whitespace, so a minute of silence means a stuck endpoint.
	DefaultS3IdleTimeout = 60 * time.Second
	// DefaultS3RequestTimeout bounds a request that moves little data,
	// retries included.
	DefaultS3RequestTimeout = 2 * time.Minute
)

// s3Timeouts are a store's resolved timeouts.
type s3Timeouts struct {
	dial, idle, request time.Duration
}

func newS3Timeouts(opts Options) (s3Timeouts, error) {
	t := s3Timeouts{
		dial:    cmp.Or(opts.S3DialTimeout, DefaultS3DialTimeout),
		idle:    cmp.Or(opts.S3IdleTimeout, DefaultS3IdleTimeout),
		request: cmp.Or(opts.S3RequestTimeout, DefaultS3RequestTimeout),
	}
	if t.dial < 0 || t.idle < 0 || t.request < 0 {
		return t, fmt.Errorf("s3 store: negative timeout (dial %v, idle %v, request %v)", t.dial, t.idle, t.request)
	}
	return t, nil
}

// newS3HTTPClient wraps the SDK's HTTP client from the configuration (which
// carries AWS_CA_BUNDLE, say), given a dial timeout, in the idle watchdog,
// which is also the response header timeout. The SDK's own read timeout is
// not enough: it sets a deadline on connection reads only, so it cannot
// see an upload stalled on a full send buffer, and, counted from when a
// pooled connection's background read began, it can cut off a request that
// was making progress.
func newS3HTTPClient(base aws.HTTPClient, t s3Timeouts) aws.HTTPClient {
	if base == nil {
		base = awshttp.NewBuildableClient()
	}
	if b, ok := base.(*awshttp.BuildableClient); ok {
		base = b.WithDialerOptions(func(d *net.Dialer) { d.Timeout = t.dial }).
			WithTransportOptions(func(tr *http.Transport) { tr.TLSHandshakeTimeout = t.dial })
	}
	return &idleClient{client: base, timeout: t.idle}
}

// idleClient fails a request that makes no progress for timeout (after
// restic's watchdog round tripper): the timer restarts whenever the
// transport reads more of the request body, runs on while the response is
// awaited, and while the caller reads the response body runs only during
// each Read, so that a caller pausing between reads (a restore waiting on
// its database) is never cut off. An expired timer cancels the request,
// which closes its connection and unblocks whatever waits on it.
type idleClient struct {
	client  aws.HTTPClient
	timeout time.Duration
}

// The phases of a request, for the timeout's message.
const (
	phaseSend int32 = iota
	phaseAwait
	phaseRead
)

// idleTimeoutError says that a request made no progress for too long. It
// reports Timeout() so the SDK's retryer takes it for a network timeout.
type idleTimeoutError struct {
	timeout time.Duration
	phase   int32
}

func (e *idleTimeoutError) Error() string {
	what := [...]string{"sending the request", "waiting for the response", "reading the response"}[e.phase]
	return fmt.Sprintf("S3 idle timeout: no progress for %v while %s (the endpoint is unreachable or stuck)", e.timeout, what)
}

func (e *idleTimeoutError) Timeout() bool { return true }

// watchdog is one request's timer.
type watchdog struct {
	timeout time.Duration
	timer   *time.Timer
	phase   atomic.Int32
	ctx     context.Context
	cancel  context.CancelCauseFunc
}

func (w *watchdog) kick() { w.timer.Reset(w.timeout) }
func (w *watchdog) stop() { w.timer.Stop() }

// expired cancels the request with the timeout as the cause.
func (w *watchdog) expired() {
	w.cancel(&idleTimeoutError{timeout: w.timeout, phase: w.phase.Load()})
}

// explain replaces err by the timeout if the timeout is why it happened,
// rather than the bare "context canceled" of the cancelled request (which
// would read as the caller's own cancellation).
func (w *watchdog) explain(err error) error {
	var idle *idleTimeoutError
	if err != nil && errors.As(context.Cause(w.ctx), &idle) {
		return idle
	}
	return err
}

func (c *idleClient) Do(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watchdog{timeout: c.timeout, ctx: ctx, cancel: cancel}
	w.timer = time.AfterFunc(c.timeout, w.expired)
	req = req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &sendBody{ReadCloser: req.Body, w: w}
		if get := req.GetBody; get != nil {
			// A body the transport resends must restart the timer too.
			req.GetBody = func() (io.ReadCloser, error) {
				rc, err := get()
				if err != nil {
					return nil, err
				}
				return &sendBody{ReadCloser: rc, w: w}, nil
			}
		}
	} else {
		w.phase.Store(phaseAwait)
	}
	resp, err := c.client.Do(req)
	w.stop()
	if err != nil {
		err = w.explain(err)
		cancel(nil)
		return nil, err
	}
	w.phase.Store(phaseRead)
	resp.Body = &recvBody{ReadCloser: resp.Body, w: w}
	return resp, nil
}

// sendBody restarts the timer whenever the transport reads more of the
// request body; once it is all read, the response is awaited.
type sendBody struct {
	io.ReadCloser
	w *watchdog
}

func (b *sendBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	// Once the response is in (an early answer, the transport still
	// sending), only the caller's reads run the timer.
	if b.w.phase.Load() != phaseRead {
		b.w.kick()
	}
	if err == io.EOF {
		b.w.phase.CompareAndSwap(phaseSend, phaseAwait)
	}
	return n, err
}

// recvBody runs the timer during each Read of the response body.
type recvBody struct {
	io.ReadCloser
	w *watchdog
}

func (b *recvBody) Read(p []byte) (int, error) {
	b.w.kick()
	n, err := b.ReadCloser.Read(p)
	b.w.stop()
	if err != nil && err != io.EOF {
		err = b.w.explain(err)
	}
	return n, err
}

func (b *recvBody) Close() error {
	b.w.stop()
	err := b.ReadCloser.Close()
	b.w.cancel(nil) // releases the request's context
	return err
}
