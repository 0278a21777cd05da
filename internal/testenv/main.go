package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
)

// mainCalled records that Main runs this binary's tests, so the servers
// started by tests will be stopped; without it they would outlive the binary.
var mainCalled atomic.Bool

// Main is the TestMain of every package with integration tests:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// It runs the tests, stops every server they started, and exits.
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if err := stopAll(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// stopAll stops the servers that were started and removes their files.
func stopAll() error {
	return errors.Join(stopPostgres(), stopMinIO())
}

// requireMain fails the test if the package's TestMain does not call Main.
func requireMain(t testing.TB) {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("testenv: this package's TestMain must call testenv.Main(m), otherwise the test servers are never stopped:\n\tfunc TestMain(m *testing.M) { testenv.Main(m) }")
	}
}

// nameCounter makes names unique within the binary; the random suffix makes
// them unique across binaries sharing nothing but luck.
var nameCounter atomic.Int64

// uniqueName returns prefix + sep + counter + sep + random hex, e.g. "t_3_1f2e3d4c".
func uniqueName(prefix, sep string) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	n := nameCounter.Add(1)
	return prefix + sep + strconv.FormatInt(n, 10) + sep + hex.EncodeToString(b[:])
}
