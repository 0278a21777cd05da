package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/powabase/restorectl/internal/catalog"
)

// MinIOVersion is the pinned version of module github.com/minio/minio.
const MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

// Fixed test credentials of the MinIO root user.
const (
	minioAccessKey = "restorectl-test"
	minioSecretKey = "restorectl-test-secret"
)

// MinIO is an S3 server on loopback.
type MinIO struct {
	Endpoint  string // "http://127.0.0.1:PORT"
	AccessKey string
	SecretKey string
	Region    string // "us-east-1"

	dataDir string // temp dir holding the data and minio.log
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	private bool          // started by StartPrivateMinIO: may be frozen
}

// The shared MinIO server of this test binary.
var (
	minioOnce sync.Once
	minioInst *MinIO
	minioErr  error
)

// StartMinIO returns the binary's shared MinIO server, starting it (and
// building it first, if it is not cached) on first use.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	requireMain(t)
	minioOnce.Do(func() { minioInst, minioErr = startMinIO() })
	if minioErr != nil {
		t.Fatalf("testenv: %v", minioErr)
	}
	return minioInst
}

// StartPrivateMinIO starts a MinIO server of the test's own, stopped when
// the test ends. Unlike the shared server it may be frozen (Freeze), to
// play an S3 endpoint that stops answering mid-request without closing
// its connections; use it only for that, since each one takes a second or
// two to start.
func StartPrivateMinIO(t testing.TB) *MinIO {
	t.Helper()
	requireMain(t)
	bin, err := minioBinary()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	var m *MinIO
	for attempt := 1; ; attempt++ {
		if m, err = launchMinIO(bin); err == nil {
			break
		}
		if attempt == 3 { // a free port may have been taken meanwhile
			t.Fatalf("testenv: %v", err)
		}
	}
	m.private = true
	t.Cleanup(func() {
		// A stopped process would sit on SIGTERM until SIGKILL.
		m.signal(syscall.SIGCONT)
		if err := m.stop(); err != nil {
			t.Errorf("testenv: %v", err)
		}
	})
	return m
}

// Freeze stops the server process (SIGSTOP): it keeps its connections and
// its listening socket, so the kernel still accepts connections and
// buffers what is sent, but nothing answers. Only a private server
// (StartPrivateMinIO) can be frozen; it is thawed when the test ends.
func (m *MinIO) Freeze(t testing.TB) {
	t.Helper()
	if !m.private {
		t.Fatal("testenv: only a server from StartPrivateMinIO can be frozen: the shared one serves other tests")
	}
	if err := m.signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("testenv: freeze minio: %v", err)
	}
	// kill(2) returns before every thread has stopped: a request sent
	// right away could still be answered. Wait until all have.
	for deadline := time.Now().Add(5 * time.Second); !stopped(m.cmd.Process.Pid) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// stopped reports whether every thread of process pid is stopped, as
// /proc says; without /proc it waits a moment and says yes.
func stopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		time.Sleep(100 * time.Millisecond)
		return true
	}
	for _, task := range tasks {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // the thread has ended
		}
		// The state follows the command's closing parenthesis.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 || i+2 >= len(stat) || (stat[i+2] != 'T' && stat[i+2] != 't') {
			return false
		}
	}
	return true
}

// Thaw resumes a frozen server (SIGCONT).
func (m *MinIO) Thaw(t testing.TB) {
	t.Helper()
	if err := m.signal(syscall.SIGCONT); err != nil {
		t.Fatalf("testenv: thaw minio: %v", err)
	}
}

// signal sends sig to the server process unless it has exited.
func (m *MinIO) signal(sig syscall.Signal) error {
	select {
	case <-m.exited:
		return fmt.Errorf("minio (pid %d) has exited: %v", m.cmd.Process.Pid, m.cmd.ProcessState)
	default:
	}
	return m.cmd.Process.Signal(sig)
}

// Options returns catalog options that reach this server.
func (m *MinIO) Options() catalog.Options {
	return catalog.Options{
		S3Endpoint:    m.Endpoint,
		S3Region:      m.Region,
		S3Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, ""),
	}
}

// Client returns an S3 client for this server.
func (m *MinIO) Client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(m.Endpoint),
		UsePathStyle: true,
		Region:       m.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, ""),
	})
}

// Credentials are temporary S3 credentials (Restricted).
type Credentials struct {
	AccessKey, SecretKey, SessionToken string
}

// Restricted returns temporary credentials of the server's root user that
// a session policy (an IAM policy document, as JSON) narrows to what it
// allows: MinIO's STS AssumeRole. They play a user the bucket's owner gave
// too little (or no) access, without an admin API to create one. They
// last 15 minutes.
func (m *MinIO) Restricted(t testing.TB, policy string) Credentials {
	t.Helper()
	c := sts.New(sts.Options{
		BaseEndpoint: aws.String(m.Endpoint),
		Region:       m.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, ""),
	})
	out, err := c.AssumeRole(t.Context(), &sts.AssumeRoleInput{
		// MinIO ignores the role of a user's AssumeRole; the SDK wants one.
		RoleArn:         aws.String("arn:minio:iam:::role/restorectl-test"),
		RoleSessionName: aws.String("restorectl-test"),
		Policy:          aws.String(policy),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("testenv: assume a restricted role on %s: %v", m.Endpoint, err)
	}
	return Credentials{
		AccessKey:    aws.ToString(out.Credentials.AccessKeyId),
		SecretKey:    aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken),
	}
}

// CreateBucket creates a fresh, uniquely named bucket. It is not removed:
// the whole server's data goes away when the test binary ends.
func (m *MinIO) CreateBucket(t testing.TB) string {
	t.Helper()
	name := uniqueName("t", "-")
	_, err := m.Client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("testenv: create bucket %s on %s: %v", name, m.Endpoint, err)
	}
	return name
}

// CreateVersionedBucket creates a fresh bucket with versioning on, as the
// platform's is (the harness's single-drive MinIO supports versioning).
func (m *MinIO) CreateVersionedBucket(t testing.TB) string {
	t.Helper()
	name := m.CreateBucket(t)
	_, err := m.Client().PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(name),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		t.Fatalf("testenv: enable versioning on bucket %s: %v", name, err)
	}
	return name
}

// startMinIO finds or builds the binary and starts it on free ports.
func startMinIO() (*MinIO, error) {
	// Orphaned servers died with their test binary (Pdeathsig); only the data is left.
	sweepOrphans("restorectl-minio-*", func(string) {})
	bin, err := minioBinary()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		m, err := launchMinIO(bin)
		// Retry in case a free port was taken meanwhile.
		if err == nil || attempt == 3 {
			return m, err
		}
	}
}

// launchMinIO starts one server process and waits until it is ready.
func launchMinIO(bin string) (*MinIO, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	consolePort, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "restorectl-minio-")
	if err != nil {
		return nil, fmt.Errorf("create minio temp dir: %w", err)
	}
	if err := writeOwner(dir); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("create minio temp dir: %w", err)
	}
	m := &MinIO{
		Endpoint:  fmt.Sprintf("http://127.0.0.1:%d", port),
		AccessKey: minioAccessKey,
		SecretKey: minioSecretKey,
		Region:    "us-east-1",
		dataDir:   dir,
		exited:    make(chan struct{}),
	}
	if err := m.start(bin, port, consolePort); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := m.waitReady(60 * time.Second); err != nil {
		m.stop()
		return nil, fmt.Errorf("start minio on port %d: %w\nminio output:\n%s",
			port, err, tailFile(m.logFile(), 30))
	}
	return m, nil
}

func (m *MinIO) logFile() string { return filepath.Join(m.dataDir, "minio.log") }

// start starts the process; its data lives in dataDir/data.
func (m *MinIO) start(bin string, port, consolePort int) error {
	// Output goes to a file so it can be read while the process runs.
	log, err := os.Create(m.logFile())
	if err != nil {
		return fmt.Errorf("create minio log: %w", err)
	}
	defer log.Close() // the child has its own copy
	m.cmd = exec.Command(bin, "server", filepath.Join(m.dataDir, "data"),
		"--address", fmt.Sprintf("127.0.0.1:%d", port),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", consolePort),
		"--quiet")
	m.cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.AccessKey,
		"MINIO_ROOT_PASSWORD="+m.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	m.cmd.Stdout, m.cmd.Stderr = log, log
	m.cmd.SysProcAttr = &syscall.SysProcAttr{}
	dieWithParent(m.cmd.SysProcAttr)
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("start minio on port %d: %w", port, err)
	}
	go func() {
		m.cmd.Wait()
		close(m.exited)
	}()
	return nil
}

// waitReady polls MinIO's readiness endpoint until it answers 200, then
// the S3 API until it answers too: the endpoint can say ready while the
// object layer still answers "Server not initialized yet" (503).
func (m *MinIO) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(m.Endpoint + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("readiness check answered %s", resp.Status)
			if resp.StatusCode == http.StatusOK {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_, err = m.Client().ListBuckets(ctx, &s3.ListBucketsInput{})
				cancel()
				if err == nil {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", timeout, err)
		}
		select {
		case <-m.exited:
			return fmt.Errorf("minio exited: %v", m.cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop terminates the process (SIGKILL if SIGTERM is not enough within 5 s)
// and removes its data.
func (m *MinIO) stop() error {
	var err error
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		m.cmd.Process.Kill()
		select {
		case <-m.exited:
		case <-time.After(5 * time.Second):
			err = fmt.Errorf("stop minio (pid %d): still running after SIGKILL", m.cmd.Process.Pid)
		}
	}
	return errors.Join(err, os.RemoveAll(m.dataDir))
}

// stopMinIO stops the shared server if it was started.
func stopMinIO() error {
	// Do synchronises with the start, and keeps anything from starting later.
	minioOnce.Do(func() {})
	if minioInst == nil {
		return nil
	}
	return minioInst.stop()
}

// minioBinary returns the path of the minio binary, building it if needed.
func minioBinary() (string, error) {
	if bin := os.Getenv("RESTORECTL_MINIO"); bin != "" {
		if !fileExists(bin) {
			return "", fmt.Errorf("RESTORECTL_MINIO=%s: no such file", bin)
		}
		return bin, nil
	}
	cache, err := testCacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(cache, "minio-"+MinIOVersion, "minio")
	if fileExists(bin) {
		return bin, nil
	}
	return bin, installMinIO(cache, bin)
}

// testCacheDir returns $RESTORECTL_TEST_CACHE, else <user cache dir>/restorectl-test.
func testCacheDir() (string, error) {
	if dir := os.Getenv("RESTORECTL_TEST_CACHE"); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache dir for the minio binary (set RESTORECTL_TEST_CACHE or RESTORECTL_MINIO): %w", err)
	}
	return filepath.Join(dir, "restorectl-test"), nil
}

// installMinIO builds minio into bin. Test binaries of several packages run
// in parallel, so the build is serialised with a lock file, and the binary
// is renamed into place only when complete.
func installMinIO(cache, bin string) error {
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return fmt.Errorf("install minio: %w", err)
	}
	unlock, err := lockFile(filepath.Join(cache, "minio.lock"))
	if err != nil {
		return fmt.Errorf("install minio: %w", err)
	}
	defer unlock()
	if fileExists(bin) { // another test binary built it while we waited
		return nil
	}
	tmp, err := os.MkdirTemp(cache, "install-")
	if err != nil {
		return fmt.Errorf("install minio: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := goInstall("github.com/minio/minio@"+MinIOVersion, tmp); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, "minio"), bin); err != nil {
		return fmt.Errorf("install minio: %w", err)
	}
	return nil
}

// lockFile takes an exclusive flock on path, waiting as long as needed.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Closing the file releases the lock.
	return func() { f.Close() }, nil
}

// goInstall runs "go install pkg@version" with GOBIN=gobin.
func goInstall(pkg, gobin string) error {
	goCmd, err := goTool()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "testenv: building %s into %s (takes a few minutes the first time; set RESTORECTL_MINIO to use an existing binary)\n", pkg, gobin)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "install", pkg)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	cmd.Dir = gobin // outside any module or workspace
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go install %s: %w\n%s", pkg, err, tail(string(out), 30))
	}
	fmt.Fprintf(os.Stderr, "testenv: built minio in %v\n", time.Since(start).Round(time.Second))
	return nil
}

// goTool returns the go command on PATH (go test puts its own toolchain's
// first).
func goTool() (string, error) {
	bin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("install minio: no go command found (set RESTORECTL_MINIO to a minio binary): %w", err)
	}
	return bin, nil
}
