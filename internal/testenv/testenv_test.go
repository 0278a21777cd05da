package testenv_test

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPostgres(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, "CREATE TABLE t(x int); INSERT INTO t VALUES (1)")

	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var x int
	if err := conn.QueryRow(t.Context(), "SELECT x FROM t").Scan(&x); err != nil {
		t.Fatal(err)
	}
	if x != 1 {
		t.Fatalf("SELECT x FROM t = %d, want 1", x)
	}

	out, err := exec.Command(pg.Bin("pg_dump"), url).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "PostgreSQL database dump complete") {
		t.Fatalf("pg_dump output lacks the completion marker:\n%s", out)
	}
}

func TestPostgresDatabasesAreDistinct(t *testing.T) {
	pg := testenv.StartPostgres(t)
	a, _ := pg.CreateDatabase(t)
	b, _ := pg.CreateDatabase(t)
	if a == b {
		t.Fatalf("CreateDatabase returned %q twice", a)
	}
	if testenv.StartPostgres(t) != pg {
		t.Fatal("StartPostgres started a second cluster")
	}
}

func TestMinIO(t *testing.T) {
	mi := testenv.StartMinIO(t)
	bucket := mi.CreateBucket(t)
	client := mi.Client()
	ctx := t.Context()

	_, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String("dir/hello.txt"),
		Body:   bytes.NewReader([]byte("hello")),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String("dir/hello.txt"),
	})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer got.Body.Close()
	body, err := io.ReadAll(got.Body)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != "hello" {
		t.Fatalf("GetObject body = %q, want %q", body, "hello")
	}

	opts := mi.Options()
	if opts.S3Endpoint != mi.Endpoint || opts.S3Region != "us-east-1" || opts.S3Credentials == nil {
		t.Fatalf("Options() = %+v", opts)
	}
}

// A private server is a server of its own, which stops answering while
// frozen and answers again once thawed.
func TestPrivateMinIOFreeze(t *testing.T) {
	shared := testenv.StartMinIO(t)
	mi := testenv.StartPrivateMinIO(t)
	if mi.Endpoint == shared.Endpoint {
		t.Fatalf("private server at the shared server's endpoint %s", mi.Endpoint)
	}
	list := func() error {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := mi.Client().ListBuckets(ctx, &s3.ListBucketsInput{})
		return err
	}
	if err := list(); err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	mi.Freeze(t)
	if err := list(); err == nil {
		t.Fatal("a frozen server answered")
	}
	mi.Thaw(t)
	if err := list(); err != nil {
		t.Fatalf("ListBuckets after thawing: %v", err)
	}
	mi.Freeze(t) // left frozen: the cleanup must still stop it
}
