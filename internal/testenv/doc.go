// Package testenv starts real servers for integration tests: a throwaway
// PostgreSQL cluster and a MinIO S3 server.
//
// Each server is started at most once per test binary, lazily, by the first
// test that asks for it, and is shared by every test in that binary. Tests
// isolate themselves by creating their own database or bucket:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
//	func TestRestore(t *testing.T) {
//		pg := testenv.StartPostgres(t)
//		db, url := pg.CreateDatabase(t) // dropped when the test ends
//		pg.Exec(t, db, "CREATE TABLE t(x int); INSERT INTO t VALUES (1)")
//		dump := exec.Command(pg.Bin("pg_dump"), url) // same major version as the server
//
//		s3 := testenv.StartMinIO(t)
//		bucket := s3.CreateBucket(t)
//		store, err := catalog.Open(ctx, "s3://"+bucket+"/prefix", s3.Options())
//		...
//	}
//
// StartPrivateMinIO starts a MinIO server for one test alone, stopped when
// the test ends; MinIO.Freeze (SIGSTOP) and Thaw (SIGCONT) make it play an
// endpoint that stops answering without closing its connections. The
// shared server cannot be frozen.
//
// Main must be the package's TestMain: it stops the servers after the tests
// have run. Nothing relies on servers started by hand, and a server that
// cannot be started fails the test (it is never skipped). Servers left
// behind by a test binary that was killed (Ctrl-C, a -timeout panic) are
// stopped and removed by the next test binary that starts a server.
//
// PostgreSQL: the cluster is internal/localpg's, on loopback TCP; the
// server binaries are initdb's on PATH, else the newest in PostgreSQL's
// usual install directories (localpg.FindBinDir). When the tests run as
// root, the cluster runs as the "postgres" system user.
//
// MinIO: the binary is taken from $RESTORECTL_MINIO if set; otherwise it is
// built once with "go install github.com/minio/minio@MinIOVersion" into
// $RESTORECTL_TEST_CACHE (default: the user cache dir + "/restorectl-test")
// and reused from there. The first build takes a few minutes.
//
// Corpus: Postgres.Corpus loads the fixture databases under corpus/ (shaped
// like the platform's projects, with every hostile case the extraction
// engine must survive) and dumps them with the cluster's pg_dump, once per
// test binary; TableChecksum, Tables, Sequences and LoadScript compare a
// restored table with its source. See corpus.go.
//
// Because the catalog package is imported here, catalog's own tests must be
// in package catalog_test (an external test package) to use testenv.
package testenv
